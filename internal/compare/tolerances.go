package compare

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Tolerances are how far a candidate may move from its baseline before the
// gate calls it a regression. The defaults (DefaultTolerances) equal
// tolerances/default.yaml; a file loaded with LoadTolerances overrides only the
// keys it sets. Since 0.2.0 each tolerance bounds a 90 % confidence
// interval, not a point value: a figure regresses when its whole interval
// lies beyond the tolerance, passes when the whole interval lies within it,
// and is inconclusive otherwise. docs/statistics.md states every rule; the
// comments below on the older point rules give the scale of each key.
type Tolerances struct {
	ToolCalling ToolCallingTolerance `yaml:"tool_calling" json:"tool_calling"`
	Latency     LatencyTolerance     `yaml:"latency" json:"latency"`
	Throughput  ThroughputTolerance  `yaml:"throughput" json:"throughput"`
	ErrorRate   ErrorRateTolerance   `yaml:"error_rate" json:"error_rate"`
	Degradation DegradationTolerance `yaml:"degradation" json:"degradation"`
	VRAM        VRAMTolerance        `yaml:"vram" json:"vram"`
	Capacity    CapacityTolerance    `yaml:"capacity" json:"capacity"`
}

// ToolCallingTolerance covers tool_calling.*.
type ToolCallingTolerance struct {
	// PassRateMaxDrop: a scenario (fixture + mode) regresses when
	//   cand < base − pass_rate_max_drop
	// and, with PassRateWilson, also cand < wilson_low95(base passed, base attempts).
	// It improves when cand > base + pass_rate_max_drop and, with
	// PassRateWilson, cand > wilson_high95(base).
	// A run of 3 attempts cannot tell 3/3 from 2/3 with any confidence, so
	// with PassRateWilson on (the default) a scenario regresses only when the
	// candidate falls below the baseline's 95 % Wilson lower bound
	// (3/3 → 0.44: 1/3 regresses, 2/3 does not). The candidate's own gate
	// (ACCEPTANCE_TOOLCALL_MIN_PASS_RATE) is judged separately, in the
	// tool_calling.passed row.
	//
	// Since 0.2.0: the largest acceptable drop of a pass rate (each
	// scenario, and all attempts pooled), judged on the Newcombe interval
	// of the difference; PassRateWilson is accepted and ignored (every rate
	// has an interval now).
	PassRateMaxDrop float64 `yaml:"pass_rate_max_drop" json:"pass_rate_max_drop"`
	PassRateWilson  bool    `yaml:"pass_rate_wilson" json:"pass_rate_wilson"`
	// ParseRateMaxDrop: tool_calling.parse_success_rate regresses when
	// cand < base − parse_rate_max_drop (absolute, rates in 0..1).
	ParseRateMaxDrop float64 `yaml:"parse_rate_max_drop" json:"parse_rate_max_drop"`
	// JSONValidRateMaxDrop: tool_calling.json_valid_rate regresses when
	// cand < base − json_valid_rate_max_drop.
	JSONValidRateMaxDrop float64 `yaml:"json_valid_rate_max_drop" json:"json_valid_rate_max_drop"`
}

// Relative is a "lower is better" tolerance with an absolute floor:
// regressed when cand > base × (1 + max_increase) AND cand − base > abs;
// improved when cand < base × (1 − max_increase) AND base − cand > abs.
// The floor keeps tiny figures (a simulator's 30 ms TTFT) from flapping.
type Relative struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
	AbsMs       float64 `yaml:"abs_ms" json:"abs_ms"`
}

// LatencyTolerance covers stability.runs[].{ttft_ms,tpot_ms} and
// concurrency.runs[].{ttft_ms,tpot_ms}, each with the Relative formula.
type LatencyTolerance struct {
	TTFTP50 Relative `yaml:"ttft_p50" json:"ttft_p50"`
	TTFTP90 Relative `yaml:"ttft_p90" json:"ttft_p90"`
	TTFTP99 Relative `yaml:"ttft_p99" json:"ttft_p99"`
	TPOTP50 Relative `yaml:"tpot_p50" json:"tpot_p50"`
	TPOTP99 Relative `yaml:"tpot_p99" json:"tpot_p99"`
}

// ThroughputTolerance covers stability.runs[].output_tokens_per_s.p50 and
// concurrency.runs[].output_throughput ("higher is better"):
// regressed when cand < base × (1 − max_drop) AND base − cand > abs_tokens_per_s;
// improved when cand > base × (1 + max_drop) AND cand − base > abs_tokens_per_s.
type ThroughputTolerance struct {
	MaxDrop       float64 `yaml:"max_drop" json:"max_drop"`
	AbsTokensPerS float64 `yaml:"abs_tokens_per_s" json:"abs_tokens_per_s"`
}

// ErrorRateTolerance covers the error rate of each stability and
// concurrency run, (requests − completed) / requests:
// regressed when cand − base > max_increase; improved when base − cand > max_increase.
type ErrorRateTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
}

