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

// SharedPrefix is, for each of reqs in order, how many of its leading
// prompt tokens earlier lines of reqs already sent: its leading hash ids
// that an earlier line also had at the same place (k whole blocks, capped
// at its input length). A server with prefix caching can serve those from
// cache, unless it evicted them; a chat line (no hash ids) shares none.
func SharedPrefix(reqs []Request) []int {
	type key struct {
		pos int
		id  int64
		// parent chains the key to the block before it, as a prefix
		// cache's block hash does: the same id after another prefix is
		// another block.
		parent int
	}
	seen := map[key]int{}
	out := make([]int, len(reqs))
	for i, r := range reqs {
		parent, shared := -1, true
		for j, id := range r.HashIDs {
			k := key{pos: j, id: id, parent: parent}
			node, ok := seen[k]
			if !ok {
				node = len(seen)
				seen[k] = node
			}
			if ok && shared {
				out[i] = min((j+1)*BlockTokens, r.InputLength)
			} else {
				shared = false
			}
			parent = node
		}
	}
	return out
}
