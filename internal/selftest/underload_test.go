package selftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
)

// underLoadScenarios are the catalogue's scenarios the under-load
// self-tests run: calls under auto, required and a named tool_choice, and
// two parallel calls, each with arguments streamed in several pieces.
var underLoadScenarios = []string{"simple_get_weather", "tool_choice_required_current_weather_vienna",
	"tool_choice_named_forecast_berlin", "parallel_weather_two_cities"}

// underLoadEnv runs TestCapacity, TestToolCalling (two scenarios at a
// time: at most 2 in flight in isolation) and TestToolCallingUnderLoad
// against spec. The SLOs put the capacity near 50 req/s (8-token answers,
// 50 ms TTFT, 10 ms ITL, K = 16, TPOT SLO 16 ms), so the background at 80
// % of it keeps about 7 requests in flight.
func underLoadEnv(t *testing.T, spec string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range underLoadScenarios {
		b, err := os.ReadFile(filepath.Join(config.RepoRoot(), "fixtures", n+".yaml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, n+".yaml"), b, 0o644))
	}
	return capacityEnv(t, spec, map[string]string{
		"ACCEPTANCE_FIXTURES":            dir,
		"ACCEPTANCE_PARALLEL":            "2",
		"ACCEPTANCE_THINKING":            "off",
		"ACCEPTANCE_TOOLCALL_REPEATS":    "3",
		"ACCEPTANCE_SHORT_TOKENS":        "8",
		"ACCEPTANCE_SLO_TPOT":            "16ms",
		"ACCEPTANCE_MIN_GOODPUT_RATIO":   "0.5",
		"ACCEPTANCE_CAPACITY_START_RATE": "15",
		"ACCEPTANCE_CAPACITY_RESOLUTION": "0.2",
	})
}

const underLoadRun = "^(TestCapacity|TestToolCalling|TestToolCallingUnderLoad)$"

// TestUnderLoadCatchesSerializer: a server whose stream serializer breaks
// with more than 4 requests in flight passes TestToolCalling in isolation
// and fails TestToolCallingUnderLoad, on streamed modes only, with server
// codes.
func TestUnderLoadCatchesSerializer(t *testing.T) {
	o := Run(t, underLoadEnv(t, "serializer_under_load?ttft=50ms&itl=10ms&batch_k=16&break_above=4"), 3*time.Minute, "-test.run", underLoadRun)
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.Equal(t, "PASS", o.Tests["TestToolCalling"], "in isolation the serializer is fine:\n%s", tail(o.Output))
	assert.Equal(t, "FAIL", o.Tests["TestToolCallingUnderLoad"], tail(o.Output))
	u := o.Metrics.ToolCallingUnderLoad
	require.NotNil(t, u, tail(o.Output))
	t.Logf("background %.1f req/s (capacity %.1f); %d new server failures", u.RatePerS, u.Capacity, u.NewServerFailures)
	assert.Positive(t, u.NewServerFailures)
	for _, s := range u.Scenarios {
		if s.NewServerFailure {
			assert.True(t, strings.HasSuffix(s.Mode, "stream"), "only streamed modes break: %s/%s", s.Name, s.Mode)
			assert.NotEmpty(t, s.Diagnoses, "%s/%s names its server codes", s.Name, s.Mode)
		}
		assert.Zero(t, s.IsolatedServerFailures, "%s/%s in isolation", s.Name, s.Mode)
	}
	for _, name := range o.Failed("TestToolCallingUnderLoad/") {
		assert.True(t, strings.HasSuffix(name, "/stream"), name)
	}
}

// TestUnderLoadHealthyPasses: the same server with a sound serializer
// passes under load, and the model-check rates under load and in
// isolation agree.
func TestUnderLoadHealthyPasses(t *testing.T) {
	o := Run(t, underLoadEnv(t, "batching?ttft=50ms&itl=10ms&batch_k=16"), 3*time.Minute, "-test.run", underLoadRun)
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.Equal(t, "PASS", o.Tests["TestToolCallingUnderLoad"], tail(o.Output))
	u := o.Metrics.ToolCallingUnderLoad
	require.NotNil(t, u, tail(o.Output))
	assert.True(t, u.Passed)
	assert.Zero(t, u.NewServerFailures)
	require.NotNil(t, u.Model)
	assert.Equal(t, "same", u.Model.Verdict)
	require.NotNil(t, u.Background)
	assert.Positive(t, u.Background.Requests, "the background loop ran")
}
