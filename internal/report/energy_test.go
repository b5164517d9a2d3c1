package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func f64(v float64) *float64 { return &v }

// energyMetrics is capacityMetrics with energy measured on each step (as
// on a GPU host), one concurrency run measured elsewhere (unknown) and the
// cost at the capacity found.
func energyMetrics() *sidecar.Metrics {
	m := capacityMetrics()
	for i := range m.Capacity.Steps {
		s := &m.Capacity.Steps[i]
		j := 300 * s.RatePerS * 30
		out, good := int64(s.Sent*100), int64(s.Good*100)
		e := &sidecar.Energy{Available: true, Source: "nvml_energy_counter", GPUs: 1, Seconds: 30, Joules: f64(j),
			AvgPowerW: f64(j / 30), PeakPowerW: f64(j/30 + 50), OutputTokens: out, GoodTokens: good, GoodRequests: s.Good, JPerOutputToken: f64(j / float64(out))}
		if good > 0 {
			e.JPerGoodToken = f64(j / float64(good))
		}
		s.Energy = e
	}
	m.Capacity.Cost = &sidecar.Cost{GPUHourPrice: 2.5, GPUs: 1, GPUsSource: "NVML", RatePerS: 32, GoodTokensPerS: f64(2400), PerMillionGoodTokens: f64(2.5 / (2400 * 3600) * 1e6)}
	m.Concurrency = &sidecar.Concurrency{Runs: []sidecar.ConcurrencyRun{{Name: "open_loop", Energy: &sidecar.Energy{Note: "no local GPU: built without cgo", OutputTokens: 4000, GoodTokens: 3900}}}}
	return m
}

func TestEnergyReport(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, energyMetrics(), nil, Options{}))
	md := b.String()
	assert.Contains(t, md, "## Energy and cost")
	assert.Contains(t, md, "| concurrency open_loop | unknown | unknown | unknown / unknown | 4000 | 3900 | unknown | unknown | no local GPU: built without cgo |",
		"a run without NVML reads unknown, never zero")
	assert.Contains(t, md, "| capacity step 3 (32 req/s) | nvml_energy_counter | 2.88e+05 J | 9600 W / 9650 W | 6400 | 4800 | 45 | 60 | – |")
	assert.Contains(t, md, "per million good tokens")
	assert.Contains(t, md, "0.2894 per million good tokens (2400 good tokens/s)")
	assert.Contains(t, md, "![Joules per good token against offered rate (capacity steps)](energy.svg)")

	dir := t.TempDir()
	_, err := Charts(dir, energyMetrics(), nil)
	require.NoError(t, err)
	svg, err := os.ReadFile(filepath.Join(dir, "energy.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "J per good token")
}

func TestExpectedConfigReport(t *testing.T) {
	m := &sidecar.Metrics{Complete: true, ExpectedConfig: &sidecar.ExpectedConfig{File: "deploy/expected.yaml", SHA256: "0123456789abcdef",
		Rows: []sidecar.ExpectedRow{
			{Key: "gpu_memory_utilization", Expected: "0.9", Found: "0.8", Source: "vllm:cache_config_info", Outcome: sidecar.Fail},
			{Key: "tensor_parallel_size", Expected: "2", Source: "vllm:parallel_config_info", Outcome: sidecar.Unknown, Note: "vLLM publishes no parallel_config_info"},
		}}}
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, m, nil, Options{}))
	md := b.String()
	assert.Contains(t, md, "# vLLM acceptance report: FAIL")
	assert.Contains(t, md, "| expected config | **FAIL** | 2 declared keys: 0 match, 1 differ, 1 not exposed (unknown)")
	assert.Contains(t, md, "gpu_memory_utilization: expected 0.9, found 0.8")
	assert.Contains(t, md, "| `tensor_parallel_size` | 2 | (not exposed) | unknown |")
	assert.Contains(t, md, "- expected config: `expected_config.gpu_memory_utilization` expected 0.9, found 0.8 (vllm:cache_config_info); fix:")
}

func TestEngineCountersInTheServerView(t *testing.T) {
	rate, length, pre, off := 0.6, 2.8, 3.0, float64(10<<20)
	m := &sidecar.Metrics{Complete: true, Concurrency: &sidecar.Concurrency{Runs: []sidecar.ConcurrencyRun{
		{Name: "closed_8", ServerView: &sidecar.ServerView{Available: true, Preemptions: &pre, KVOffloadBytes: &off,
			SpecDecode: &sidecar.SpecDecode{Drafts: 500, DraftTokens: 1500, AcceptedTokens: 900, AcceptanceRate: &rate, MeanAcceptedLength: &length}}},
		{Name: "open_2", ServerView: &sidecar.ServerView{Available: true}},
	}}}
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, m, nil, Options{}))
	md := b.String()
	assert.Contains(t, md, "| closed_8 | 3 | 60.0 % | 2.80 | 500 | 10 MiB |")
	assert.Contains(t, md, "| open_2 | – | – | – | – | – |", "not published: a dash, never a zero")
}
