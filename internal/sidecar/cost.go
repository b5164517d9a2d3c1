package sidecar

// Cost is what the capacity found costs: the GPUs' price per hour over
// the good tokens per hour at the highest rate within the SLOs. A figure
// the run could not know (no GPU count, no passing step) is absent, with
// Note saying why: unknown, never zero.
type Cost struct {
	// GPUHourPrice is ACCEPTANCE_GPU_HOUR_PRICE; GPUs the count priced,
	// GPUsSource where it came from ("ACCEPTANCE_GPU_COUNT", "NVML",
	// "expected config").
	GPUHourPrice float64 `json:"gpu_hour_price"`
	GPUs         int     `json:"gpus,omitempty"`
	GPUsSource   string  `json:"gpus_source,omitempty"`
	// RatePerS is the capacity (max_rate_per_s) the cost is taken at;
	// GoodTokensPerS the good tokens per second there: the step's goodput
	// (rate × goodput ratio) times its good requests' mean completion
	// tokens.
	RatePerS       float64  `json:"rate_per_s"`
	GoodTokensPerS *float64 `json:"good_tokens_per_s,omitempty"`
	// PerMillionGoodTokens is GPUHourPrice × GPUs / (GoodTokensPerS × 3600) × 1e6.
	PerMillionGoodTokens *float64 `json:"per_million_good_tokens,omitempty"`
	Note                 string   `json:"note,omitempty"`
}
