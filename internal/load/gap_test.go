package load

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func TestShiftGap(t *testing.T) {
	// vLLM's TTFT bounds around 10-100 ms (vllm/v1/metrics/loggers.py, v0.10).
	bounds := []float64{0.01, 0.02, 0.04, 0.06, 0.08, 0.1}
	serverOf := func(obs []float64) *sidecar.Histogram {
		h := &sidecar.Histogram{}
		for _, le := range bounds {
			n := 0.0
			for _, o := range obs {
				if o <= le {
					n++
				}
			}
			h.Buckets = append(h.Buckets, sidecar.HistogramBucket{LE: le, Count: n})
		}
		for _, o := range obs {
			h.Count++
			h.Sum += o
		}
		return h
	}
	clientOf := func(obs []float64, d float64) func(float64) float64 {
		h := stats.NewHistogram()
		for _, o := range obs {
			h.Add(o*1000 + d)
		}
		return h.Quantile
	}
	t.Run("spread over buckets: read at the bound nearest the median, exact", func(t *testing.T) {
		var obs []float64
		for i := range 100 {
			obs = append(obs, 0.005+float64(i)*0.0007) // 5 .. 74.3 ms
		}
		d, at := ShiftGap(serverOf(obs), clientOf(obs, 20))
		assert.InDelta(t, 20, d, 1, "the client's quantile at F(le) is le + 20 ms")
		assert.InDelta(t, 0.5, at, 0.25)
	})
	t.Run("one bucket: the client's median against the server's exact mean", func(t *testing.T) {
		obs := []float64{0.021, 0.022, 0.022, 0.023, 0.021, 0.022}
		d, at := ShiftGap(serverOf(obs), clientOf(obs, 20))
		assert.InDelta(t, 20, d, 0.6)
		assert.Equal(t, 0.5, at)
	})
	t.Run("a few client stalls do not move it", func(t *testing.T) {
		obs := []float64{0.021, 0.022, 0.022, 0.023, 0.021, 0.022, 0.022, 0.022, 0.021, 0.022}
		h := stats.NewHistogram()
		for i, o := range obs {
			extra := 0.0
			if i == 0 {
				extra = 300 // one 300 ms stall of the client machine
			}
			h.Add(o*1000 + 20 + extra)
		}
		d, _ := ShiftGap(serverOf(obs), h.Quantile)
		assert.InDelta(t, 20, d, 1, "the mean would read 50 ms")
	})
}

func TestGapCheck(t *testing.T) {
	view := func(shift float64) *sidecar.ServerView {
		return &sidecar.ServerView{Available: true, Requests: 20, ClientRequests: 20,
			TTFTms: &sidecar.ServerLatency{N: 20, Mean: 21, P50: 30, P50Low: 20, P50High: 40},
			Gap:    &sidecar.ClientServerGap{TTFTShiftMs: shift, TTFTMeanMs: shift, TTFTP50Ms: shift + 12, ShiftAt: 0.5}}
	}
	healthyGen := &sidecar.Check{Name: sidecar.CheckLoadGenerator, Passed: true}
	type testCase struct {
		name, reason string
		v            *sidecar.ServerView
		gen          *sidecar.Check
		limit        float64
		passed       bool
		skipped      bool
		detail       string
	}
	run := func(t *testing.T, tc testCase) {
		c := GapCheck(tc.v, tc.gen, tc.limit)
		assert.Equal(t, sidecar.CheckClientServerGap, c.Name)
		assert.Equal(t, tc.passed, c.Passed, tc.reason)
		assert.Equal(t, tc.skipped, c.Skipped, tc.reason)
		assert.Contains(t, c.Detail, tc.detail, tc.reason)
	}
	for _, tc := range []testCase{
		{name: "gateway", reason: "20 ms in front of the engine, over a 10 ms limit: fails, naming the path, not the engine",
			v: view(20), gen: healthyGen, limit: 10, detail: "the path in front of the engine adds 20ms to every request"},
		{name: "engine not to blame", reason: "the failure says so", v: view(20), gen: healthyGen, limit: 10, detail: "the engine is not to blame"},
		{name: "direct", reason: "2 ms: loopback and the API server", v: view(2), gen: healthyGen, limit: 10, passed: true, detail: "adds 2.0ms"},
		{name: "off", reason: "limit 0 turns the check off", v: view(20), gen: healthyGen, skipped: true, detail: "ACCEPTANCE_MAX_CLIENT_SERVER_GAP=0"},
		{name: "no metrics read", reason: "ACCEPTANCE_METRICS_INTERVAL=0", gen: healthyGen, limit: 10, skipped: true, detail: "/metrics not read"},
		{name: "no /metrics", reason: "unreadable /metrics is unknown, not a failure",
			v: &sidecar.ServerView{Note: "no /metrics: HTTP 404"}, gen: healthyGen, limit: 10, skipped: true, detail: "HTTP 404"},
		{name: "no histograms", reason: "a server without the TTFT histogram is unknown",
			v: &sidecar.ServerView{Available: true}, gen: healthyGen, limit: 10, skipped: true, detail: "publishes no vllm:time_to_first_token_seconds"},
		{name: "generator behind", reason: "the client's TTFT measures the client machine",
			v: view(20), gen: &sidecar.Check{Name: sidecar.CheckLoadGenerator}, limit: 10, skipped: true, detail: "load generator fell behind"},
		{name: "no first token", reason: "non-streamed: no TTFT on the client's side",
			v: &sidecar.ServerView{Available: true, TTFTms: &sidecar.ServerLatency{N: 3}}, gen: healthyGen, limit: 10, skipped: true, detail: "no first token"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
