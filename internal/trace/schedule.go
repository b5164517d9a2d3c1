package trace

import "time"

// Offsets are the send offsets of the trace's lines: each line's arrival
// time divided by speedup (2 replays the trace twice as fast). nil for a
// trace without timestamps.
func (t *Trace) Offsets(speedup float64) []time.Duration {
	if !t.Timed {
		return nil
	}
	if speedup <= 0 {
		speedup = 1
	}
	out := make([]time.Duration, len(t.Requests))
	for i, r := range t.Requests {
		out[i] = time.Duration(float64(r.At) / speedup)
	}
	return out
}

// Window is n lines of the trace from line index from on, cycling to the
// start when the trace ends, with send offsets that keep the trace's
// gaps, scaled so that they arrive at rate per second on average: the
// trace's own burstiness at a rate of the caller's (the capacity search's
// steps). The gap from the trace's last line back to its first is its
// mean gap. A trace without timestamps (or of one instant) gets evenly
// spaced offsets at rate.
func (t *Trace) Window(from, n int, rate float64) ([]Request, []time.Duration) {
	reqs := make([]Request, n)
	offs := make([]time.Duration, n)
	m := len(t.Requests)
	if m == 0 || n == 0 || rate <= 0 {
		return reqs[:0], offs[:0]
	}
	mean := time.Duration(float64(time.Second) / rate)
	scale := 0.0
	if tr := t.Rate(); tr > 0 {
		scale = tr / rate // trace seconds → step seconds
	}
	var at time.Duration
	for k := range n {
		i := (from + k) % m
		reqs[k] = t.Requests[i]
		if k > 0 {
			gap := mean
			if scale > 0 {
				prev := (i - 1 + m) % m
				if i > 0 {
					gap = time.Duration(float64(t.Requests[i].At-t.Requests[prev].At) * scale)
				}
			}
			at += gap
		}
		offs[k] = at
	}
	return reqs, offs
}
