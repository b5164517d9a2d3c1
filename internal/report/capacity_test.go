package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// capacityMetrics is a search as TestCapacity records it: the issue's
// batching server (K = 16), bracketed between 32 and 33 req/s.
func capacityMetrics() *sidecar.Metrics {
	step := func(rate float64, outcome string, good, sent int, p99 float64) sidecar.CapacityStep {
		iv := stats.Wilson(good, sent)
		return sidecar.CapacityStep{RatePerS: rate, Outcome: outcome, Reason: "goodput ratio", Planned: sent, Sent: sent, Good: good,
			GoodputRatio: float64(good) / float64(sent), GoodputCI95: &iv, Goodput: rate * float64(good) / float64(sent),
			TTFTms: stats.Summary{N: sent, P50: p99 / 2, P99: p99}, TPOTms: stats.Summary{N: sent, P50: 15, P99: 21},
			Server: &sidecar.StepServer{Samples: 8, WaitingMax: 0, RunningMax: rate / 2, KVCacheUsageMax: rate / 100}}
	}
	return &sidecar.Metrics{Complete: true,
		Capacity: &sidecar.Capacity{MaxRatePerS: 32, Interval: stats.Interval{Low: 32, High: 33}, Confidence: sidecar.ConfidenceBracketed,
			StopReason: "bracketed within 5 %: passes at 32 req/s, fails at 33 req/s",
			SLOs:       sidecar.CapacitySLOs{TTFTms: 2000, TPOTms: 20, MinGoodputRatio: 0.5, MaxErrorRate: 0.05},
			Idle:       &sidecar.IdleProbe{Requests: 3, Completed: 3, TTFTms: 53, TPOTms: 10.6, E2Ems: 255},
			Steps: []sidecar.CapacityStep{step(8, "pass", 30, 30, 80), step(16, "pass", 32, 32, 95), step(32, "pass", 48, 64, 110),
				step(64, "fail", 0, 65, 400), step(48, "fail", 0, 49, 250), step(33, "fail", 10, 34, 120)},
			Requests: 950, DurationS: 28, Checks: []sidecar.Check{{Name: "capacity", Passed: true, Value: 32}}, Verdict: sidecar.VerdictPass},
		ToolCallingUnderLoad: &sidecar.ToolCallingUnderLoad{RatePerS: 25.6, Fraction: 0.8, Capacity: 32, NewServerFailures: 1,
			Scenarios: []sidecar.UnderLoadScenario{
				{Name: "simple_get_weather", Mode: "think_off/plain", Attempts: 3},
				{Name: "simple_get_weather", Mode: "think_off/stream", Attempts: 3, ServerFailures: 2, NewServerFailure: true,
					Diagnoses: []sidecar.Diagnosis{{Code: "stream_mismatch", Kind: "server", Count: 2}}}},
			Model: &sidecar.UnderLoadModelRates{Attempts: 6, Passed: 6, Rate: 1, IsolatedAttempts: 6, IsolatedPassed: 6, IsolatedRate: 1, Verdict: "same"}},
		Roofline: &sidecar.Roofline{GPU: "NVIDIA H200", BandwidthGBs: 4800, Source: "NVIDIA H200 datasheet", ModelBytes: 17.7e9,
			BoundTokensPerS: 271.2, MeasuredTokensPerS: 40, Fraction: 0.147, Verdict: "ok", Detail: "single-stream decode 40.0 tok/s is 15 % of the roofline"},
	}
}

func TestCapacityReport(t *testing.T) {
	m := capacityMetrics()
	var b strings.Builder
	require.NoError(t, Markdown(&b, m, nil, Options{}))
	golden.Assert(t, filepath.Join("testdata", "capacity.golden.md"), []byte(b.String()))

	var s strings.Builder
	require.NoError(t, Summary(&s, m, "", Options{}))
	assert.Contains(t, s.String(), "| capacity | PASS | 32 req/s (passes at 32, fails at 33)")
	assert.Contains(t, s.String(), "| tool calling under load | **FAIL** |")
}

func TestCapacityChart(t *testing.T) {
	dir := t.TempDir()
	paths, err := Charts(dir, capacityMetrics(), nil)
	require.NoError(t, err)
	require.Contains(t, paths, filepath.Join(dir, "capacity.svg"))
	svg, err := os.ReadFile(filepath.Join(dir, "capacity.svg"))
	require.NoError(t, err)
	for _, want := range []string{"goodput (req/s)", "TTFT p99 (ms)", "capacity 32 req/s", "TTFT SLO", "offered rate (req/s)"} {
		assert.Contains(t, string(svg), want)
	}
}

// TestCapacityChartInlineHTML: report.html holds the capacity chart itself
// (issue 18): opened alone from a CI artifact, no image is broken.
func TestCapacityChartInlineHTML(t *testing.T) {
	var b strings.Builder
	require.NoError(t, HTML(&b, capacityMetrics(), nil, Options{}))
	html := b.String()
	assert.NotContains(t, html, "<img", "no chart is an external image")
	assert.NotContains(t, html, `src="`+capacityFile, "capacity.svg is not referenced")
	assert.Contains(t, html, `aria-label="`+capacityTitle+`"`, "the capacity chart is inline")
}
