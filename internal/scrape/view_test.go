package scrape

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// cumulative builds a histogram from per-bucket counts.
func cumulative(bounds, counts []float64, sum float64) *sidecar.Histogram {
	h := &sidecar.Histogram{Sum: sum}
	for i, le := range bounds {
		h.Count += counts[i]
		h.Buckets = append(h.Buckets, sidecar.HistogramBucket{LE: le, Count: h.Count})
	}
	return h
}

func TestQuantile(t *testing.T) {
	type testCase struct {
		name, reason string
		h            *sidecar.Histogram
		q            float64
		est, lo, hi  float64
	}
	ttft := []float64{0.01, 0.02, 0.04, 0.06}
	run := func(t *testing.T, tc testCase) {
		est, lo, hi := Quantile(tc.h, tc.q)
		assert.InDelta(t, tc.est, est, 1e-12, tc.reason)
		assert.Equal(t, tc.lo, lo, tc.reason)
		assert.Equal(t, tc.hi, hi, tc.reason)
	}
	for _, tc := range []testCase{
		{name: "one bucket", reason: "everything in (20, 40] ms: the median is taken at the bucket's middle",
			h: cumulative(ttft, []float64{0, 0, 10, 0}, 0.25), q: 0.5, est: 0.03, lo: 0.02, hi: 0.04},
		{name: "spread", reason: "rank 5 of 10 falls 3/6 into (20, 40] ms, after 2 below",
			h: cumulative(ttft, []float64{2, 0, 6, 2}, 0.3), q: 0.5, est: 0.03, lo: 0.02, hi: 0.04},
		{name: "first bucket from zero", reason: "latencies are never negative: the first bucket starts at 0",
			h: cumulative(ttft, []float64{4, 0, 0, 0}, 0.02), q: 0.5, est: 0.005, lo: 0, hi: 0.01},
		{name: "past the last bound", reason: "observations in +Inf: the last finite bound is all the buckets can say",
			h: &sidecar.Histogram{Count: 10, Sum: 9, Buckets: []sidecar.HistogramBucket{{LE: 0.01, Count: 1}, {LE: 0.02, Count: 2}}},
			q: 0.9, est: 0.02, lo: 0.02, hi: math.Inf(1)},
		{name: "empty", reason: "no observation, no estimate", h: cumulative(ttft, []float64{0, 0, 0, 0}, 0), q: 0.5},
		{name: "nil", reason: "no histogram", q: 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestParseV010ServerView: the v0.10 text has the TTFT and TPOT histograms
// (TPOT read as ITL) and the prefix-cache counters, no e2e or queue in it.
func TestParseV010ServerView(t *testing.T) {
	s, err := parseFile(t, "vllm-v0.10.txt")
	require.NoError(t, err)
	require.NotNil(t, s.Latency[LatencyTTFT])
	require.NotNil(t, s.Latency[LatencyITL])
	assert.Equal(t, "vllm:time_per_output_token_seconds", s.LatencySeries[LatencyITL], "v0.10 has no inter_token_latency")
	assert.Nil(t, s.Latency[LatencyE2E])
	assert.Equal(t, 181920.0+160384, s.PrefixQueries, "vllm:prefix_cache_queries_total over both engines")
	assert.Equal(t, 96256.0+80128, s.PrefixHits)
}

func TestView(t *testing.T) {
	bounds := []float64{0.01, 0.02, 0.04, 0.06}
	snap := func(ttft []float64, sum, queries, hits float64) Snapshot {
		h := cumulative(bounds, ttft, sum)
		return Snapshot{
			Latency:       map[string]*sidecar.Histogram{LatencyTTFT: h, LatencyE2E: h},
			LatencySeries: map[string]string{LatencyTTFT: nameTTFT, LatencyE2E: "vllm:e2e_request_latency_seconds"},
			PrefixQueries: queries, PrefixHits: hits,
			Found: map[string]bool{KeyPrefixQueries: true, KeyPrefixHits: true},
		}
	}
	before := snap([]float64{1, 1, 0, 0}, 0.02, 1000, 100)
	after := snap([]float64{1, 1, 8, 0}, 0.26, 3000, 1100)
	v := View(before, after)
	require.True(t, v.Available)
	assert.Equal(t, 8.0, v.Requests, "only the run's observations")
	require.NotNil(t, v.TTFTms)
	assert.Equal(t, 30.0, v.TTFTms.Mean, "(0.26-0.02)/8 s")
	assert.Equal(t, 30.0, v.TTFTms.P50)
	assert.Equal(t, 20.0, v.TTFTms.P50Low)
	assert.Equal(t, 40.0, v.TTFTms.P50High)
	assert.Nil(t, v.QueueMs)
	assert.Contains(t, v.Note, "vllm:request_queue_time_seconds")
	require.NotNil(t, v.PrefixCacheHitRate)
	assert.Equal(t, 0.5, *v.PrefixCacheHitRate, "1000 of 2000 queried tokens hit")

	t.Run("a restart between the scrapes leaves the histogram out", func(t *testing.T) {
		v := View(after, before)
		assert.Nil(t, v.TTFTms)
		assert.Contains(t, v.Note, "went down")
		assert.Nil(t, v.PrefixCacheHitRate)
	})
	t.Run("no histograms at all", func(t *testing.T) {
		v := View(Snapshot{}, Snapshot{})
		assert.Contains(t, v.Note, "publishes none of vLLM's latency histograms")
	})
}
