package compare

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestDefaultsEqualDefaultYAML keeps the code's defaults and the shipped file
// in step: a change to one without the other fails here.
func TestDefaultsEqualDefaultYAML(t *testing.T) {
	fh, err := os.Open("../../tolerances/default.yaml")
	require.NoError(t, err)
	defer fh.Close()
	// Decode over zero values, so a key missing from the file shows up too.
	var tol Tolerances
	dec := yaml.NewDecoder(fh)
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&tol))
	assert.Equal(t, DefaultTolerances(), tol)
	require.NoError(t, DefaultTolerances().Validate())
}

func TestLoadTolerances(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		yaml   string
		check  func(t *testing.T, tol Tolerances)
		errMsg string
	}
	run := func(t *testing.T, tc testCase) {
		tol, err := LoadTolerances(strings.NewReader(tc.yaml))
		if tc.errMsg != "" {
			require.Error(t, err, tc.reason)
			assert.Contains(t, err.Error(), tc.errMsg, tc.reason)
			return
		}
		require.NoError(t, err, tc.reason)
		tc.check(t, tol)
	}
	testCases := []testCase{
		{name: "empty file", reason: "no keys keeps every default", yaml: "",
			check: func(t *testing.T, tol Tolerances) { assert.Equal(t, DefaultTolerances(), tol) }},
		{name: "partial override", reason: "a file sets only what it changes",
			yaml: "latency:\n  ttft_p90: {max_increase: 0.25}\n",
			check: func(t *testing.T, tol Tolerances) {
				assert.Equal(t, 0.25, tol.Latency.TTFTP90.MaxIncrease)
				assert.Equal(t, 10.0, tol.Latency.TTFTP90.AbsMs, "keys left out of a mapping keep their default")
				assert.Equal(t, DefaultTolerances().Latency.TTFTP50, tol.Latency.TTFTP50)
			}},
		{name: "unknown key", reason: "a typo must not silently keep the default", yaml: "latency:\n  ttft_p95: {max_increase: 0.1}\n", errMsg: "ttft_p95"},
		{name: "negative", reason: "a negative tolerance would fail equal runs", yaml: "throughput:\n  max_drop: -0.1\n", errMsg: "throughput.max_drop"},
		{name: "drop of 100 %", reason: "a drop of 1 accepts zero throughput", yaml: "throughput:\n  max_drop: 1\n", errMsg: "below 1"},
		{name: "not yaml", reason: "garbage names the file's keys", yaml: "[[[", errMsg: "tolerances/default.yaml"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
