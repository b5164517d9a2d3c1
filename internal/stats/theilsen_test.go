package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func seq(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	return x
}

func TestTheilSen(t *testing.T) {
	type testCase struct {
		name             string
		x, y             []float64
		slope, intercept float64
		ci               Interval
		reason           string
	}
	run := func(t *testing.T, tc testCase) {
		slope, intercept, ci := TheilSen(tc.x, tc.y)
		assert.InDelta(t, tc.slope, slope, 1e-9, "slope")
		assert.InDelta(t, tc.intercept, intercept, 1e-9, "intercept")
		assert.InDelta(t, tc.ci.Low, ci.Low, 1e-9, "ci low")
		assert.InDelta(t, tc.ci.High, ci.High, 1e-9, "ci high")
	}
	for _, tc := range []testCase{
		{
			name: "exact line", x: seq(8), y: []float64{1, 3, 5, 7, 9, 11, 13, 15},
			slope: 2, intercept: 1, ci: Interval{2, 2},
			reason: "every pairwise slope is 2, so is every rank of them",
		},
		{
			name: "one wild outlier", x: seq(10), y: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 100},
			slope: 1, intercept: 0, ci: Interval{1, 1},
			reason: "9 of 45 slopes touch the outlier; the median and ranks 11.5..35.5 do not",
		},
		{
			name: "n = 10 by hand", x: seq(10), y: []float64{10, 12, 11, 15, 13, 16, 18, 17, 20, 19},
			slope: 1, intercept: 10.5, ci: Interval{2.0/3 + 0.5434681563690*(0.75-2.0/3), 1.5},
			reason: "N = 45, C = 1.959964·√125 = 21.913: ranks 11.543 (between 2/3 and 3/4) and 35.457 (both 1.5)",
		},
		{
			name: "n = 6 by hand", x: seq(6), y: []float64{1, 3, 2, 5, 4, 6},
			slope: 1, intercept: 1, ci: Interval{-1 + 0.2836474675772*(1.0/3+1), 2},
			reason: "N = 15, C = 10.433: ranks 2.284 (between -1 and 1/3) and 13.716 (both 2)",
		},
		{
			name: "n = 5 clips the ranks", x: seq(5), y: []float64{1, 3, 2, 5, 4},
			slope: 0.875, intercept: 1, ci: Interval{-1, 3},
			reason: "M1 = 0.9992 < 1: too few points for 95 %, the extreme slopes are returned",
		},
		{
			name: "unequal spacing", x: []float64{0, 1, 3, 7}, y: []float64{5, 8, 14, 26},
			slope: 3, intercept: 5, ci: Interval{3, 3},
			reason: "slopes divide by the x distance, not the index distance",
		},
		{
			name: "all x equal", x: []float64{2, 2, 2}, y: []float64{1, 2, 4},
			slope: 0, intercept: 2, ci: Interval{},
			reason: "no pair defines a slope: flat at the median",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
