package sidecar

import "github.com/vllm-acceptance/vllm-acceptance/internal/stats"

// CapacitySections are the sidecar sections of TestCapacity,
// TestToolCallingUnderLoad and the roofline check. Metrics embeds them,
// so their fields sit at the top level of metrics.json.
type CapacitySections struct {
	Capacity             *Capacity             `json:"capacity,omitempty"`
	ToolCallingUnderLoad *ToolCallingUnderLoad `json:"tool_calling_under_load,omitempty"`
	Roofline             *Roofline             `json:"roofline,omitempty"`
}

// Capacity is TestCapacity's search for the highest offered rate within
// the SLOs (docs/capacity.md).
type Capacity struct {
	// MaxRatePerS is the highest offered rate (req/s, open loop, Poisson)
	// at which a step met the SLOs; 0 when none did.
	MaxRatePerS float64 `json:"max_rate_per_s"`
	// Interval brackets the capacity: a step passed at Low (= MaxRatePerS)
	// and failed at High. High is 0 when no step failed (AtLeast).
	Interval stats.Interval `json:"interval"`
	// Confidence says how far the figure can be trusted: "bracketed"
	// (passed at Low, failed at High), "at_least" (no step failed: a lower
	// bound), "generator_limited" (the load generator could not keep up:
	// a lower bound set by this machine), or "none" (the lowest rate failed).
	Confidence string `json:"confidence"`
	AtLeast    bool   `json:"at_least"`
	// Limited: a step's load_generator check failed, which ended the search.
	Limited bool `json:"generator_limited"`
	// StopReason is why the search ended.
	StopReason string `json:"stop_reason"`
	// SLOs are what every step was judged by.
	SLOs CapacitySLOs `json:"slos"`
	// Idle is the server alone (sequential requests before the search).
	Idle *IdleProbe `json:"idle,omitempty"`
	// Steps in the order they ran.
	Steps []CapacityStep `json:"steps"`
	// Requests and DurationS are the search's whole cost, warm-ups and
	// the idle probe included.
	Requests  int     `json:"requests"`
	DurationS float64 `json:"duration_s"`
	// MinCapacity is ACCEPTANCE_MIN_CAPACITY (0: not judged).
	MinCapacity float64 `json:"min_capacity,omitempty"`
	// Shards: each shard sent 1/Shards of every step's rate; rates here
	// are the totals. The search's decisions are this shard's view.
	Shards  int     `json:"shards,omitempty"`
	Checks  []Check `json:"checks"`
	Verdict string  `json:"verdict"`
}

// CapacitySLOs are the criteria of a capacity search.
type CapacitySLOs struct {
	TTFTms          float64 `json:"ttft_ms"`
	TPOTms          float64 `json:"tpot_ms"`
	MinGoodputRatio float64 `json:"min_goodput_ratio"`
	MaxErrorRate    float64 `json:"max_error_rate"`
}

// IdleProbe is a few sequential requests on an idle server: the floor no
// load can beat, and what an SLO below it is refused against.
type IdleProbe struct {
	Requests  int     `json:"requests"`
	Completed int     `json:"completed"`
	TTFTms    float64 `json:"ttft_ms"` // medians
	TPOTms    float64 `json:"tpot_ms"`
	E2Ems     float64 `json:"e2e_ms"`
}

// CapacityStep is one open-loop step of the search.
type CapacityStep struct {
	RatePerS float64 `json:"rate_per_s"`
	// Outcome: "pass", "fail", "saturated" (stopped early, a failure) or
	// "limited" (the load generator fell behind: not the server's figure).
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// Warmup arrivals were sent first and are not counted; Planned counted
	// arrivals followed, of which Sent finished before the step ended
	// (fewer when it stopped early).
	Warmup       int             `json:"warmup"`
	Planned      int             `json:"planned"`
	Sent         int             `json:"sent"`
	Completed    int             `json:"completed"`
	Good         int             `json:"good"`
	Errors       map[string]int  `json:"errors"`
	GoodputRatio float64         `json:"goodput_ratio"`
	GoodputCI95  *stats.Interval `json:"goodput_ratio_ci95,omitempty"`
	// Goodput is good requests per second of offered time: RatePerS ×
	// GoodputRatio.
	Goodput      float64 `json:"goodput"`
	StoppedEarly bool    `json:"stopped_early,omitempty"`
	DurationS    float64 `json:"duration_s"`
	// TTFT and TPOT of the counted requests that completed.
	TTFTms stats.Summary `json:"ttft_ms"`
	TPOTms stats.Summary `json:"tpot_ms"`
	// Server is vLLM's /metrics during the step (nil when not scraped).
	Server *StepServer `json:"server,omitempty"`
	// ServerView is vLLM's own latency histograms and prefix cache over
	// the step, warm-up included (information, not judged).
	ServerView *ServerView `json:"server_view,omitempty"`
	Generator  *Generator  `json:"load_generator,omitempty"`
	Checks     []Check     `json:"checks"`
}

