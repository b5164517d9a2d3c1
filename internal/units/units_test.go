package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormats(t *testing.T) {
	type testCase struct {
		name   string
		format func(float64) string
		in     float64
		want   string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		assert.Equal(t, tc.want, tc.format(tc.in), tc.reason)
	}
	for _, tc := range []testCase{
		{"percent whole", Percent, 0.8, "80 %", "prose drops a zero decimal"},
		{"percent one decimal", Percent, 0.125, "12.5 %", "one decimal when there is one"},
		{"percent rounds", Percent, 0.12345, "12.3 %", "never more than one decimal"},
		{"percent negative", Percent, -0.02, "-2 %", "ASCII minus"},
		{"percent zero", Percent, 0, "0 %", ""},
		{"percent fixed", PercentFixed, 0.8, "80.0 %", "a column keeps its decimal"},
		{"percent fixed small", PercentFixed, 0.0004, "0.0 %", ""},
		{"signed rise", SignedPercent, 0.043, "+4.3 %", "a change shows its sign"},
		{"signed fall", SignedPercent, -0.02, "-2 %", "one minus sign: ASCII"},
		{"signed zero", SignedPercent, 0, "+0 %", "no change reads as +0"},
		{"signed fixed rise", SignedPercentFixed, 0.043, "+4.3 %", ""},
		{"signed fixed fall", SignedPercentFixed, -0.02, "-2.0 %", "same minus as prose"},
		{"ms sub-millisecond", Ms, 0.123, "0.12 ms", "a dispatch lag needs two decimals"},
		{"ms single digits", Ms, 9.54, "9.5 ms", "one decimal under 10 ms"},
		{"ms tens", Ms, 41.4, "41 ms", "whole milliseconds from 10 ms"},
		{"ms hundreds", Ms, 812.4, "812 ms", ""},
		{"ms seconds", Ms, 1900, "1.90 s", "seconds from 1000 ms, two decimals: a 4 % change in a window median shows"},
		{"ms seconds round", Ms, 2349, "2.35 s", ""},
		{"ms negative", Ms, -141, "-141 ms", "a difference keeps its sign and size class"},
		{"ms fixed", MsFixed, 812.04, "812.0 ms", "a column keeps its decimal"},
		{"ms fixed small", MsFixed, 0.04, "0.0 ms", ""},
		{"seconds", Seconds, 12.46, "12.5 s", "one decimal"},
		{"tokens per second", TokensPerS, 41.26, "41.3 tok/s", "one decimal"},
		{"mebibytes", MiB, 812.4, "812 MiB", "whole MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
