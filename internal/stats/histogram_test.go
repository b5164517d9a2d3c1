package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramSummary(t *testing.T) {
	type testCase struct {
		name        string
		values      []float64
		want        Summary
		relQuantile float64 // allowed relative error of p50/p90/p99
		clamped     int64
		dropped     int64
		reason      string
	}
	run := func(t *testing.T, tc testCase) {
		h := NewHistogram()
		for _, v := range tc.values {
			h.Add(v)
		}
		got := h.Summary()
		assert.Equal(t, tc.want.N, got.N)
		assert.Equal(t, int64(tc.want.N), h.Count())
		assert.InDelta(t, tc.want.Mean, got.Mean, 1e-9*math.Abs(tc.want.Mean)+1e-12, "mean is exact")
		assert.Equal(t, tc.want.Max, got.Max, "max is exact")
		for _, q := range []struct {
			name      string
			want, got float64
		}{{"p50", tc.want.P50, got.P50}, {"p90", tc.want.P90, got.P90}, {"p99", tc.want.P99, got.P99}} {
			assert.InDelta(t, q.want, q.got, tc.relQuantile*q.want+1e-12, q.name)
			assert.LessOrEqual(t, q.got, got.Max, "%s never above max", q.name)
		}
		assert.Equal(t, tc.clamped, h.Clamped(), "clamped")
		assert.Equal(t, tc.dropped, h.Dropped(), "dropped")
	}
	ramp := make([]float64, 1000)
	for i := range ramp {
		ramp[i] = float64(i + 1)
	}
	for _, tc := range []testCase{
		{
			name: "empty", want: Summary{},
			reason: "n = 0 gives all zeros",
		},
		{
			name: "one value is exact", values: []float64{123.4567},
			want:   Summary{N: 1, Mean: 123.4567, P50: 123.4567, P90: 123.4567, P99: 123.4567, Max: 123.4567},
			reason: "quantiles are clipped to the exact min and max",
		},
		{
			name: "1..1000 ms", values: ramp,
			want:        Summary{N: 1000, Mean: 500.5, P50: 500, P90: 900, P99: 990, Max: 1000},
			relQuantile: 0.001,
			reason:      "HDR takes the value at rank round(q·n), within 3 significant digits",
		},
		{
			name: "sub-millisecond values keep their precision", values: []float64{0.25, 0.5, 0.75, 1.0},
			want:        Summary{N: 4, Mean: 0.625, P50: 0.5, P90: 1.0, P99: 1.0, Max: 1.0},
			relQuantile: 0.001,
			reason:      "values are recorded in µs, so 0.25 ms is 250 units, not 0",
		},
		{
			name:   "out of range is clamped and counted, NaN dropped",
			values: []float64{0, -1, 5, 5, 5, 7_200_000, math.NaN()},
			want: Summary{N: 6, Mean: (0 - 1 + 15 + 7_200_000) / 6.0, P50: 5, P90: 5, P99: 3_600_000,
				Max: 7_200_000},
			relQuantile: 0.001, clamped: 3, dropped: 1,
			reason: "0 and -1 go to 1 µs, 2 h to 1 h (p99, rank 6 of 6); mean and max see the true values",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestHistogramMatchesExactSummary(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	values := make([]float64, 20_000)
	h := NewHistogram()
	for i := range values {
		values[i] = 50 * math.Exp(rng.NormFloat64()) // log-normal latencies around 50 ms
		h.Add(values[i])
	}
	exact, got := Summarize(values), h.Summary()
	assert.Equal(t, exact.N, got.N)
	assert.InDelta(t, exact.Mean, got.Mean, 1e-9*exact.Mean)
	assert.Equal(t, exact.Max, got.Max)
	// Nearest rank vs linear interpolation differ by under one gap between
	// neighbours; with 20k values that and the 0.1 % buckets stay under 1 %.
	assert.InEpsilon(t, exact.P50, got.P50, 0.01)
	assert.InEpsilon(t, exact.P90, got.P90, 0.01)
	assert.InEpsilon(t, exact.P99, got.P99, 0.01)
}

func TestHistogramMerge(t *testing.T) {
	all, a, b := NewHistogram(), NewHistogram(), NewHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		v := 10 + 990*rng.Float64()
		all.Add(v)
		if i%3 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	a.Add(math.NaN())
	b.Add(-5)
	all.Add(-5)
	a.Merge(b)
	a.Merge(NewHistogram())
	a.Merge(nil)
	want, got := all.Summary(), a.Summary()
	require.Equal(t, want.N, got.N)
	assert.InDelta(t, want.Mean, got.Mean, 1e-9*want.Mean)
	assert.Equal(t, want.Max, got.Max)
	assert.Equal(t, want.P50, got.P50, "same buckets, same quantiles")
	assert.Equal(t, want.P99, got.P99)
	assert.Equal(t, int64(1), a.Clamped())
	assert.Equal(t, int64(1), a.Dropped())

	empty := NewHistogram()
	empty.Merge(b)
	assert.Equal(t, b.Summary(), empty.Summary(), "merging into an empty histogram copies min and max")
}

func TestCountAbove(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Add(float64(i)) // 1..1000 ms
	}
	assert.EqualValues(t, 0, NewHistogram().CountAbove(1), "empty")
	assert.EqualValues(t, 1000, h.CountAbove(0.5))
	assert.EqualValues(t, 900, h.CountAbove(100), "101..1000")
	assert.EqualValues(t, 0, h.CountAbove(1000))
}
