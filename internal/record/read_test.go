package record

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	good := `{"test":"TestStability/mixed","scenario":"mixed","attempt":1,"start":"2025-10-22T23:14:36Z","stream":true,"status":200,"e2e_ms":10}`
	type testCase struct {
		name   string
		reason string
		in     string
		n      int
		errMsg string
	}
	run := func(t *testing.T, tc testCase) {
		recs, err := Read(strings.NewReader(tc.in))
		if tc.errMsg != "" {
			require.Error(t, err, tc.reason)
			assert.Contains(t, err.Error(), tc.errMsg, tc.reason)
			return
		}
		require.NoError(t, err, tc.reason)
		assert.Len(t, recs, tc.n, tc.reason)
	}
	testCases := []testCase{
		{name: "empty", reason: "a run killed before any request", in: "", n: 0},
		{name: "two lines", reason: "the normal case", in: good + "\n" + good + "\n", n: 2},
		{name: "cut last line", reason: "a run killed mid-write keeps every finished line", in: good + "\n" + good[:40], n: 1},
		{name: "bad middle line", reason: "corruption before the end is an error with its line", in: good + "\n{oops\n" + good + "\n", errMsg: "line 2"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