// StepServer is vLLM's queue and KV cache during one step, from /metrics.
type StepServer struct {
	Samples         int     `json:"samples"`
	WaitingMax      float64 `json:"waiting_max"`
	WaitingMean     float64 `json:"waiting_mean"`
	RunningMax      float64 `json:"running_max"`
	KVCacheUsageMax float64 `json:"kv_cache_usage_max"`
	Preemptions     float64 `json:"preemptions"`
}

// ToolCallingUnderLoad is TestToolCallingUnderLoad: the catalogue's
// tool-calling scenarios again, while a background open loop runs at a
// fraction of the capacity, compared with the isolated run.
type ToolCallingUnderLoad struct {
	// RatePerS is the background rate: Fraction × Capacity.
	RatePerS float64 `json:"rate_per_s"`
	Fraction float64 `json:"fraction"`
	Capacity float64 `json:"capacity"`
	// Background is the background open loop's own figures.
	Background *ConcurrencyRun      `json:"background,omitempty"`
	Scenarios  []UnderLoadScenario  `json:"scenarios"`
	Model      *UnderLoadModelRates `json:"model,omitempty"`
	// NewServerFailures counts scenario modes with a server-check failure
	// the isolated run did not show: each fails the test.
	NewServerFailures int    `json:"new_server_failures"`
	Passed            bool   `json:"passed"`
	Note              string `json:"note,omitempty"`
}

// UnderLoadScenario is one scenario mode under load beside its isolated run.
type UnderLoadScenario struct {
	Name     string `json:"name"`
	Mode     string `json:"mode"`
	Attempts int    `json:"attempts"`
	// ServerFailures under load, and in the isolated run (-1: the
	// isolated run did not run this mode).
	ServerFailures         int `json:"server_failures"`
	IsolatedServerFailures int `json:"isolated_server_failures"`
	// NewServerFailure: failed a server check under load, not in isolation.
	NewServerFailure bool        `json:"new_server_failure"`
	Diagnoses        []Diagnosis `json:"diagnoses,omitempty"`
	ModelAttempts    int         `json:"model_attempts"`
	ModelPassed      int         `json:"model_passed"`
}

// UnderLoadModelRates compares the model-check rate under load with the
// isolated one: Diff = under load − isolated, with its Newcombe 95 %
// interval; Verdict "lower" when the interval lies below 0, "higher" above,
// "same" otherwise. Reported, not failed: the model does not change under
// load, so a drop points at the server (KV-cache pressure cutting answers),
// which the server checks judge.
type UnderLoadModelRates struct {
	Attempts         int            `json:"attempts"`
	Passed           int            `json:"passed"`
	Rate             float64        `json:"rate"`
	IsolatedAttempts int            `json:"isolated_attempts"`
	IsolatedPassed   int            `json:"isolated_passed"`
	IsolatedRate     float64        `json:"isolated_rate"`
	Diff             float64        `json:"diff"`
	DiffCI95         stats.Interval `json:"diff_ci95"`
	Verdict          string         `json:"verdict"`
}

// Roofline is the single-stream decode bound: a decode step reads the
// model's weights once, so one stream cannot exceed memory bandwidth /
// bytes per step tokens per second (docs/capacity.md).
type Roofline struct {
	GPU string `json:"gpu"`
	// BandwidthGBs is the GPU's memory bandwidth (GB/s) and its source.
	BandwidthGBs float64 `json:"bandwidth_gb_s"`
	Source       string  `json:"source"`
	ModelBytes   float64 `json:"model_bytes"`
	// BoundTokensPerS = bandwidth / model bytes.
	BoundTokensPerS float64 `json:"bound_tokens_per_s"`
	// MeasuredTokensPerS is the stability run's p50 single-stream decode
	// rate (1000 / TPOT p50), and Fraction its share of the bound.
	MeasuredTokensPerS float64 `json:"measured_tokens_per_s"`
	Fraction           float64 `json:"fraction"`
	// MinFraction is ACCEPTANCE_ROOFLINE_MIN_FRACTION: a Fraction below it
	// reads below_bound (0: the lower side is not judged). BelowFails is
	// ACCEPTANCE_ROOFLINE_BELOW_FAILS: below_bound then fails the run.
	MinFraction float64 `json:"min_fraction"`
	BelowFails  bool    `json:"below_fails,omitempty"`
	// Verdict: "ok" (between MinFraction of the bound and the bound),
	// "above_bound" (a measurement is wrong), "below_bound" (decode far
	// slower than the GPU's memory allows: Detail names the usual causes),
	// "unknown" (no GPU bandwidth or no single-stream TPOT to compare;
	// "skipped" in runs before issue 21).
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
}

// Roofline verdicts.
const (
	RooflineOK      = "ok"
	RooflineAbove   = "above_bound"
	RooflineBelow   = "below_bound"
	RooflineUnknown = "unknown"
)

// Check is the roofline as a check, named "roofline": unknown when it
// could not be computed, failed only when below_bound and BelowFails
// (above_bound says a measurement is wrong, not the server).
func (r *Roofline) Check() Check {
	c := Check{Name: CheckRoofline, Value: r.Fraction, Threshold: r.MinFraction, Detail: r.Detail, Passed: true}
	switch r.Verdict {
	case RooflineUnknown, "skipped":
		c.Skipped = true
	case RooflineBelow:
		c.Passed = !r.BelowFails
	}
	return c
}
