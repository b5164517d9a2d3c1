package series

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeriesStaysBoundedAndEven(t *testing.T) {
	run := func(t *testing.T, maxN, n int) {
		s := Series[int]{Max: maxN}
		for i := range n {
			s.Add(i)
		}
		got := s.Items()
		require.NotEmpty(t, got)
		assert.LessOrEqual(t, len(got), max(maxN, 2), "never more than Max")
		assert.Equal(t, 0, got[0], "the first value is kept")
		if len(got) > 2 {
			step := got[1] - got[0]
			for i := 1; i < len(got)-1; i++ {
				assert.Equal(t, step, got[i]-got[i-1], "even spacing before the last doubling")
			}
			assert.GreaterOrEqual(t, got[len(got)-1], n/2, "the series spans the whole run, not its first half")
		}
	}
	for _, tc := range []struct {
		name   string
		max, n int
	}{
		{"under the bound: everything kept", 10, 7},
		{"exactly full", 8, 8},
		{"one over", 8, 9},
		{"many times over", 16, 1000},
		{"Max below 2 is 2", 0, 50},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.max, tc.n) })
	}
}

func TestSeriesUnderBoundKeepsAll(t *testing.T) {
	s := Series[string]{Max: 5}
	for _, v := range []string{"a", "b", "c"} {
		s.Add(v)
	}
	assert.Equal(t, []string{"a", "b", "c"}, s.Items())
	assert.Equal(t, 3, s.Len())
}
