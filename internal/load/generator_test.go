package load

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func TestLagLimit(t *testing.T) {
	type testCase struct {
		name string
		slo  time.Duration
		ttft float64
		want time.Duration
	}
	for _, tc := range []testCase{
		{"nothing known: the floor", 0, 0, LagFloor},
		{"a fast server: the floor", 2 * time.Second, 30, LagFloor},
		{"make demo: SLO 500 ms, TTFT 30 ms", 500 * time.Millisecond, 30, LagFloor},
		{"a tenth of the TTFT p50", 2 * time.Second, 800, 80 * time.Millisecond},
		{"a tenth of the SLO when TTFT is slower", 2 * time.Second, 5000, 200 * time.Millisecond},
		{"no SLO: a tenth of the TTFT", 0, 1000, 100 * time.Millisecond},
		{"no TTFT: a tenth of the SLO", time.Second, 0, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, LagLimit(tc.slo, tc.ttft)) })
	}
}

func TestGeneratorCheck(t *testing.T) {
	type testCase struct {
		name   string
		gen    sidecar.Generator
		passed bool
		detail string
		reason string
	}
	lag := func(n int, p99 float64) stats.Summary { return stats.Summary{N: n, P50: 0.1, P99: p99, Max: p99} }
	run := func(t *testing.T, tc testCase) {
		c := GeneratorCheck(tc.gen)
		assert.Equal(t, sidecar.CheckLoadGenerator, c.Name)
		assert.Equal(t, tc.passed, c.Passed, tc.reason)
		assert.Contains(t, c.Detail, tc.detail, tc.reason)
		assert.Equal(t, tc.gen.DispatchLagMs.P99, c.Value)
		assert.Equal(t, tc.gen.LagLimitMs, c.Threshold)
	}
	for _, tc := range []testCase{
		{name: "on schedule", gen: sidecar.Generator{DispatchLagMs: lag(40, 0.3), LagLimitMs: 50, CPUCoresUsed: 0.1, Cores: 2, CPUFraction: 0.05, DurationS: 1},
			passed: true, detail: "dispatch lag p99 0.30 ms", reason: "a generator on schedule passes"},
		{name: "two late of forty", gen: sidecar.Generator{DispatchLagMs: lag(40, 80), LagLimitMs: 50, Late: 2, Cores: 2, DurationS: 1},
			passed: true, detail: "2 of 40 dispatches later than 50 ms", reason: "one or two outliers (a GC pause) are not a pattern"},
		{name: "three late of a thousand", gen: sidecar.Generator{DispatchLagMs: lag(1000, 10), LagLimitMs: 25, Late: 3, Cores: 2, DurationS: 1},
			passed: true, reason: "0.3 % late is under 1 %"},
		{name: "behind schedule", gen: sidecar.Generator{DispatchLagMs: lag(4000, 1900), LagLimitMs: 25, Late: 3500, CPUCoresUsed: 1.9, Cores: 2, CPUFraction: 0.95, DurationS: 1.5},
			passed: false, reason: "most dispatches late",
			detail: "the load generator fell behind its schedule (dispatch lag p99 1.90 s"},
		{name: "out of CPU", gen: sidecar.Generator{DispatchLagMs: lag(4000, 3), LagLimitMs: 25, CPUCoresUsed: 1.98, Cores: 2, CPUFraction: 0.99, DurationS: 5},
			passed: false, detail: "the load generator ran out of CPU (client CPU 1.98 of 2 cores", reason: "CPU-bound for 5 s"},
		{name: "busy but short", gen: sidecar.Generator{DispatchLagMs: lag(100, 3), LagLimitMs: 25, CPUCoresUsed: 1.98, Cores: 2, CPUFraction: 0.99, DurationS: 0.5},
			passed: true, reason: "half a second of CPU is too short to judge"},
		{name: "no CPU figure", gen: sidecar.Generator{DispatchLagMs: lag(100, 3), LagLimitMs: 25, CPUCoresUsed: -1, Cores: 2, DurationS: 5},
			passed: true, detail: "client CPU not measured", reason: "platforms without rusage judge the lag alone"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
	c := GeneratorCheck(sidecar.Generator{DispatchLagMs: lag(4000, 1900), LagLimitMs: 25, Late: 3500, Cores: 2, DurationS: 1.5})
	assert.Regexp(t, `^the load generator fell behind its schedule \(dispatch lag p99 [^)]+\): the figures measure this machine, not the server; lower the rate or shard the load \(ACCEPTANCE_SHARD\)$`, c.Detail)
}

func TestGeneratorCountsLateDispatchesChunksAndGoroutines(t *testing.T) {
	g := StartGenerator()
	for i := range 10 {
		lag := time.Duration(i) * time.Millisecond
		if i >= 7 {
			lag = time.Second
		}
		g.Add(lag, &record.Record{Chunks: 5})
	}
	done := make(chan struct{})
	for range 50 {
		go func() { <-done }()
	}
	g.sample()
	close(done)
	s := g.Stop()
	c := GeneratorCheckAt(&s, 25*time.Millisecond)
	assert.Equal(t, 10, s.DispatchLagMs.N)
	assert.Equal(t, 3, s.Late)
	assert.InDelta(t, 1000, s.DispatchLagMs.Max, 1)
	assert.EqualValues(t, 50, s.Chunks)
	assert.GreaterOrEqual(t, s.PeakGoroutines, 50)
	assert.Positive(t, s.Cores)
	assert.Positive(t, s.ChunksPerS)
	assert.Equal(t, 25.0, s.LagLimitMs)
	assert.False(t, c.Passed, "3 of 10 late")
	assert.Equal(t, 0, func() int { GeneratorCheckAt(&s, 2*time.Second); return s.Late }(), "none later than 2 s")
}

// An open loop whose sender blocks (a generator with no goroutine to
// spare, here a cap of one in flight) sends late, and the lag says how late.
func TestOpenLagGrowsWhenTheGeneratorFallsBehind(t *testing.T) {
	send := func(context.Context, client.Request, time.Time) record.Record {
		time.Sleep(5 * time.Millisecond)
		return record.Record{Status: 200, Start: time.Now().Add(-5 * time.Millisecond)}
	}
	offsets := make([]time.Duration, 10) // all due at once
	res := collect(Open(context.Background(), offsets, 1, plan, send))
	require.Len(t, res, 10)
	var worst time.Duration
	for _, r := range res {
		assert.GreaterOrEqual(t, r.Lag, time.Duration(0))
		worst = max(worst, r.Lag)
	}
	assert.GreaterOrEqual(t, worst, 40*time.Millisecond, "the tenth waited for nine sends of 5 ms")
}

// A closed loop's lag counts from the moment the worker was free: a slow
// consumer of the results shows as lag.
func TestClosedLagCountsTheConsumer(t *testing.T) {
	send := func(context.Context, client.Request, time.Time) record.Record { return record.Record{Status: 200} }
	var lags []time.Duration
	for r := range Closed(context.Background(), 1, 4, plan, send) {
		lags = append(lags, r.Lag)
		time.Sleep(10 * time.Millisecond)
	}
	require.Len(t, lags, 4)
	assert.GreaterOrEqual(t, lags[3], 10*time.Millisecond, "the worker waited for the consumer before sending again")
}
