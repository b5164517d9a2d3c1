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
