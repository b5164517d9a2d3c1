// Package load drives streams of chat requests at a server and aggregates
// their records in bounded memory.
//
// The engine emits values; the aggregators fold them; the suite turns the
// folded figures into sidecar sections and verdicts (docs/style.md,
// after vegeta). A failed request is a Result like any other: the engines never
// retry, never stop early on errors, and never obey Retry-After (the
// record keeps it). Only cancellation of ctx stops a run before its count.
package load

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Sender sends one request. scheduled, when not zero, is when an open-loop
// generator meant to send it; latencies then count from there.
// (*client.Client).ChatAt is a Sender.
type Sender func(ctx context.Context, req client.Request, scheduled time.Time) record.Record

// Plan builds request i (0-based) of a run and names its class.
type Plan func(i int) (class string, req client.Request)

// Result is one finished request.
type Result struct {
	// I is the request's index in the run, in the order it was planned.
	I      int
	Class  string
	Record record.Record
	// Lag is the dispatch lag: when the request actually went out
	// (Record.Start) minus when the generator meant to send it. Open loop:
	// its due time. Closed loop and Sequential: the moment its worker was
	// free again (the previous answer's end, plus the pause in Sequential).
	// A generator that keeps up has lags of microseconds; one starved of
	// CPU, or slowed by its consumer, shows it here (see Generator).
	Lag time.Duration
}

// sendAt calls send and returns its record with the dispatch lag measured
// from ready. Senders that leave Record.Start zero (test fakes) are timed
// from the call.
func sendAt(ctx context.Context, send Sender, req client.Request, scheduled, ready time.Time) (record.Record, time.Duration) {
	called := time.Now()
	rec := send(ctx, req, scheduled)
	sent := rec.Start
	if sent.IsZero() {
		sent = called
	}
	return rec, sent.Sub(ready)
}

// Sequential sends n requests one after the other, pausing interval between
// the end of one and the start of the next (the seed report's stability
// pattern). The pause ends early when ctx is cancelled, and no further
// request is sent. The channel is closed when the run ends.
func Sequential(ctx context.Context, n int, interval time.Duration, plan Plan, send Sender) <-chan Result {
	out := make(chan Result)
	go func() {
		defer close(out)
		ready := time.Now()
		for i := range n {
			if i > 0 {
				if !wait.Sleep(ctx, interval) {
					return
				}
				ready = ready.Add(interval)
			}
			if ctx.Err() != nil {
				return
			}
			class, req := plan(i)
			rec, lag := sendAt(ctx, send, req, time.Time{}, ready)
			ready = time.Now()
			out <- Result{I: i, Class: class, Record: rec, Lag: lag}
		}
	}()
	return out
}

// Closed runs a closed loop: workers goroutines each send requests back to
// back until n have been sent in all. Throughput is whatever the server
// sustains at that concurrency.
func Closed(ctx context.Context, workers, n int, plan Plan, send Sender) <-chan Result {
	out := make(chan Result)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			// The worker is due to send again the moment an answer ends;
			// handing the result over (out) and planning the next request
			// count as lag.
			ready := time.Now()
			for i := range next {
				class, req := plan(i)
				rec, lag := sendAt(ctx, send, req, time.Time{}, ready)
				ready = time.Now()
				out <- Result{I: i, Class: class, Record: rec, Lag: lag}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// Arrivals returns the send offsets of n Poisson arrivals at rate per
// second: the first at 0, then exponential gaps of mean 1/rate drawn from
// a PCG generator seeded with seed, so two runs with the same seed send on
// the same schedule and can be compared.
func Arrivals(rate float64, n int, seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]time.Duration, n)
	var t float64 // seconds
	for i := range n {
		if i > 0 {
			t += rng.ExpFloat64() / rate
		}
		out[i] = time.Duration(t * float64(time.Second))
	}
	return out
}

// Open runs an open loop: request i is due at start+offsets[i] (see
// Arrivals) whatever the server is doing, and goes out in its own
// goroutine. Its latency counts from that due time (Sender's scheduled),
// so a server or harness that falls behind shows it as latency instead of
// sending less (no coordinated omission). maxInFlight > 0 caps the
// requests in flight; one that waits for a slot still counts from its due
// time. Cancelling ctx stops the schedule; requests in flight end as the
// client reports them (canceled).
func Open(ctx context.Context, offsets []time.Duration, maxInFlight int, plan Plan, send Sender) <-chan Result {
	out := make(chan Result)
	if maxInFlight <= 0 {
		maxInFlight = max(len(offsets), 1)
	}
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	go func() {
		defer func() {
			wg.Wait()
			close(out)
		}()
		start := time.Now()
		for i, off := range offsets {
			due := start.Add(off)
			if !wait.Sleep(ctx, time.Until(due)) {
				return
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			class, req := plan(i)
			wg.Go(func() {
				defer func() { <-slots }()
				rec, lag := sendAt(ctx, send, req, due, due)
				out <- Result{I: i, Class: class, Record: rec, Lag: lag}
			})
		}
	}()
	return out
}
