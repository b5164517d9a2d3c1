package sidecar

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
	Verdict            string  `json:"verdict"` // "ok", "above_bound", "skipped"
	Detail             string  `json:"detail"`
}