// DegradationTolerance covers stability.runs[].degradation.value (a
// fraction): regressed when the candidate fails its own threshold
// (degradation.passed is false) OR cand > base + max_increase;
// improved when cand < base − max_increase.
type DegradationTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
}

// VRAMTolerance covers the largest gpu.devices[].mem_used_max_mib:
// regressed when cand > base × (1 + max_increase) AND cand − base > abs_mib;
// improved when cand < base × (1 − max_increase) AND base − cand > abs_mib.
// Runs without a local GPU have no row.
type VRAMTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
	AbsMiB      float64 `yaml:"abs_mib" json:"abs_mib"`
}

// DefaultTolerances returns the tolerances of tolerances/default.yaml.
func DefaultTolerances() Tolerances {
	return Tolerances{
		ToolCalling: ToolCallingTolerance{
			PassRateMaxDrop:      0.05,
			PassRateWilson:       true,
			ParseRateMaxDrop:     0.05,
			JSONValidRateMaxDrop: 0.05,
		},
		Latency: LatencyTolerance{
			TTFTP50: Relative{MaxIncrease: 0.10, AbsMs: 10},
			TTFTP90: Relative{MaxIncrease: 0.10, AbsMs: 10},
			TTFTP99: Relative{MaxIncrease: 0.20, AbsMs: 20},
			TPOTP50: Relative{MaxIncrease: 0.10, AbsMs: 2},
			TPOTP99: Relative{MaxIncrease: 0.20, AbsMs: 5},
		},
		Throughput:  ThroughputTolerance{MaxDrop: 0.10, AbsTokensPerS: 1},
		ErrorRate:   ErrorRateTolerance{MaxIncrease: 0.05},
		Degradation: DegradationTolerance{MaxIncrease: 0.10},
		VRAM:        VRAMTolerance{MaxIncrease: 0.05, AbsMiB: 256},
		Capacity:    CapacityTolerance{MaxDrop: 0.10},
	}
}

// LoadTolerances reads a YAML tolerance file over the defaults: keys it
// leaves out keep their default; unknown keys and negative values are errors.
func LoadTolerances(r io.Reader) (Tolerances, error) {
	t := DefaultTolerances()
	data, err := io.ReadAll(r)
	if err != nil {
		return t, fmt.Errorf("read tolerances: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil && !errors.Is(err, io.EOF) {
		return t, fmt.Errorf("tolerances: %w (see tolerances/default.yaml for the keys)", err)
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	return t, nil
}

// Validate rejects negative tolerances, which would fail equal runs.
func (t Tolerances) Validate() error {
	check := []struct {
		name string
		v    float64
	}{
		{"tool_calling.pass_rate_max_drop", t.ToolCalling.PassRateMaxDrop},
		{"tool_calling.parse_rate_max_drop", t.ToolCalling.ParseRateMaxDrop},
		{"tool_calling.json_valid_rate_max_drop", t.ToolCalling.JSONValidRateMaxDrop},
		{"latency.ttft_p50.max_increase", t.Latency.TTFTP50.MaxIncrease},
		{"latency.ttft_p50.abs_ms", t.Latency.TTFTP50.AbsMs},
		{"latency.ttft_p90.max_increase", t.Latency.TTFTP90.MaxIncrease},
		{"latency.ttft_p90.abs_ms", t.Latency.TTFTP90.AbsMs},
		{"latency.ttft_p99.max_increase", t.Latency.TTFTP99.MaxIncrease},
		{"latency.ttft_p99.abs_ms", t.Latency.TTFTP99.AbsMs},
		{"latency.tpot_p50.max_increase", t.Latency.TPOTP50.MaxIncrease},
		{"latency.tpot_p50.abs_ms", t.Latency.TPOTP50.AbsMs},
		{"latency.tpot_p99.max_increase", t.Latency.TPOTP99.MaxIncrease},
		{"latency.tpot_p99.abs_ms", t.Latency.TPOTP99.AbsMs},
		{"throughput.max_drop", t.Throughput.MaxDrop},
		{"throughput.abs_tokens_per_s", t.Throughput.AbsTokensPerS},
		{"error_rate.max_increase", t.ErrorRate.MaxIncrease},
		{"degradation.max_increase", t.Degradation.MaxIncrease},
		{"vram.max_increase", t.VRAM.MaxIncrease},
		{"vram.abs_mib", t.VRAM.AbsMiB},
		{"capacity.max_drop", t.Capacity.MaxDrop},
	}
	for _, c := range check {
		if c.v < 0 || c.v != c.v {
			return fmt.Errorf("tolerances: %s is %v; it must be 0 or more (e.g. 0.10 for 10 %%)", c.name, c.v)
		}
	}
	if t.Throughput.MaxDrop >= 1 {
		return fmt.Errorf("tolerances: throughput.max_drop is %v; it must be below 1 (e.g. 0.10 for 10 %%)", t.Throughput.MaxDrop)
	}
	return nil
}
