package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func ok(e2e, ttft, tpot float64, tokens int) *record.Record {
	return &record.Record{Status: 200, E2Ems: e2e, TTFTms: ttft, TTFOms: ttft, TPOTms: tpot, CompletionTokens: tokens, ITLms: []float64{tpot, tpot}}
}

func TestErrorKey(t *testing.T) {
	type testCase struct {
		name string
		rec  record.Record
		want string
	}
	run := func(t *testing.T, tc testCase) { assert.Equal(t, tc.want, ErrorKey(&tc.rec)) }
	for _, tc := range []testCase{
		{"success has no key", record.Record{Status: 200}, ""},
		{"an HTTP status is counted by status", record.Record{Status: 500, ErrorKind: record.ErrHTTP}, "http_500"},
		{"429 too", record.Record{Status: 429, ErrorKind: record.ErrHTTP, RetryAfter: "3"}, "http_429"},
		{"no response: by kind", record.Record{ErrorKind: record.ErrTimeout}, "timeout"},
		{"a broken stream after 200 is a stream error", record.Record{Status: 200, ErrorKind: record.ErrStream}, "stream"},
		{"refused", record.Record{ErrorKind: record.ErrUnreachable}, "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestAggCountsFailuresAndKeepsThemOutOfLatency(t *testing.T) {
	a := NewAgg(Limits{MinSuccessRate: 0.95, SLOTTFTms: 100, SLOTPOTms: 10})
	a.Add(ok(500, 50, 5, 10))
	a.Add(ok(900, 150, 5, 10)) // TTFT over the SLO
	a.Add(ok(900, 100, 10, 1)) // exactly at the SLOs: good (inclusive)
	a.Add(&record.Record{ErrorKind: record.ErrTimeout, E2Ems: 120000})
	a.Add(&record.Record{Status: 500, ErrorKind: record.ErrHTTP, E2Ems: 3})
	a.Add(&record.Record{Status: 500, ErrorKind: record.ErrHTTP, E2Ems: 3})

	assert.Equal(t, 6, a.Requests)
	assert.Equal(t, 3, a.Completed)
	assert.Equal(t, 1, a.Timeouts)
	assert.Equal(t, map[string]int{"http_500": 2, "timeout": 1}, a.Errors)
	assert.Equal(t, 2, a.Good)
	assert.Equal(t, 3, a.E2E.Summary().N, "failed requests stay out of the latency figures")
	assert.Equal(t, 900.0, a.E2E.Summary().Max)
	assert.Equal(t, 6, a.ITL.Summary().N)

	c := a.SuccessCheck(a.lim)
	assert.False(t, c.Passed)
	assert.InDelta(t, 0.5, c.Value, 1e-9)
	assert.Contains(t, c.Detail, "http_500=2, timeout=1")

	lr := a.ConcurrencyRun("closed_4", 2*time.Second, 0.5)
	assert.InDelta(t, 1.5, lr.RequestThroughput, 1e-9)
	assert.InDelta(t, 10.5, lr.OutputThroughput, 1e-9)
	assert.InDelta(t, 1.0, lr.Goodput, 1e-9, "good requests per second")
	assert.InDelta(t, 2.0/6, lr.GoodputRatio, 1e-9, "failures count against the ratio")
	assert.Equal(t, sidecar.VerdictFail, sidecar.Judge{}.RunVerdict(lr.Checks))

	require.Contains(t, lr.Histograms, sidecar.HistTTFT, "the distributions go into the sidecar")
	h, err := stats.DecodeHistogram(lr.Histograms[sidecar.HistE2E])
	require.NoError(t, err)
	assert.Equal(t, int64(3), h.Count(), "the encoded e2e histogram holds the successful requests")
	assert.InDelta(t, 900.0, h.Summary().Max, 1, "in ms, within the 3-digit precision")
	assert.NotContains(t, NewAgg(Limits{}).Histograms(), sidecar.HistTTFT, "an empty histogram is left out")
}

func TestProgressLine(t *testing.T) {
	a := NewAgg(Limits{})
	for i := range 10 {
		a.Add(ok(float64(800+i*3), 10, 1, 5))
	}
	a.Add(&record.Record{Status: 503, ErrorKind: record.ErrHTTP})
	line := a.Progress(20)
	assert.Regexp(t, `^11/20 done, p50 e2e 8\d\d ms p99 8\d\d ms, errors 1 \(http_503=1\)$`, line)
}

func TestStabilityJudgesEachClassOnItsOwn(t *testing.T) {
	lim := Limits{MinSuccessRate: 0.95, MaxDegradation: 0.2}
	type testCase struct {
		name      string
		short     func(i int) float64
		long      func(i int) float64
		wantPass  bool
		wantClass string
	}
	run := func(t *testing.T, tc testCase) {
		s := NewStabilityAgg(lim)
		for i := range 40 {
			if i%2 == 0 {
				s.Add("short", ok(tc.short(i), 20, 1, 10))
			} else {
				s.Add("long", ok(tc.long(i), 20, 1, 900))
			}
		}
		res := s.Run("alternating", time.Second)
		require.Len(t, res.Classes, 2)
		assert.Equal(t, "short", res.Classes[0].Name)
		assert.Equal(t, 20, res.Classes[1].Requests)
		assert.Equal(t, "e2e_ms", res.Degradation.Metric)
		require.NotNil(t, res.Classes[0].TTFTDegradation)
		assert.Equal(t, "ttft_ms", res.Classes[0].TTFTDegradation.Metric)
		assert.Equal(t, tc.wantClass, res.Degradation.Class)
		assert.Equal(t, tc.wantPass, sidecar.Judge{}.RunVerdict(res.Checks) == sidecar.VerdictPass, "checks: %+v", res.Checks)
	}
	flat := func(v float64) func(int) float64 { return func(int) float64 { return v } }
	for _, tc := range []testCase{
		{
			name:  "short and long differ tenfold: not a degradation",
			short: flat(100), long: flat(1000), wantPass: true, wantClass: "short", // a tie: the first class
		},
		{
			name:  "the long class slows by 60 %: fails, and names the class",
			short: flat(100), long: func(i int) float64 { return 1000 + 30*float64(i) }, wantPass: false, wantClass: "long",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func turnsOf(ttft func(i int) float64, promptTokens func(i int) int) []sidecar.Turn {
	var out []sidecar.Turn
	for i := range 15 {
		out = append(out, sidecar.Turn{Turn: i + 1, PromptTokens: promptTokens(i), TTFTms: ttft(i), E2Ems: ttft(i) + 1000})
	}
	return out
}

func TestConversationChecks(t *testing.T) {
	grow := func(i int) int { return 100 + 400*i }
	type testCase struct {
		name  string
		turns []sidecar.Turn
		want  map[string]bool // check name → passed
	}
	run := func(t *testing.T, tc testCase) {
		got := map[string]bool{}
		for _, c := range ConversationChecks(tc.turns) {
			got[c.Name] = c.Passed
		}
		assert.Equal(t, tc.want, got)
	}
	for _, tc := range []testCase{
		{
			name:  "TTFT linear in prompt tokens is explained by the context",
			turns: turnsOf(func(i int) float64 { return 50 + 0.2*float64(grow(i)) }, grow),
			want:  map[string]bool{sidecar.CheckErrors: true, sidecar.CheckLatencyGrowth: true},
		},
		{
			name:  "fast server with jitter: 20 ms to 90 ms is under the 500 ms floor",
			turns: turnsOf(func(i int) float64 { return 20 + float64(i%3)*35 }, grow),
			want:  map[string]bool{sidecar.CheckErrors: true, sidecar.CheckLatencyGrowth: true},
		},
		{
			name: "late turns jump far beyond the fit: flagged",
			turns: turnsOf(func(i int) float64 {
				if i >= 11 {
					return 5000
				}
				return 200 + 0.05*float64(grow(i))
			}, grow),
			want: map[string]bool{sidecar.CheckErrors: true, sidecar.CheckLatencyGrowth: false},
		},
		{
			name:  "a slow first turn (cold cache) is not judged",
			turns: turnsOf(func(i int) float64 { return map[bool]float64{true: 4000, false: 300}[i == 0] }, grow),
			want:  map[string]bool{sidecar.CheckErrors: true, sidecar.CheckLatencyGrowth: true},
		},
		{
			name: "a failed turn fails errors",
			turns: append(turnsOf(func(int) float64 { return 100 }, grow)[:5],
				sidecar.Turn{Turn: 6, Error: "http_400: context length exceeded"}),
			want: map[string]bool{sidecar.CheckErrors: false, sidecar.CheckLatencyGrowth: true},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
