package load

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

func plan(i int) (string, client.Request) {
	if i%2 == 0 {
		return "short", client.Request{MaxTokens: 1}
	}
	return "long", client.Request{MaxTokens: 2}
}

func collect(ch <-chan Result) []Result {
	var out []Result
	for r := range ch {
		out = append(out, r)
	}
	return out
}

func TestSequentialSendsInOrderAndNeverRetries(t *testing.T) {
	var sent atomic.Int32
	send := func(_ context.Context, req client.Request, sch time.Time) record.Record {
		sent.Add(1)
		assert.True(t, sch.IsZero(), "a closed loop has no schedule")
		return record.Record{Status: 500, ErrorKind: record.ErrHTTP, RetryAfter: "30"}
	}
	res := collect(Sequential(context.Background(), 5, time.Millisecond, plan, send))
	require.Len(t, res, 5, "every request is a result, failures included")
	assert.EqualValues(t, 5, sent.Load(), "no retries")
	for i, r := range res {
		assert.Equal(t, i, r.I)
	}
	assert.Equal(t, "short", res[0].Class)
	assert.Equal(t, "long", res[1].Class)
}

func TestSequentialStopsWhenCancelledDuringThePause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	send := func(context.Context, client.Request, time.Time) record.Record {
		cancel()
		return record.Record{Status: 200}
	}
	start := time.Now()
	res := collect(Sequential(ctx, 10, time.Hour, plan, send))
	assert.Len(t, res, 1)
	assert.Less(t, time.Since(start), 5*time.Second, "the pause respects ctx")
}

func TestClosedKeepsWorkersBusy(t *testing.T) {
	var inflight, peak atomic.Int32
	send := func(context.Context, client.Request, time.Time) record.Record {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inflight.Add(-1)
		return record.Record{Status: 200}
	}
	res := collect(Closed(context.Background(), 4, 40, plan, send))
	require.Len(t, res, 40)
	seen := map[int]bool{}
	for _, r := range res {
		seen[r.I] = true
	}
	assert.Len(t, seen, 40, "each index once")
	assert.EqualValues(t, 4, peak.Load())
}

func TestArrivalsArePoissonAndRepeatable(t *testing.T) {
	a := Arrivals(10, 20000, 7)
	assert.Equal(t, a, Arrivals(10, 20000, 7), "same seed, same schedule")
	assert.NotEqual(t, a[1:50], Arrivals(10, 20000, 8)[1:50])
	assert.Zero(t, a[0])
	// Mean gap 1/rate; for exponential gaps the standard deviation equals
	// the mean too.
	var sum, sq float64
	n := float64(len(a) - 1)
	for i := 1; i < len(a); i++ {
		g := (a[i] - a[i-1]).Seconds()
		require.GreaterOrEqual(t, g, 0.0)
		sum += g
		sq += g * g
	}
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	assert.InDelta(t, 0.1, mean, 0.003)
	assert.InDelta(t, 0.1, sd, 0.005)
}

func TestOpenSendsOnScheduleWhateverTheServerDoes(t *testing.T) {
	offsets := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	start := time.Now()
	send := func(_ context.Context, _ client.Request, sch time.Time) record.Record {
		require.False(t, sch.IsZero())
		time.Sleep(100 * time.Millisecond) // slower than the arrival gaps
		return record.Record{Status: 200, Scheduled: sch, E2Ems: float64(time.Since(sch).Milliseconds())}
	}
	res := collect(Open(context.Background(), offsets, 0, plan, send))
	require.Len(t, res, 4)
	assert.Less(t, time.Since(start), 300*time.Millisecond, "arrivals do not wait for answers")
	for _, r := range res {
		due := start.Add(offsets[r.I])
		assert.WithinDuration(t, due, r.Record.Scheduled, 15*time.Millisecond)
	}
}

func TestOpenCapWaitsButLatencyCountsFromSchedule(t *testing.T) {
	offsets := []time.Duration{0, 0, 0}
	send := func(_ context.Context, _ client.Request, sch time.Time) record.Record {
		time.Sleep(20 * time.Millisecond)
		return record.Record{Status: 200, E2Ems: float64(time.Since(sch).Microseconds()) / 1000}
	}
	res := collect(Open(context.Background(), offsets, 1, plan, send))
	require.Len(t, res, 3)
	var worst float64
	for _, r := range res {
		worst = max(worst, r.Record.E2Ems)
	}
	assert.GreaterOrEqual(t, worst, 55.0, "the third waited two requests' time and that counts")
}
