package selftest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCapacityBadInput: the bad inputs, each a short child run of
// TestCapacity alone.
func TestCapacityBadInput(t *testing.T) {
	type tc struct {
		name  string
		spec  string
		extra map[string]string
		check func(t *testing.T, o Outcome)
	}
	run := func(t *testing.T, c tc) {
		o := Run(t, capacityEnv(t, c.spec, c.extra), 2*time.Minute, "-test.run", "^TestCapacity$")
		c.check(t, o)
	}
	for _, c := range []tc{
		{
			name: "fails even the lowest rate: capacity 0 with the first failing step, no hang",
			spec: "server_error", extra: map[string]string{"ACCEPTANCE_CAPACITY_START_RATE": "10"},
			check: func(t *testing.T, o Outcome) {
				assert.Equal(t, "FAIL", o.Tests["TestCapacity"])
				c := capacitySection(t, o)
				assert.Zero(t, c.MaxRatePerS)
				require.Len(t, c.Steps, 1, "the search stops at the first failing step")
				assert.Equal(t, "fail", c.Steps[0].Outcome)
				assert.Positive(t, c.Steps[0].Errors["http_500"], "errors counted by status")
				assert.Contains(t, o.Output, "the first step, at 10 req/s, failed")
			},
		},
		{
			name: "never breaks the SLO within the bounds: at least the highest rate",
			spec: "healthy?ttft=5ms&itl=1ms", extra: map[string]string{"ACCEPTANCE_CAPACITY_START_RATE": "10", "ACCEPTANCE_CAPACITY_MAX_RATE": "40",
				"ACCEPTANCE_CAPACITY_STEP": "1s", "ACCEPTANCE_CAPACITY_WARMUP": "200ms"},
			check: func(t *testing.T, o Outcome) {
				assert.Equal(t, "PASS", o.Tests["TestCapacity"], tail(o.Output))
				c := capacitySection(t, o)
				assert.Equal(t, "at_least", c.Confidence, c.StopReason)
				assert.Equal(t, 40.0, c.MaxRatePerS)
				assert.Contains(t, o.Output, "at least 40 req/s")
			},
		},
		{
			name: "errors mid-search: counted, the step failed",
			spec: "batching?ttft=50ms&itl=10ms&batch_k=16&error_rate=0.2", extra: map[string]string{"ACCEPTANCE_CAPACITY_START_RATE": "8", "ACCEPTANCE_MIN_GOODPUT_RATIO": "0.5"},
			check: func(t *testing.T, o Outcome) {
				c := capacitySection(t, o)
				require.NotEmpty(t, c.Steps)
				st := c.Steps[0]
				assert.NotEqual(t, "pass", st.Outcome, "20 %% errors is past the 5 %% budget")
				assert.Positive(t, st.Errors["http_500"])
				assert.Contains(t, st.Reason, "failed")
			},
		},
		{
			name: "an SLO below the idle server's latency: refused, one line",
			spec: "batching?ttft=50ms&itl=10ms&batch_k=16", extra: map[string]string{"ACCEPTANCE_SLO_TPOT": "5ms"},
			check: func(t *testing.T, o Outcome) {
				assert.Equal(t, "FAIL", o.Tests["TestCapacity"])
				c := capacitySection(t, o)
				assert.Empty(t, c.Steps, "no load is sent")
				assert.Contains(t, o.Output, "ACCEPTANCE_SLO_TPOT=5ms is below the idle server's TPOT")
			},
		},
		{
			name: "a zero budget: refused at start, one line",
			spec: "healthy", extra: map[string]string{"ACCEPTANCE_CAPACITY_MAX_REQUESTS": "0"},
			check: func(t *testing.T, o Outcome) {
				assert.Equal(t, "FAIL", o.Tests["TestCapacity"])
				lines := 0
				for _, l := range strings.Split(o.Output, "\n") {
					if strings.Contains(l, "ACCEPTANCE_CAPACITY_MAX_REQUESTS: must be at least 1") {
						lines++
					}
				}
				assert.Positive(t, lines, tail(o.Output))
				assert.Empty(t, o.Records, "nothing sent")
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
}
