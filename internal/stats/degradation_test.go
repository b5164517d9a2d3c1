package stats

import (
	"fmt"
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
		{name: "n=10 rise 40% noise 10%", n: 10, growth: 0.4, noise: 0.1, want: 992},
		{name: "n=20 rise 40% noise 10%", n: 20, growth: 0.4, noise: 0.1, want: 1000},
		{name: "n=50 rise 40% noise 10%", n: 50, growth: 0.4, noise: 0.1, want: 1000},
		{name: "n=10 flat noise 30%", n: 10, noise: 0.3, want: 25},
		{name: "n=20 flat noise 30%", n: 20, noise: 0.3, want: 24},
		{name: "n=50 flat noise 30%", n: 50, noise: 0.3, want: 25},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
