package stats

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

const threshold = 0.20

// countFails runs Degradation on seeds 1..seeds of a simulated series.
func countFails(seeds uint64, gen func(seed uint64) []float64) int {
	fails := 0
	for s := uint64(1); s <= seeds; s++ {
		if !Degradation(gen(s), threshold).Passed {
			fails++
		}
	}
	return fails
}

// TestDegradationRequirements holds the two promises of the brief: a 40 %
// linear rise fails in every seed, ±30 % noise with no trend passes in at
// least 19 of 20.
func TestDegradationRequirements(t *testing.T) {
	type testCase struct {
		name      string
		n         int
		growth    float64
		noise     float64
		wantFails func(t *testing.T, fails int)
		reason    string
	}
	all := func(t *testing.T, fails int) { assert.Equal(t, 20, fails, "every seed must fail") }
	atMostOne := func(t *testing.T, fails int) { assert.LessOrEqual(t, fails, 1, "at least 19 of 20 must pass") }
	run := func(t *testing.T, tc testCase) {
		fails := countFails(20, func(s uint64) []float64 { return simulate(s, tc.n, tc.growth, tc.noise) })
		t.Logf("%d of 20 seeds failed", fails)
		tc.wantFails(t, fails)
	}
	var cases []testCase
	for _, n := range []int{10, 20, 50} {
		cases = append(cases,
			testCase{name: fmt.Sprintf("n=%d rise 40%% no noise", n), n: n, growth: 0.4, wantFails: all,
				reason: "a clean 40 % rise is twice the limit"},
			testCase{name: fmt.Sprintf("n=%d rise 40%% noise 10%%", n), n: n, growth: 0.4, noise: 0.1, wantFails: all,
				reason: "±10 % noise must not hide a 40 % rise, even at 10 requests per class"},
			testCase{name: fmt.Sprintf("n=%d flat noise 30%%", n), n: n, noise: 0.3, wantFails: atMostOne,
				reason: "noise alone is not degradation"},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestDegradationMeasuredRates pins the rates quoted in Degradation's doc
// comment (1000 seeds); change both together.
func TestDegradationMeasuredRates(t *testing.T) {
	if testing.Short() {
		t.Skip("1000-seed simulation")
	}
	type testCase struct {
		name   string
		n      int
		growth float64
		noise  float64
		want   int // failures of 1000
	}
	run := func(t *testing.T, tc testCase) {
		got := countFails(1000, func(s uint64) []float64 { return simulate(s, tc.n, tc.growth, tc.noise) })
		t.Logf("%d of 1000 failed", got)
		assert.Equal(t, tc.want, got)
	}
	for _, tc := range []testCase{
		{name: "n=10 rise 40% noise 10%", n: 10, growth: 0.4, noise: 0.1, want: 975},
		{name: "n=20 rise 40% noise 10%", n: 20, growth: 0.4, noise: 0.1, want: 1000},
		{name: "n=50 rise 40% noise 10%", n: 50, growth: 0.4, noise: 0.1, want: 1000},
		{name: "n=10 rise 40% noise 30%", n: 10, growth: 0.4, noise: 0.3, want: 154},
		{name: "n=20 rise 40% noise 30%", n: 20, growth: 0.4, noise: 0.3, want: 494},
		{name: "n=50 rise 40% noise 30%", n: 50, growth: 0.4, noise: 0.3, want: 928},
		{name: "n=10 flat noise 30%", n: 10, noise: 0.3, want: 4},
		{name: "n=20 flat noise 30%", n: 20, noise: 0.3, want: 12},
		{name: "n=50 flat noise 30%", n: 50, noise: 0.3, want: 17},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestDegradationCases(t *testing.T) {
	type testCase struct {
		name       string
		series     []float64
		passed     bool
		wantReason string // Reason expected in the result
		trend      float64
		ci         Interval
		ratio      float64
		detail     string // exact Detail when set
		reason     string
	}
	run := func(t *testing.T, tc testCase) {
		got := Degradation(tc.series, threshold)
		assert.Equal(t, tc.passed, got.Passed, got.Detail)
		assert.Equal(t, tc.wantReason, got.Reason)
		assert.Equal(t, DegradationMethod, got.Method)
		assert.InDelta(t, tc.trend, got.Trend, 1e-4, "trend")
		assert.Equal(t, got.Trend, got.Value, "value is the trend")
		assert.InDelta(t, tc.ci.Low, got.TrendCI.Low, 1e-4, "ci low")
		assert.InDelta(t, tc.ci.High, got.TrendCI.High, 1e-4, "ci high")
		assert.InDelta(t, tc.ratio, got.WindowRatio, 1e-4, "window ratio")
		if tc.detail != "" {
			assert.Equal(t, tc.detail, got.Detail)
		}
	}
	lin := func(n int, from, to float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = from + (to-from)*float64(i)/float64(n-1)
		}
		return out
	}
	rep := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	nan := math.NaN()
	for _, tc := range []testCase{
		{
			name: "clean 40 % rise over 10", series: lin(10, 1000, 1400),
			passed: false, wantReason: "trend", trend: 0.4, ci: Interval{0.4, 0.4}, ratio: 1355.5556/1044.4444 - 1,
			detail: "grew 40 % over 10 requests (97.5 % CI 40 %..40 %), window medians 1.04 s -> 1.36 s (3 requests each)",
			reason: "the brief's case: twice the limit, and every pairwise slope agrees",
		},
		{
			name: "NaNs are skipped", series: append(append([]float64{nan}, lin(10, 1000, 1400)...), nan),
			passed: false, wantReason: "trend", trend: 0.4, ci: Interval{0.4, 0.4}, ratio: 1355.5556/1044.4444 - 1,
			reason: "a NaN is no request; it must not shift the fit",
		},
		{
			name: "flat", series: rep(100, 10),
			passed: true, detail: "grew 0 % over 10 requests (97.5 % CI 0 %..0 %), window medians 100 ms -> 100 ms (3 requests each)",
			reason: "no change at all",
		},
		{
			name: "falling", series: lin(10, 1400, 1000),
			passed: true, trend: -400.0 / 1400, ci: Interval{-400.0 / 1400, -400.0 / 1400}, ratio: 1044.4444/1355.5556 - 1,
			detail: "fell 28.6 % over 10 requests (97.5 % CI -28.6 %..-28.6 %), window medians 1.36 s -> 1.04 s (3 requests each)",
			reason: "getting faster (a warming cache) is not degradation",
		},
		{
			name: "clean 15 % rise over 20 is real but small", series: lin(20, 1000, 1150),
			passed: true, trend: 0.15, ci: Interval{0.15, 0.15}, ratio: (1000+150*17.0/19)/(1000+150*2.0/19) - 1,
			reason: "significance alone does not fail: the growth must also exceed the limit",
		},
		{
			name: "clean 25 % rise over 20", series: lin(20, 1000, 1250),
			passed: false, wantReason: "trend", trend: 0.25, ci: Interval{0.25, 0.25}, ratio: (1000+250*17.0/19)/(1000+250*2.0/19) - 1,
			reason: "just over the limit, with no noise to doubt it",
		},
		{
			name: "the load package's long class, 1030 + 60k", series: lin(20, 1030, 1030+60*19),
			passed: false, wantReason: "trend", trend: 60 * 19 / 1030.0, ci: Interval{60 * 19 / 1030.0, 60 * 19 / 1030.0},
			ratio:  (1030+60*17.0)/(1030+60*2.0) - 1,
			reason: "internal/load's TestStabilityJudgesEachClassOnItsOwn expects this class to fail",
		},
		{
			name: "late step in 10 requests: the known blind spot", series: append(rep(1000, 8), 1500, 1500),
			// 29 zero slopes, then 500/9, 500/8 ×2, 500/7 ×2, 500/6 ×2, 500/5 ...;
			// the upper rank (45+C)/2+1 with C = zTrend·√125 is 36.03: the 7th
			// positive slope (500/6) plus 0.03 of the way to the 8th (500/5),
			// scaled by 9/1000.
			passed: true, trend: 0, ci: Interval{0, (500.0/6 + upperFrac(45, 10)*(500.0/5-500.0/6)) * 9 / 1000},
			ratio:  0.5,
			detail: "grew 0 % over 10 requests (97.5 % CI 0 %..75.4 %), window medians 1.00 s -> 1.50 s (3 requests each)",
			reason: "windows of 3 are too small for the step clause (noise lines them up 1 run in 20); the trend misses a jump in the last two requests: documented",
		},
		{
			name: "late step in 20 requests", series: append(rep(1000, 16), 1500, 1500, 1500, 1500),
			// 126 zero slopes of 190; the upper rank (190+C)/2+1 with
			// C = zTrend·√950 is 130.54: between the 4th and 5th positive
			// slopes, both 500/17; scaled by 19/1000.
			passed: false, wantReason: "step", trend: 0, ci: Interval{0, 500.0 / 17 * 19 / 1000},
			ratio:  0.5,
			detail: "grew 0 % over 20 requests (97.5 % CI 0 %..55.9 %), window medians 1.00 s -> 1.50 s (5 requests each); step change: last window 50 % above the first, over 2x the 20 % limit",
			reason: "with windows of 5 the step clause sees the jump the median of slopes plays down",
		},
		{
			name: "one slow request at the end", series: append(rep(1000, 9), 3000),
			// 36 zero slopes, then 2000/9 ...: the upper rank 36.03 lies 0.03 of
			// the way from the last zero to 2000/9.
			passed: true, ci: Interval{0, upperFrac(45, 10) * 2000.0 / 9 * 9 / 1000},
			reason: "a single outlier is not a trend: medians and the median slope ignore it",
		},
		{
			name: "too few", series: []float64{100, 200},
			passed: true, detail: "only 2 requests: too few to judge (need 3)",
			reason: "no trend can be estimated from two points",
		},
		{
			name: "empty", series: nil,
			passed: true, detail: "only 0 requests: too few to judge (need 3)",
			reason: "the caller reports no completed request on its own",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestDegradationSteps: a sustained jump is caught by one clause or the
// other once the windows can see it.
func TestDegradationSteps(t *testing.T) {
	type testCase struct {
		name     string
		n, at    int
		step     float64
		noise    float64
		minFails int // of 20 seeds
		reason   string
	}
	run := func(t *testing.T, tc testCase) {
		fails := countFails(20, func(s uint64) []float64 { return simulateStep(s, tc.n, tc.at, tc.step, tc.noise) })
		t.Logf("%d of 20 seeds failed", fails)
		assert.GreaterOrEqual(t, fails, tc.minFails)
	}
	for _, tc := range []testCase{
		{name: "n=20, +50 % from request 15, noise 10 %", n: 20, at: 15, step: 0.5, noise: 0.1, minFails: 19,
			reason: "the last quarter jumps: window ratio ~0.5 and the windows separate"},
		{name: "n=50, +50 % from request 38, noise 10 %", n: 50, at: 38, step: 0.5, noise: 0.1, minFails: 20,
			reason: "the same at 50 requests"},
		{name: "n=20, +50 % from the middle, noise 10 %", n: 20, at: 10, step: 0.5, noise: 0.1, minFails: 20,
			reason: "a mid-run jump is a trend for Theil–Sen too"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// upperFrac is the fractional part of Sen's upper rank (N+C)/2+1 for N
// pairwise slopes of n points at the trend test's level.
func upperFrac(bigN, n float64) float64 {
	c := zTrend * math.Sqrt(n*(n-1)*(2*n+5)/18)
	r := (bigN+c)/2 + 1
	return r - math.Floor(r)
}
