package load

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Records split over N shards and merged give the run one aggregator of
// all the records gives: same counts, same percentiles within HDR's
// precision, same checks. Seeded log-normal latencies with 3 % failures.
func TestMergeLoadRunsEqualsOneAggregatorOverTheUnion(t *testing.T) {
	lim := Limits{MinSuccessRate: 0.95, SLOTTFTms: 250, SLOTPOTms: 20}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 8} {
		one := NewAgg(lim)
		shards := make([]*Agg, n)
		for i := range shards {
			shards[i] = NewAgg(lim)
		}
		for i := range 5000 {
			r := &record.Record{Status: 200, CompletionTokens: 50, Chunks: 52}
			if rng.Float64() < 0.03 {
				r = &record.Record{Status: 503, ErrorKind: record.ErrHTTP}
			} else {
				r.TTFTms = math.Round(math.Exp(rng.NormFloat64()*0.5+math.Log(150))*1000) / 1000
				r.TPOTms = math.Round((10+rng.ExpFloat64()*5)*1000) / 1000
				r.E2Ems = r.TTFTms + 49*r.TPOTms
			}
			one.Add(r)
			shards[i%n].Add(r)
		}
		start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		var parts []sidecar.ConcurrencyRun
		for i, s := range shards {
			lr := s.ConcurrencyRun("open_100", 10*time.Second, 0.9)
			// Shard i started i ms late and ran 10 s.
			parts = append(parts, openPart(lr, 100/float64(n), start.Add(time.Duration(i)*time.Millisecond), 10*time.Second))
		}
		merged, err := MergeLoadRuns(parts)
		require.NoError(t, err)
		dur := 10*time.Second + time.Duration(n-1)*time.Millisecond
		want := one.ConcurrencyRun("open_100", dur, 0.9)
		assert.Equal(t, want.Requests, merged.Requests, "n=%d", n)
		assert.Equal(t, want.Completed, merged.Completed)
		assert.Equal(t, want.Good, merged.Good)
		assert.Equal(t, want.Errors, merged.Errors)
		assert.InDelta(t, 100, merged.RatePerS, 1e-9)
		assert.InDelta(t, dur.Seconds(), merged.DurationS, 1e-9, "the union of the windows")
		assert.InDelta(t, want.Goodput, merged.Goodput, 1e-9)
		for _, f := range [][2]float64{
			{want.TTFTms.P50, merged.TTFTms.P50}, {want.TTFTms.P90, merged.TTFTms.P90}, {want.TTFTms.P99, merged.TTFTms.P99},
			{want.E2Ems.P99, merged.E2Ems.P99}, {want.TPOTms.P50, merged.TPOTms.P50},
		} {
			assert.InEpsilon(t, f[0], f[1], 0.001, "n=%d: within HDR's 3 significant digits", n)
		}
		for i := range want.Checks {
			assert.Equal(t, want.Checks[i].Name, merged.Checks[i].Name)
			assert.Equal(t, want.Checks[i].Passed, merged.Checks[i].Passed, want.Checks[i].Name)
		}
		require.NotNil(t, merged.Generator)
		assert.Equal(t, n, merged.Generator.DispatchLagMs.N, "every dispatch")
		assert.Equal(t, n, merged.Generator.Shards)
		if n > 1 {
			lag := time.Duration(n-1) * time.Millisecond
			assert.InDelta(t, (10*time.Second-lag).Seconds()/(10*time.Second+lag).Seconds(), merged.Generator.ShardOverlap, 0.001, "n=%d: every shard sent from the last start to the first end", n)
		} else {
			assert.Zero(t, merged.Generator.ShardOverlap, "one part: nothing to overlap")
		}
	}
}

