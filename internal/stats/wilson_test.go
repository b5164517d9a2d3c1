package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWilson(t *testing.T) {
	type testCase struct {
		name   string
		k, n   int
		want   Interval
		delta  float64
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		got := Wilson(tc.k, tc.n)
		assert.InDelta(t, tc.want.Low, got.Low, tc.delta, "low")
		assert.InDelta(t, tc.want.High, got.High, tc.delta, "high")
		assert.LessOrEqual(t, got.Low, got.High)
	}
	const lit = 5e-5 // published to 4 decimals
	for _, tc := range []testCase{
		{name: "81/263", k: 81, n: 263, want: Interval{0.2553, 0.3662}, delta: lit,
			reason: "Newcombe (1998) Table II, example (a), method 3"},
		{name: "15/148", k: 15, n: 148, want: Interval{0.0624, 0.1605}, delta: lit,
			reason: "Newcombe (1998) Table II, example (b)"},
		{name: "0/20", k: 0, n: 20, want: Interval{0, 0.1611}, delta: lit,
			reason: "Newcombe (1998) Table II, example (c): the lower bound is exactly 0"},
		{name: "1/29", k: 1, n: 29, want: Interval{0.0061, 0.1718}, delta: lit,
			reason: "Newcombe (1998) Table II, example (d)"},
		{name: "10/10", k: 10, n: 10, want: Interval{0.7225, 1}, delta: lit,
			reason: "all passed: the upper bound is exactly 1, the lower one well under it"},
		{name: "3/3", k: 3, n: 3, want: Interval{0.4385, 1}, delta: lit,
			reason: "three tool-call repeats, all passed: far from proving a 100 % rate"},
		{name: "5/10", k: 5, n: 10, want: Interval{0.2366, 0.7634}, delta: lit,
			reason: "symmetric around 0.5"},
		{name: "n = 0", k: 0, n: 0, want: Interval{0, 1}, delta: 0,
			reason: "no trials, nothing known"},
		{name: "k > n is clamped", k: 12, n: 10, want: Interval{0.7225, 1}, delta: lit,
			reason: "a miscount must not give an interval above 1"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
