package selftest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestCapacityInterrupted: SIGTERM (a CI job's time limit) reaches the
// suite during the seed-paced search's second step. That step is not
// judged: it is never the failing bound, and the capacity reads "at least
// <the first step's rate> (interrupted)", not "0" or a bracket closed by
// the cut step; metrics.json says complete: false.
func TestCapacityInterrupted(t *testing.T) {
	env := capacityEnv(t, "seed_pace", map[string]string{
		"ACCEPTANCE_SLO_TPOT":          "100ms",
		"ACCEPTANCE_MIN_GOODPUT_RATIO": "0.9",
		"ACCEPTANCE_CAPACITY_STEP":     "20s",
		"ACCEPTANCE_CAPACITY_WARMUP":   "2s",
		"ACCEPTANCE_CAPACITY_MAX_TIME": "3m",
	})
	cmd, o, buf := childCommand(t, env, "-test.run", "^TestCapacity$", "-test.timeout", "10m")
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(o.OutDir, "requests.jsonl"))
		return bytes.Contains(b, []byte(`"scenario":"step_2"`))
	}, 3*time.Minute, 50*time.Millisecond, "the second step starts: %s", tail(buf.String()))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		require.FailNow(t, "the child did not exit within 30 s of SIGTERM", tail(buf.String()))
	}
	out := buf.String()
	b, err := os.ReadFile(filepath.Join(o.OutDir, "metrics.json"))
	require.NoError(t, err, tail(out))
	var m sidecar.Metrics
	require.NoError(t, json.Unmarshal(b, &m))
	assert.False(t, m.Complete)
	require.NotNil(t, m.Capacity, tail(out))
	c := m.Capacity
	logSteps(t, c)
	require.Len(t, c.Steps, 2, "no step after the cut one: %s", c.StopReason)
	first, cut := c.Steps[0], c.Steps[1]
	require.Equal(t, string(capacity.Pass), first.Outcome, "the first step, at half the ceiling, passes: %s", first.Reason)
	assert.Equal(t, string(capacity.NotJudged), cut.Outcome, cut.Reason)
	assert.Equal(t, sidecar.ConfidenceInterrupted, c.Confidence)
	assert.InDelta(t, first.RatePerS, c.MaxRatePerS, 1e-9)
	assert.Zero(t, c.Interval.High, "the cut step is no failing bound")
	assert.Contains(t, capacity.Line(*c), "(interrupted)")
	assert.NotEqual(t, sidecar.VerdictFail, c.Verdict, "the steps that ran passed; the cut one is not the server's fault")
}
