// Package wait holds the two ways the suite waits on a context: a sleep
// that a cancelled run cuts short (the load engine, the simulator's
// latency, a shard waiting for its start time) and a ticker loop (the GPU
// monitor and the /metrics sampler).
package wait

import (
	"context"
	"time"
)

// Until waits until the wall-clock time t, or until ctx is done, and
// reports whether the run goes on, as Sleep does. A caller that paces a
// series of events by absolute due times (due = due.Add(step)) keeps its
// declared rate when a timer fires late, as timers do on a loaded machine:
// the next wait is shorter by the overshoot, where relative sleeps would
// add every overshoot to the total.
func Until(ctx context.Context, t time.Time) bool { return Sleep(ctx, time.Until(t)) }

// Sleep waits d, or until ctx is done, and reports whether the run goes
// on: true after a full wait, false when ctx ended. d <= 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Every calls f every interval until ctx is done, then returns. The first
// call comes one interval after Every starts. interval must be positive.
func Every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
