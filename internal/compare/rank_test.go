package compare

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestRank(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		runs   []*sidecar.Metrics
		names  []string
		order  []string
	}
	run := func(t *testing.T, tc testCase) {
		rk := Rank(tc.runs, tc.names)
		var got []string
		for i, r := range rk.Rows {
			got = append(got, r.Name)
			if !r.Tied {
				assert.Equal(t, i+1, r.Rank)
			}
		}
		assert.Equal(t, tc.order, got, tc.reason)
	}
	failing := with(func(m *sidecar.Metrics) { failRun(&m.Stability.Runs[0]); m.Stability.Runs[0].TTFTms.P90 = 100 })
	fast := with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 300 })
	accurate := with(func(m *sidecar.Metrics) {
		setPassed(&m.ToolCalling.Scenarios[2], 3)
		m.Stability.Runs[0].TTFTms.P90 = 900
	})
	loud := with(func(m *sidecar.Metrics) { m.Stability.Runs[0].OutputTokensPerS.P50 = 60 })
	testCases := []testCase{
		{name: "gate first", reason: "a failing run ranks last however fast it is",
			runs: []*sidecar.Metrics{failing, baseMetrics()}, names: []string{"failing", "base"}, order: []string{"base", "failing"}},
		{name: "pass rate before latency", reason: "correct tool calls outrank a faster first token",
			runs: []*sidecar.Metrics{fast, accurate}, names: []string{"fast", "accurate"}, order: []string{"accurate", "fast"}},
		{name: "latency before throughput", reason: "same pass rate: lower TTFT p90 first",
			runs: []*sidecar.Metrics{baseMetrics(), fast}, names: []string{"base", "fast"}, order: []string{"fast", "base"}},
		{name: "throughput breaks a latency tie", reason: "same pass rate and TTFT: more tokens/s first",
			runs: []*sidecar.Metrics{baseMetrics(), loud}, names: []string{"base", "loud"}, order: []string{"loud", "base"}},
		{name: "name orders full ties", reason: "equal runs keep a stable, named order (and share a rank)",
			runs: []*sidecar.Metrics{baseMetrics(), baseMetrics()}, names: []string{"b", "a"}, order: []string{"a", "b"}},
		{name: "default names", reason: "unnamed runs are numbered",
			runs: []*sidecar.Metrics{baseMetrics()}, order: []string{"run 1"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestRankMarksAndGolden(t *testing.T) {
	fast := with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 300 })
	noGPU := with(func(m *sidecar.Metrics) {
		m.GPU = &sidecar.GPU{Available: false}
		m.Stability.Runs[0].OutputTokensPerS.P50 = 30
	})
	rk := Rank([]*sidecar.Metrics{baseMetrics(), fast, noGPU}, []string{"chunked_only_safe", "prefix_caching", "gpu_mem_095"})
	require.Len(t, rk.Rows, 3)
	assert.Equal(t, "prefix_caching", rk.Rows[0].Name)
	assert.Equal(t, "best", rk.Rows[0].Marks["ttft_p90_ms"])
	assert.Empty(t, rk.Rows[0].Marks["toolcall_pass_rate"], "equal values get no mark")
	assert.Equal(t, "worst", rk.Rows[2].Marks["output_tokens_per_s"])
	var buf bytes.Buffer
	require.NoError(t, WriteRankMarkdown(&buf, rk))
	golden.Assert(t, filepath.Join("testdata", "rank.golden.md"), buf.Bytes())
}

func TestRankTies(t *testing.T) {
	cfg := func(seed uint64, change func(w *world)) []sidecar.Run {
		w := defaultWorld()
		if change != nil {
			change(&w)
		}
		return side(rand.New(rand.NewPCG(seed, 0)), w, 3)
	}
	rk := RankConfigs([][]sidecar.Run{
		cfg(1, nil),
		cfg(2, nil),
		cfg(3, func(w *world) { w.slower = 1.5 }),
	}, []string{"a", "b", "slow"})
	require.Len(t, rk.Rows, 3)
	assert.Equal(t, rk.Rows[0].Rank, rk.Rows[1].Rank, "two runs of one configuration: their intervals overlap, so they tie")
	assert.True(t, rk.Rows[0].Tied)
	assert.Equal(t, "slow", rk.Rows[2].Name, "50 %% slower ranks after them")
	assert.Equal(t, 3, rk.Rows[2].Rank)
	assert.False(t, rk.Rows[2].Tied)
	require.NotNil(t, rk.Rows[0].TTFTP90msCI, "three runs give an interval over runs")
	assert.Equal(t, 3, rk.Rows[0].Runs)
	assert.Equal(t, 32768, rk.Rows[0].MaxModelLen, "provenance is shown")
	var buf bytes.Buffer
	require.NoError(t, WriteRankMarkdown(&buf, rk))
	assert.Contains(t, buf.String(), "| 1= | ")
}
