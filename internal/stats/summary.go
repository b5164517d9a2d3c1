// Package stats aggregates request records into the figures the sidecar
// carries: quantile summaries, rates with confidence intervals, and the
// degradation estimate of a stability run. Everything here is pure.
package stats

import (
	"math"
	"slices"
)

// Summary is the {n, mean, p50, p90, p99, max} object of docs/outputs.md. With
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

// Summarize is the exact Summary of a small set of values (a few thousand at
// most; it sorts a copy). Quantiles use linear interpolation between order
// statistics, numpy's default (method="linear", R's type 7): with the values
// sorted as x[0..n-1] and h = (n-1)·q, Q(q) = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1]-x[⌊h⌋]).
// NaN values are ignored. For large or streaming sets use Histogram.
func Summarize(values []float64) Summary {
	xs := make([]float64, 0, len(values))
	sum := 0.0
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		xs = append(xs, v)
		sum += v
	}
	if len(xs) == 0 {
		return Summary{}
	}
	slices.Sort(xs)
	return Summary{
		N:    len(xs),
		Mean: sum / float64(len(xs)),
		P50:  quantileSorted(xs, 0.50),
		P90:  quantileSorted(xs, 0.90),
		P99:  quantileSorted(xs, 0.99),
		Max:  xs[len(xs)-1],
	}
}

// quantileSorted is numpy's linear quantile of sorted, non-empty xs.
func quantileSorted(xs []float64, q float64) float64 {
	h := float64(len(xs)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}

// median is the linear-interpolation median of xs (0 for none). It sorts a
// copy.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, 0.5)
}
