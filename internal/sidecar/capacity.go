package sidecar

import "github.com/vllm-acceptance/vllm-acceptance/internal/stats"

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
	// Probe is the saturating closed loop that bounded the throughput
	// before the steps (nil when the search did not run one).
	Probe *CapacityProbe `json:"probe,omitempty"`
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
	Shards int `json:"shards,omitempty"`
	// Cost is the cost per million good tokens at MaxRatePerS, with
	// ACCEPTANCE_GPU_HOUR_PRICE (cost.go); nil without a price.
	Cost    *Cost   `json:"cost,omitempty"`
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

// CapacityProbe is a short closed loop at the server's batch limit: its
// throughput is a rate no open loop can sustain, the ceiling the search
// bisects under until a step fails.
type CapacityProbe struct {
	// Concurrency is the closed loop's requests in flight, and
	// ConcurrencySource where it came from: "max_num_seqs" (vLLM's
	// /metrics), "kv_cache" (num_gpu_blocks × block_size over a request's
	// tokens) or "default".
	Concurrency       int    `json:"concurrency"`
	ConcurrencySource string `json:"concurrency_source"`
	Requests          int    `json:"requests"`
	Completed         int    `json:"completed"`
	// ThroughputPerS is the completed requests over their mean
	// end-to-end latency's share of the loop (Concurrency / mean E2E);
	// 0 when none completed.
	ThroughputPerS float64 `json:"throughput_per_s"`
	DurationS      float64 `json:"duration_s"`
	// Detail says how the ceiling was read, or why there is none.
	Detail string `json:"detail,omitempty"`
}

// CapacityStep is one open-loop step of the search.
type CapacityStep struct {
	RatePerS float64 `json:"rate_per_s"`
	// Outcome: "pass", "fail", "saturated" (stopped early, a failure),
	// "limited" (the load generator fell behind: not the server's figure)
	// or "not_judged" (the suite's own stop cut it: never a failing bound).
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// Warmup arrivals were sent first and are not counted; Planned counted
	// arrivals followed, of which Sent finished before the step ended
	// (fewer when it stopped early).
	Warmup    int `json:"warmup"`
	Planned   int `json:"planned"`
	Sent      int `json:"sent"`
	Completed int `json:"completed"`
	Good      int `json:"good"`
	// Late counted requests were still running when the drain ended,
	// past the TTFT SLO plus every token at the TPOT SLO: judged outside
	// the SLOs without waiting (docs/capacity.md).
	Late         int             `json:"late,omitempty"`
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
	// Energy is the local GPUs' energy over the step, warm-up included
	// (its tokens too), and joules per output and per good token.
	Energy *Energy `json:"energy,omitempty"`
	Checks []Check `json:"checks"`
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
