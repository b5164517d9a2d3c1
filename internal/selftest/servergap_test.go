package selftest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// gapChecks returns each load run's client_server_gap check and server
// view, by run name.
func gapChecks(t *testing.T, o Outcome) (map[string]sidecar.Check, map[string]*sidecar.ServerView) {
	t.Helper()
	require.NotNil(t, o.Metrics, tail(o.Output))
	checks, views := map[string]sidecar.Check{}, map[string]*sidecar.ServerView{}
	put := func(name string, cs []sidecar.Check, v *sidecar.ServerView) {
		for _, c := range cs {
			if c.Name == load.CheckClientServerGap {
				checks[name] = c
			}
		}
		views[name] = v
	}
	if o.Metrics.Stability != nil {
		for _, r := range o.Metrics.Stability.Runs {
			put(r.Name, r.Checks, r.ServerView)
		}
	}
	if o.Metrics.Concurrency != nil {
		for _, r := range o.Metrics.Concurrency.Runs {
			put(r.Name, r.Checks, r.ServerView)
		}
	}
	require.Len(t, checks, 3, "stability and both concurrency runs:\n%s", tail(o.Output))
	return checks, views
}

// TestClientServerGapGateway: a gateway adding 20 ms in front of a healthy
// engine. Every load run's client_server_gap reads 20 ms ± 3 ms, fails,
// and its message blames the path in front of the engine, not the engine.
func TestClientServerGapGateway(t *testing.T) {
	t.Parallel()
	o := Run(t, loadEnv(t, "slow_gateway?itl=0s"), 90*time.Second, "-test.run", "TestStability|TestConcurrency")
	checks, views := gapChecks(t, o)
	for name, c := range checks {
		t.Logf("%s: %s", name, c.Detail)
		assert.False(t, c.Passed, "%s: %+v", name, c)
		assert.False(t, c.Skipped, "%s: %+v", name, c)
		assert.InDelta(t, 20, c.Value, 3, "%s: %s", name, c.Detail)
		assert.Contains(t, c.Detail, "the path in front of the engine adds", name)
		assert.Contains(t, c.Detail, "the engine is not to blame", name)
		v := views[name]
		require.NotNil(t, v, name)
		require.NotNil(t, v.TTFTms, name)
		assert.InDelta(t, 20, v.TTFTms.Mean, 5, "%s: the engine's own TTFT is the persona's 20 ms", name)
		assert.Equal(t, float64(v.ClientRequests), v.Requests, "%s: the server saw this run's requests only", name)
		assert.NotNil(t, v.E2Ems, name)
		assert.NotNil(t, v.ITLms, name)
		require.NotNil(t, v.QueueMs, name)
		assert.Zero(t, v.QueueMs.Mean, "%s: the simulator queues nothing", name)
	}
	assert.Equal(t, "FAIL", o.Tests["TestConcurrency/closed_4"], tail(o.Output))
	assert.Contains(t, o.Output, "client_server_gap failed")
	assert.Contains(t, o.Output, "ACCEPTANCE_MAX_CLIENT_SERVER_GAP", "the message says what to do")
}

// TestClientServerGapHealthy: the same engine without the gateway passes,
// and every request went out with its own X-Request-Id, recorded.
func TestClientServerGapHealthy(t *testing.T) {
	t.Parallel()
	o := Run(t, loadEnv(t, "healthy?ttft=20ms&itl=1ms"), 90*time.Second, "-test.run", "TestStability|TestConcurrency")
	checks, views := gapChecks(t, o)
	for name, c := range checks {
		assert.True(t, c.Passed, "%s: %+v", name, c)
		assert.Less(t, c.Value, 10.0, "%s: %s", name, c.Detail)
		assert.NotNil(t, views[name].Gap, name)
		t.Logf("%s: %s", name, c.Detail)
	}
	assert.Equal(t, "PASS", o.Tests["TestConcurrency/closed_4"], tail(o.Output))
	seen := map[string]bool{}
	for _, r := range o.Records {
		require.NotEmpty(t, r.RequestID, "%s attempt %d", r.Test, r.Attempt)
		assert.False(t, seen[r.RequestID], "ids are unique: %s", r.RequestID)
		seen[r.RequestID] = true
	}
}

// TestClientServerGapNoHistograms: a server whose /metrics has no latency
// histograms leaves the gap unknown: skipped, not failed, and the run
// passes.
func TestClientServerGapNoHistograms(t *testing.T) {
	t.Parallel()
	o := Run(t, loadEnv(t, "no_histograms?ttft=5ms"), 90*time.Second, "-test.run", "TestStability|TestConcurrency")
	checks, views := gapChecks(t, o)
	for name, c := range checks {
		assert.True(t, c.Skipped, "%s: %+v", name, c)
		assert.False(t, c.Passed, "%s: unknown is not a pass", name)
		assert.Contains(t, c.Detail, "publishes no vllm:time_to_first_token_seconds", name)
		require.NotNil(t, views[name], name)
		assert.Nil(t, views[name].TTFTms, name)
	}
	assert.Equal(t, "PASS", o.Tests["TestConcurrency/closed_4"], tail(o.Output))
	assert.Equal(t, "PASS", o.Tests["TestStability/alternating"], tail(o.Output))
}
