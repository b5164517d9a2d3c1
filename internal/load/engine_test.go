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

// The first four requests hold their workers until all four are in
// flight, so the peak is exactly the worker count however slowly the
// machine schedules goroutines (with fewer workers the gate times out and
// the peak shows it; with more, the peak does).
func TestClosedKeepsWorkersBusy(t *testing.T) {
	const workers = 4
	var inflight, peak, entered atomic.Int32
	full := make(chan struct{})
	send := func(context.Context, client.Request, time.Time) record.Record {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if entered.Add(1) == workers {
			close(full)
		}
		select {
		case <-full:
		case <-time.After(10 * time.Second):
		}
		inflight.Add(-1)
		return record.Record{Status: 200}
	}
	res := collect(Closed(context.Background(), workers, 40, plan, send))
	require.Len(t, res, 40)
	seen := map[int]bool{}
	for _, r := range res {
		seen[r.I] = true
	}
	assert.Len(t, seen, 40, "each index once")
	assert.EqualValues(t, workers, peak.Load())
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

// No answer comes until every request has been sent: an open loop that
// waited for answers would never send the second one (each send gives up
// after 10 s and the test fails). The schedule is the offsets from one
// start exactly, since due times are computed, not measured.
func TestOpenSendsOnScheduleWhateverTheServerDoes(t *testing.T) {
	offsets := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	var entered atomic.Int32
	all := make(chan struct{})
	var early atomic.Int32
	start := time.Now()
	send := func(_ context.Context, _ client.Request, sch time.Time) record.Record {
		if time.Now().Before(sch) {
			early.Add(1)
		}
		if entered.Add(1) == int32(len(offsets)) {
			close(all)
		}
		select {
		case <-all:
			return record.Record{Status: 200, Scheduled: sch}
		case <-time.After(10 * time.Second):
			return record.Record{Status: 0, ErrorKind: record.ErrTimeout, Scheduled: sch}
		}
	}
	res := collect(Open(context.Background(), offsets, 0, plan, send))
	require.Len(t, res, len(offsets))
	byIndex := map[int]time.Time{}
	for _, r := range res {
		assert.True(t, r.Record.OK(), "request %d was answered only once all were sent: arrivals do not wait for answers", r.I)
		byIndex[r.I] = r.Record.Scheduled
	}
	require.Len(t, byIndex, len(offsets))
	assert.False(t, byIndex[0].Before(start), "the schedule starts when Open is called")
	for i, off := range offsets {
		assert.Equal(t, off, byIndex[i].Sub(byIndex[0]), "request %d is due at its offset", i)
	}
	assert.Zero(t, early.Load(), "no request is sent before it is due")
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
