package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestInterruptedIsNotAFailure: a request the suite ended itself is
// counted apart, outside the success rate and the errors.
func TestInterruptedIsNotAFailure(t *testing.T) {
	a := NewAgg(Limits{MinSuccessRate: 1})
	for range 4 {
		a.Add(ok(500, 50, 5, 10))
	}
	a.Add(&record.Record{ErrorKind: record.ErrInterrupted, Error: "the suite stopped the request: run interrupted"})
	a.Add(&record.Record{ErrorKind: record.ErrCanceled}) // an older run's name for it
	assert.Equal(t, 4, a.Requests)
	assert.Equal(t, 2, a.Interrupted)
	assert.Empty(t, a.Errors)
	assert.Equal(t, 1.0, a.SuccessRate())
	c := a.SuccessCheck(Limits{MinSuccessRate: 1})
	assert.True(t, c.Passed, c.Detail)
	assert.Contains(t, c.Detail, "2 interrupted by the suite, not counted")
	run := a.ConcurrencyRun("closed_4", time.Second, 0.9)
	assert.Equal(t, 2, run.Interrupted)
	assert.Equal(t, sidecar.VerdictPass, sidecar.Judge{}.RunVerdict(run.Checks))
}

// TestWarmup: warm-up requests are marked and summed up apart.
func TestWarmup(t *testing.T) {
	assert.Nil(t, NewWarmup(0, 8).Sidecar(), "0 waves: no warm-up")
	w := NewWarmup(2, 4)
	assert.Equal(t, 8, w.Size)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for i := range 8 {
		r := ok(100, 10, 5, 10)
		r.Start, r.Class = t0.Add(time.Duration(i)*50*time.Millisecond), "short"
		if i == 7 {
			r = &record.Record{Status: 503, ErrorKind: record.ErrHTTP, Start: t0.Add(350 * time.Millisecond), E2Ems: 1}
		}
		w.Add(r)
		assert.Equal(t, ClassWarmup, r.Class, "marked warm-up in requests.jsonl")
	}
	s := w.Sidecar()
	require.NotNil(t, s)
	assert.Equal(t, 2, s.Waves)
	assert.Equal(t, 8, s.Requests)
	assert.Equal(t, 7, s.Completed)
	assert.Equal(t, map[string]int{"http_503": 1}, s.Errors)
	assert.InDelta(t, 0.4, s.DurationS, 1e-9, "first send to the last answer (300 ms + 100 ms)")
	assert.Equal(t, 7, s.E2Ems.N)
}

// TestColdStart: the rule of docs/methods.md on the figures
// (TestConcurrency/closed_8 on a GPU engine: the first 8 requests at
// 123–132 ms TPOT, requests 9–40 at 37–58 ms, SLO 100 ms).
func TestColdStart(t *testing.T) {
	lim := Limits{SLOTTFTms: 2000, SLOTPOTms: 100}
	type testCase struct {
		name          string
		first, rest   []float64 // TPOT of each request
		goodputFailed bool
		want          bool
		explains      bool
		reason        string
	}
	spread := func(lo, hi float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		}
		return out
	}
	run := func(t *testing.T, tc testCase) {
		c := NewColdStart(len(tc.first), lim, true)
		for i, v := range append(append([]float64{}, tc.first...), tc.rest...) {
			c.Add(i, ok(1000, 200, v, 20))
		}
		got := c.Result(tc.goodputFailed, 0.9)
		if !tc.want {
			assert.Nil(t, got, tc.reason)
			return
		}
		require.NotNil(t, got, tc.reason)
		assert.Equal(t, sidecar.HistTPOT, got.Metric)
		assert.Equal(t, tc.explains, got.ExplainsFailure, tc.reason)
		assert.Contains(t, got.Detail, "the first 8 requests were slower: cold start?")
	}
	for _, tc := range []testCase{
		{name: "the issue's closed_8", first: spread(123, 132, 8), rest: spread(37, 58, 32), goodputFailed: true, want: true, explains: true,
			reason: "80 % goodput, all misses in the first wave: cold start, not sizing"},
		{name: "cold but the rest misses too", first: spread(123, 132, 8), rest: append(spread(37, 58, 24), spread(101, 110, 8)...), goodputFailed: true, want: true, explains: false,
			reason: "a quarter of the rest misses the SLO as well: the sizing advice stays"},
		{name: "a note on a passing run", first: spread(90, 95, 8), rest: spread(37, 58, 32), want: true,
			reason: "markedly slower though within the SLO: noted"},
		{name: "one slow request is not a wave", first: append([]float64{130}, spread(40, 50, 7)...), rest: spread(37, 58, 32),
			reason: "the median of the wave is ordinary"},
		{name: "a wide distribution's own spread", first: spread(60, 70, 8), rest: append(spread(20, 40, 20), spread(60, 90, 12)...),
			reason: "below the rest's p90"},
		{name: "slower by less than half", first: spread(62, 66, 8), rest: spread(45, 46, 32),
			reason: "above every other request but only 1.4×: a tight distribution, not a cold engine"},
		{name: "too few after the wave", first: spread(123, 132, 8), rest: spread(37, 58, 4),
			reason: "a p90 of four requests says nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestMergeKeepsWarmupOut: each shard warms itself up; merge adds the
// counted parts only, and the warm-ups in the merged run's own warm-up.
func TestMergeKeepsWarmupOut(t *testing.T) {
	lim := Limits{MinSuccessRate: 0.95, SLOTTFTms: 250, SLOTPOTms: 20}
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var parts []sidecar.ConcurrencyRun
	for range 2 {
		a, w := NewAgg(lim), NewWarmup(1, 4)
		for range 4 {
			w.Add(ok(900, 400, 60, 10)) // slow, cold, and missing the SLOs
		}
		for range 10 {
			a.Add(ok(100, 20, 5, 10))
		}
		a.Add(&record.Record{ErrorKind: record.ErrInterrupted})
		lr := a.ConcurrencyRun("closed_8", time.Second, 0.9)
		lr.Warmup = w.Sidecar()
		parts = append(parts, openPart(lr, 1, start, time.Second))
	}
	m, err := MergeLoadRuns(parts)
	require.NoError(t, err)
	assert.Equal(t, 20, m.Requests, "warm-up requests are in no part's counts")
	assert.Equal(t, 20, m.Good, "nor in its SLO figures")
	assert.Equal(t, 2, m.Interrupted)
	require.NotNil(t, m.Warmup)
	assert.Equal(t, 8, m.Warmup.Requests)
	assert.Equal(t, 4, parts[0].Warmup.Requests, "the parts are left as they were")
	assert.Equal(t, sidecar.VerdictPass, sidecar.Judge{}.RunVerdict(m.Checks))
}