// A shard that started half-way through the others' window: the merged run
// says the shards sent together for a third of it.
func TestMergeLoadRunsMeasuresShardOverlap(t *testing.T) {
	lim := Limits{MinSuccessRate: 0.95, SLOTTFTms: 250, SLOTPOTms: 20}
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var parts []sidecar.ConcurrencyRun
	for _, late := range []time.Duration{0, 5 * time.Second} {
		a := NewAgg(lim)
		a.Add(&record.Record{Status: 200, CompletionTokens: 10, TTFTms: 100, TPOTms: 10, E2Ems: 190})
		parts = append(parts, openPart(a.ConcurrencyRun("open_2", 10*time.Second, 0.9), 1, start.Add(late), 10*time.Second))
	}
	merged, err := MergeLoadRuns(parts)
	require.NoError(t, err)
	require.NotNil(t, merged.Generator)
	assert.InDelta(t, 15, merged.DurationS, 1e-9, "the union of the windows")
	assert.InDelta(t, 5.0/15, merged.Generator.ShardOverlap, 0.001, "both shards sent from 5 s to 10 s of 15 s")
}

func TestMergeLoadRunsRefusesPartsJudgedDifferently(t *testing.T) {
	a := NewAgg(Limits{MinSuccessRate: 0.95, SLOTTFTms: 250}).ConcurrencyRun("closed_8", time.Second, 0.9)
	b := NewAgg(Limits{MinSuccessRate: 0.95, SLOTTFTms: 500}).ConcurrencyRun("closed_8", time.Second, 0.9)
	_, err := MergeLoadRuns([]sidecar.ConcurrencyRun{a, b})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "different SLOs")
	c := a
	c.Name = "open_2"
	_, err = MergeLoadRuns([]sidecar.ConcurrencyRun{a, c})
	require.Error(t, err)
}

// openPart makes lr one shard's part of an open loop at rate, sending from
// start for d, with a load generator that dispatched one request.
func openPart(lr sidecar.ConcurrencyRun, rate float64, start time.Time, d time.Duration) sidecar.ConcurrencyRun {
	lr.Mode, lr.RatePerS = "open", rate
	lr.StartedAt, lr.FinishedAt = start, start.Add(d)
	g := StartGenerator()
	g.Add(time.Millisecond, &record.Record{Chunks: 1})
	gen := g.Stop()
	lr.Generator = &gen
	return lr
}

// Each shard reads the same server over nearly the same window: the merged
// run keeps the widest view (not a sum, which would count every request
// once per shard) and judges client_server_gap again on the merged client
// figures, with the parts' limit.
func TestMergeLoadRunsKeepsTheServerView(t *testing.T) {
	lim := Limits{MinSuccessRate: 0.95, SLOTTFTms: 250, SLOTPOTms: 20}
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	// vLLM saw 4 first tokens between 20 and 40 ms, mean 25 ms.
	h := &sidecar.Histogram{Count: 4, Sum: 0.1, Buckets: []sidecar.HistogramBucket{{LE: 0.02}, {LE: 0.04, Count: 4}}}
	var parts []sidecar.ConcurrencyRun
	for i, seen := range []float64{3, 4} {
		a := NewAgg(lim)
		for range 2 {
			a.Add(&record.Record{Status: 200, CompletionTokens: 10, TTFTms: 45, TPOTms: 10, E2Ems: 135})
		}
		lr := openPart(a.ConcurrencyRun("open_2", 10*time.Second, 0.9), 1, start.Add(time.Duration(i)*time.Millisecond), 10*time.Second)
		lr.ServerView = &sidecar.ServerView{Available: true, Requests: seen,
			TTFTms: &sidecar.ServerLatency{N: seen, Mean: 25, P50: 30, P50Low: 20, P50High: 40, Histogram: h}}
		lr.Checks = append(lr.Checks, sidecar.Check{Name: sidecar.CheckClientServerGap, Threshold: 10})
		parts = append(parts, lr)
	}
	merged, err := MergeLoadRuns(parts)
	require.NoError(t, err)
	require.NotNil(t, merged.ServerView)
	assert.Equal(t, 4.0, merged.ServerView.Requests, "the widest view, not 3+4")
	assert.Equal(t, 4, merged.ServerView.ClientRequests, "the merged client side")
	c, ok := find(merged.Checks, sidecar.CheckClientServerGap)
	require.True(t, ok, "the gap is judged again")
	assert.Equal(t, 10.0, c.Threshold)
	assert.False(t, c.Passed, "45 ms at the client against vLLM's 25 ms: %s", c.Detail)
	assert.InDelta(t, 20, c.Value, 0.1)
}
