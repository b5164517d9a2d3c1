package stats

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarize(t *testing.T) {
	type testCase struct {
		name   string
		values []float64
		want   Summary
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		in := append([]float64(nil), tc.values...)
		got := Summarize(tc.values)
		assert.Equal(t, tc.want.N, got.N)
		assert.InDelta(t, tc.want.Mean, got.Mean, 1e-9, "mean")
		assert.InDelta(t, tc.want.P50, got.P50, 1e-9, "p50")
		assert.InDelta(t, tc.want.P90, got.P90, 1e-9, "p90")
		assert.InDelta(t, tc.want.P99, got.P99, 1e-9, "p99")
		assert.InDelta(t, tc.want.Max, got.Max, 1e-9, "max")
		assert.Equal(t, fmt.Sprint(in), fmt.Sprint(tc.values), "the input is not reordered")
	}
	for _, tc := range []testCase{
		{
			name: "empty", values: nil, want: Summary{},
			reason: "n = 0 gives all zeros, as docs/outputs.md says",
		},
		{
			name: "one value", values: []float64{7}, want: Summary{N: 1, Mean: 7, P50: 7, P90: 7, P99: 7, Max: 7},
			reason: "every quantile of one value is that value",
		},
		{
			name: "numpy docs-style example, unsorted", values: []float64{50, 15, 40, 20, 35},
			want:   Summary{N: 5, Mean: 32, P50: 35, P90: 46, P99: 49.6, Max: 50},
			reason: "np.percentile([15,20,35,40,50], [50,90,99]) = 35, 46, 49.6 (linear)",
		},
		{
			name: "even count interpolates the median", values: []float64{4, 3, 2, 1},
			want:   Summary{N: 4, Mean: 2.5, P50: 2.5, P90: 3.7, P99: 3.97, Max: 4},
			reason: "h = 3q: p50 between 2 and 3, p90 = 3 + 0.7",
		},
		{
			name: "NaN is ignored", values: []float64{1, math.NaN(), 3},
			want:   Summary{N: 2, Mean: 2, P50: 2, P90: 2.8, P99: 2.98, Max: 3},
			reason: "a NaN would poison the sort and the mean",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
