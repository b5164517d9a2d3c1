package selftest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerViewExtended (issue 28): against the spec_decode persona (3
// draft tokens, 60 % accepted, a KV-offloading connector), each load run's
// server view reads back vLLM's speculative-decoding counters (acceptance
// rate, mean accepted length 1 + 3 × 0.6), the offloaded bytes and the
// preemptions; and on this machine, without NVML, each run's energy is
// unknown with its reason while its tokens are counted.
func TestServerViewExtended(t *testing.T) {
	t.Parallel()
	o := Run(t, map[string]string{
		"ACCEPTANCE_SIMULATOR":            "spec_decode",
		"ACCEPTANCE_CONCURRENCY":          "4",
		"ACCEPTANCE_CONCURRENCY_REQUESTS": "16",
		"ACCEPTANCE_OPEN_LOOP_RATE":       "8",
		"ACCEPTANCE_OPEN_LOOP_REQUESTS":   "16",
		"ACCEPTANCE_METRICS_INTERVAL":     "1s",
	}, 2*time.Minute, "-test.run", "TestConcurrency")
	require.NotNil(t, o.Metrics, "%s", tail(o.Output))
	require.NotNil(t, o.Metrics.Concurrency, "%s", tail(o.Output))
	require.Len(t, o.Metrics.Concurrency.Runs, 2)
	for _, r := range o.Metrics.Concurrency.Runs {
		v := r.ServerView
		require.NotNil(t, v, r.Name)
		require.True(t, v.Available, "%s: %s", r.Name, v.Note)
		if assert.NotNil(t, v.SpecDecode, r.Name) {
			assert.Greater(t, v.SpecDecode.Drafts, 0.0)
			assert.InDelta(t, 0.6, *v.SpecDecode.AcceptanceRate, 1e-9, r.Name)
			assert.InDelta(t, 2.8, *v.SpecDecode.MeanAcceptedLength, 1e-9, r.Name)
		}
		if assert.NotNil(t, v.KVOffloadBytes, r.Name) {
			assert.Greater(t, *v.KVOffloadBytes, 0.0)
		}
		if assert.NotNil(t, v.Preemptions, r.Name) {
			assert.Equal(t, 0.0, *v.Preemptions, "a healthy server under light load preempts nothing")
		}
		if e := r.Energy; assert.NotNil(t, e, r.Name) {
			assert.False(t, e.Available, "no NVML on this machine")
			assert.Nil(t, e.Joules, "unknown, never zero")
			assert.Nil(t, e.JPerGoodToken)
			assert.Contains(t, e.Note, "no local GPU")
			assert.Greater(t, e.OutputTokens, int64(0), "the tokens are counted all the same")
		}
	}
}
