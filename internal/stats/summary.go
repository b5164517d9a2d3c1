// Package stats aggregates request records into the figures the sidecar
// carries: quantile summaries, rates with confidence intervals, and the
// degradation estimate of a stability run. Everything here is pure.
package stats

// Summary is the {n, mean, p50, p90, p99, max} object of CONTRACT.md. With
// n = 0 every other field is 0.
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Interval is a two-sided confidence interval.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}
