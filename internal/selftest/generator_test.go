package selftest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func loadRunCheck(lr sidecar.ConcurrencyRun, name string) (sidecar.Check, bool) {
	for _, c := range lr.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return sidecar.Check{}, false
}

// TestLoadGeneratorOverloadedFails: an open loop offered far beyond what
// one process can send (2,000 arrivals due within 20 ms, at 100,000/s,
// against the embedded simulator with a 1 ms first token sharing the same
// process) falls behind its schedule. The run fails load_generator with
// the message that blames the machine, not the server, and names
// ACCEPTANCE_SHARD. The rate is far past any machine's reach, so the
// verdict does not depend on this host's speed.
func TestLoadGeneratorOverloadedFails(t *testing.T) {
	t.Parallel()
	o := Run(t, map[string]string{
		"ACCEPTANCE_SIMULATOR":          "healthy?ttft=1ms&itl=0s",
		"ACCEPTANCE_SHORT_TOKENS":       "4",
		"ACCEPTANCE_OPEN_LOOP_RATE":     "100000",
		"ACCEPTANCE_OPEN_LOOP_REQUESTS": "2000",
		"ACCEPTANCE_REQUEST_TIMEOUT":    "30s",
		"ACCEPTANCE_METRICS_INTERVAL":   "0",
		"ACCEPTANCE_GPU_INTERVAL":       "0",
	}, 120*time.Second, "-test.run", "TestConcurrency/open")
	assert.Equal(t, "FAIL", o.Tests["TestConcurrency/open_100000"], tail(o.Output))
	require.NotNil(t, o.Metrics)
	require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
	require.Len(t, o.Metrics.Concurrency.Runs, 1)
	lr := o.Metrics.Concurrency.Runs[0]
	require.NotNil(t, lr.Generator)
	c, ok := loadRunCheck(lr, sidecar.CheckLoadGenerator)
	require.True(t, ok)
	assert.False(t, c.Passed, "%+v", *lr.Generator)
	assert.Greater(t, lr.Generator.DispatchLagMs.P99, lr.Generator.LagLimitMs)
	assert.Regexp(t, `the load generator fell behind its schedule \(dispatch lag p99 [^)]+\): the figures measure this machine, not the server; lower the rate or shard the load \(ACCEPTANCE_SHARD\)`, c.Detail)
	assert.Contains(t, o.Output, "open_100000: load_generator failed: dispatch lag p99")
	assert.Equal(t, 2000, lr.Requests, "every arrival was sent, late")
	t.Logf("overloaded: %d requests, dispatch lag p50 %.1f ms p99 %.1f ms max %.1f ms, %d late; CPU %.2f of %d cores; peak %d goroutines; %.0f chunks/s; %.0f req/s achieved",
		lr.Requests, lr.Generator.DispatchLagMs.P50, lr.Generator.DispatchLagMs.P99, lr.Generator.DispatchLagMs.Max, lr.Generator.Late,
		lr.Generator.CPUCoresUsed, lr.Generator.Cores, lr.Generator.PeakGoroutines, lr.Generator.ChunksPerS, lr.RequestThroughput)
}

// TestLoadGeneratorModestPasses: make demo's load (settings/demo.yaml: 8
// closed-loop workers and the open loop replaying traces/demo.jsonl, 20
// stability requests, the demo simulator) passes load_generator in every load run, and each run
// carries the generator's figures.
func TestLoadGeneratorModestPasses(t *testing.T) {
	t.Parallel()
	o := Run(t, map[string]string{
		"ACCEPTANCE_SIMULATOR":   "healthy?ttft=30ms&itl=2ms&noise=0.1&seed=1",
		"ACCEPTANCE_PROFILE":     "settings/demo.yaml",
		"ACCEPTANCE_LONG_TOKENS": "100", // the stability run's long class, shortened: its pace is not what is tested
	}, 120*time.Second, "-test.run", "TestConcurrency|TestStability")
	require.NotNil(t, o.Metrics, tail(o.Output))
	require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
	require.NotNil(t, o.Metrics.Stability, tail(o.Output))
	var gens []*sidecar.Generator
	var checks []sidecar.Check
	for _, lr := range o.Metrics.Concurrency.Runs {
		c, ok := loadRunCheck(lr, sidecar.CheckLoadGenerator)
		require.True(t, ok, lr.Name)
		checks, gens = append(checks, c), append(gens, lr.Generator)
	}
	for _, sr := range o.Metrics.Stability.Runs {
		c, ok := check(sr, sidecar.CheckLoadGenerator)
		require.True(t, ok, sr.Name)
		checks, gens = append(checks, c), append(gens, sr.Generator)
	}
	require.Len(t, checks, 3)
	for i, c := range checks {
		assert.True(t, c.Passed, c.Detail)
		require.NotNil(t, gens[i])
		assert.Positive(t, gens[i].DispatchLagMs.N)
		assert.Positive(t, gens[i].Chunks)
		assert.Positive(t, gens[i].PeakGoroutines)
		assert.Equal(t, 25.0, gens[i].LagLimitMs, "demo's 30 ms first token: the 25 ms floor")
		t.Logf("%s", c.Detail)
	}
	assert.Equal(t, 0, o.ExitCode, tail(o.Output))
}
