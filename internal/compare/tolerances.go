package compare

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tolerances are how far a candidate may move from its baseline before the
// gate calls it a regression. The defaults (DefaultTolerances) equal
// tolerances/default.yaml; a file loaded with LoadTolerances overrides only
// the keys it sets. Each tolerance bounds a 90 % confidence interval, not a
// point value: a figure regresses when its whole interval lies beyond the
// tolerance, passes when the whole interval lies within it, and is
// inconclusive otherwise.
//
// Which figures each key governs, and by what rule, is ToleranceRules: the
// one place the rules are written in words (docs/reference.md's table is
// generated from it). docs/statistics.md says how the intervals are formed.
type Tolerances struct {
	ToolCalling ToolCallingTolerance `yaml:"tool_calling" json:"tool_calling"`
	Latency     LatencyTolerance     `yaml:"latency" json:"latency"`
	Throughput  ThroughputTolerance  `yaml:"throughput" json:"throughput"`
	ErrorRate   ErrorRateTolerance   `yaml:"error_rate" json:"error_rate"`
	Degradation DegradationTolerance `yaml:"degradation" json:"degradation"`
	VRAM        VRAMTolerance        `yaml:"vram" json:"vram"`
	Capacity    CapacityTolerance    `yaml:"capacity" json:"capacity"`
	Energy      EnergyTolerance      `yaml:"energy" json:"energy"`
	SpecDecode  SpecDecodeTolerance  `yaml:"spec_decode" json:"spec_decode"`
}

// ToolCallingTolerance is tool_calling.*: largest acceptable drops of rates
// (0..1). PassRateWilson is accepted and ignored since 0.2.0.
type ToolCallingTolerance struct {
	PassRateMaxDrop      float64 `yaml:"pass_rate_max_drop" json:"pass_rate_max_drop"`
	PassRateWilson       bool    `yaml:"pass_rate_wilson" json:"pass_rate_wilson"`
	ParseRateMaxDrop     float64 `yaml:"parse_rate_max_drop" json:"parse_rate_max_drop"`
	JSONValidRateMaxDrop float64 `yaml:"json_valid_rate_max_drop" json:"json_valid_rate_max_drop"`
}

// Relative is a "lower is better" tolerance on a ratio with an absolute
// floor (a fraction, and milliseconds): the floor keeps tiny figures (a
// simulator's 30 ms TTFT) from flapping.
type Relative struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
	AbsMs       float64 `yaml:"abs_ms" json:"abs_ms"`
}

// LatencyTolerance is latency.*: one Relative per latency figure
// (latencyFigures).
type LatencyTolerance struct {
	TTFTP50 Relative `yaml:"ttft_p50" json:"ttft_p50"`
	TTFTP90 Relative `yaml:"ttft_p90" json:"ttft_p90"`
	TTFTP99 Relative `yaml:"ttft_p99" json:"ttft_p99"`
	TPOTP50 Relative `yaml:"tpot_p50" json:"tpot_p50"`
	TPOTP99 Relative `yaml:"tpot_p99" json:"tpot_p99"`
}

// ThroughputTolerance is throughput.* ("higher is better"): a fraction and
// an absolute floor in tokens/s.
type ThroughputTolerance struct {
	MaxDrop       float64 `yaml:"max_drop" json:"max_drop"`
	AbsTokensPerS float64 `yaml:"abs_tokens_per_s" json:"abs_tokens_per_s"`
}

// ErrorRateTolerance is error_rate.*: a rise of (requests − completed) /
// requests, in 0..1.
type ErrorRateTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
}

// DegradationTolerance is degradation.*: a rise of the degradation value
// (a fraction).
type DegradationTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
}

// VRAMTolerance is vram.*: like Relative, with the floor in MiB.
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
		Energy:      EnergyTolerance{MaxIncrease: 0.10},
		SpecDecode:  SpecDecodeTolerance{AcceptanceRateMaxDrop: 0.05},
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
	for _, k := range t.Keys() {
		if v, ok := k.Value.(float64); ok && (v < 0 || v != v) {
			return fmt.Errorf("tolerances: %s is %v; it must be 0 or more (e.g. 0.10 for 10 %%)", k.Path, v)
		}
	}
	if t.Throughput.MaxDrop >= 1 {
		return fmt.Errorf("tolerances: throughput.max_drop is %v; it must be below 1 (e.g. 0.10 for 10 %%)", t.Throughput.MaxDrop)
	}
	return nil
}

// ToleranceKey is one setting of Tolerances: its YAML path, e.g.
// "latency.ttft_p50.abs_ms", and its value (a float64, or the ignored bool
// pass_rate_wilson).
type ToleranceKey struct {
	Path  string
	Value any
}

// Keys lists every setting of t in the struct's order, by its yaml tags:
// what Validate checks and what docs/reference.md shows as defaults, so a
// field added to Tolerances is checked and listed without another list to
// keep.
func (t Tolerances) Keys() []ToleranceKey {
	var out []ToleranceKey
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if prefix != "" {
				name = prefix + "." + name
			}
			if f.Type.Kind() == reflect.Struct {
				walk(name, v.Field(i))
				continue
			}
			out = append(out, ToleranceKey{Path: name, Value: v.Field(i).Interface()})
		}
	}
	walk("", reflect.ValueOf(t))
	return out
}
