package sidecar

import "github.com/vllm-acceptance/vllm-acceptance/internal/checkname"

// Check names: the "name" of a Check in metrics.json and in failure
// messages, declared from internal/checkname's one table (which
// ACCEPTANCE_FAIL_UNKNOWN is checked against and docs/reference.md lists).
const (
	// A load-style run (stability, concurrency, conversation).
	CheckSuccessRate   = checkname.SuccessRate
	CheckDegradation   = checkname.Degradation
	CheckGoodputRatio  = checkname.GoodputRatio
	CheckErrors        = checkname.Errors
	CheckLatencyGrowth = checkname.LatencyGrowth
	CheckLoadGenerator = checkname.LoadGenerator
	CheckRequests      = checkname.Requests
	// CheckTurns: every planned turn of a conversation ran.
	CheckTurns = checkname.Turns
	// CheckRun: the run named in the configuration exists.
	CheckRun = checkname.Run
	// CheckClientServerGap: what the path in front of the engine adds to
	// TTFT, against vLLM's own histogram (load.GapCheck).
	CheckClientServerGap = checkname.ClientServerGap
	// CheckShards: every shard of a merged load run finished.
	CheckShards = checkname.Shards
	// CheckWorkload: a trace replay's prompts could be built (the
	// calibration against the server answered).
	CheckWorkload = checkname.Workload
	// CheckPreemptions is a stability run's preemption check (the /metrics
	// sampler's scrape.PreemptionCheck).
	CheckPreemptions = checkname.Preemptions
	// The local GPU.
	CheckVRAMGrowth = checkname.VRAMGrowth
	CheckVRAMMax    = checkname.VRAMMax
	// The capacity search.
	CheckCapacity    = checkname.Capacity
	CheckMinCapacity = checkname.MinCapacity
	CheckSearch      = checkname.Search
	// CheckRoofline is the roofline as a check (Roofline.Check).
	CheckRoofline = checkname.Roofline
)

// Histogram keys in a run's "histograms" object.
const (
	HistTTFT = "ttft_ms"
	HistTTFO = "ttfo_ms"
	HistE2E  = "e2e_ms"
	HistTPOT = "tpot_ms"
	HistITL  = "itl_ms"
	HistTokS = "output_tokens_per_s"
)

// Capacity.Confidence values.
const (
	ConfidenceBracketed        = "bracketed"
	ConfidenceAtLeast          = "at_least"
	ConfidenceGeneratorLimited = "generator_limited"
	ConfidenceNone             = "none"
	// ConfidenceInterrupted: the suite's own stop cut a step, which is
	// not judged; the capacity is at least the highest passing rate.
	ConfidenceInterrupted = "interrupted"
)

// The latency_growth check's limits: a conversation turn's TTFT may be at
// most GrowthFactor times its prediction, or exceed it by at most
// GrowthSlackMs.
const (
	GrowthFactor  = 2.0
	GrowthSlackMs = 500
)
