package sidecar

// Check names: the "name" of a Check in metrics.json and in failure
// messages, defined here once for every package that writes or reads them.
const (
	// A load-style run (stability, concurrency, conversation).
	CheckSuccessRate   = "success_rate"
	CheckDegradation   = "degradation"
	CheckGoodputRatio  = "goodput_ratio"
	CheckErrors        = "errors"
	CheckLatencyGrowth = "latency_growth"
	CheckLoadGenerator = "load_generator"
	CheckRequests      = "requests"
	// CheckTurns: every planned turn of a conversation ran.
	CheckTurns = "turns"
	// CheckClientServerGap: what the path in front of the engine adds to
	// TTFT, against vLLM's own histogram (load.GapCheck).
	CheckClientServerGap = "client_server_gap"
	// CheckShards: every shard of a merged load run finished.
	CheckShards = "shards"
	// CheckWorkload: a trace replay's prompts could be built (the
	// calibration against the server answered).
	CheckWorkload = "workload"
	// CheckPreemptions is a stability run's preemption check;
	// CheckNoPreemptions the /metrics sampler's own name for it.
	CheckPreemptions   = "preemptions"
	CheckNoPreemptions = "no_preemptions"
	// The local GPU.
	CheckVRAMGrowth = "vram_growth"
	CheckVRAMMax    = "vram_max"
	// The capacity search.
	CheckCapacity    = "capacity"
	CheckMinCapacity = "min_capacity"
	CheckSearch      = "search"
	// CheckRoofline is the roofline as a check (Roofline.Check).
	CheckRoofline = "roofline"
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
)

// The latency_growth check's limits: a conversation turn's TTFT may be at
// most GrowthFactor times its prediction, or exceed it by at most
// GrowthSlackMs.
const (
	GrowthFactor  = 2.0
	GrowthSlackMs = 500
)
