package capacity

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"time"
)

// Model is a discrete-event model of a batching server, the embedded
// simulator's (internal/sim: Persona.TTFT, ITL, Noise, BatchK) under the
// capacity search's load: Poisson arrivals, each request answering Tokens
// streamed tokens. Each token's delay (TTFT for the first, ITL for every
// next one) is multiplied by the request's noise factor, uniform in
// [1-Noise, 1+Noise], and by 1 + in-flight/BatchK, in-flight read when the
// delay starts (the request itself included), as sim.Server.batchScale
// does. It is the self-tests' oracle: the capacity it gives comes from
// the persona's declared parameters and the SLOs, never from a run.
type Model struct {
	TTFT, ITL time.Duration
	Noise     float64
	BatchK    int
	Tokens    int
	// The SLOs a request must meet to be good, and the share of good
	// requests a rate must keep (ACCEPTANCE_SLO_TTFT, _SLO_TPOT,
	// _MIN_GOODPUT_RATIO).
	SLOTTFT, SLOTPOT time.Duration
	MinGoodputRatio  float64
}

// ModelRequests is how many counted requests Model.Capacity simulates at
// each rate (after as many again of warm-up): near the capacity the queue
// makes requests' fates correlated, and 20,000 hold the capacity to about
// 1 % from one seed to another (4,000 to about 5 %).
const ModelRequests = 20000

// event is one request's next token due at t.
type event struct {
	t   float64
	req int
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].t < e[j].t }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// GoodputRatio is the share of n counted requests (after n of warm-up,
// with arrivals going on until they finish) that meet both SLOs at rate,
// seeded: the same seed draws the same gaps and noise at every rate.
func (m Model) GoodputRatio(rate float64, n int, seed uint64) float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ttft, itl := m.TTFT.Seconds(), m.ITL.Seconds()
	k := float64(m.BatchK)
	batch := func(running int) float64 {
		if m.BatchK <= 0 {
			return 1
		}
		return 1 + float64(running)/k
	}
	type req struct {
		arrive, first float64
		noise         float64
		left          int
	}
	var reqs []req
	var q events
	running, good, done := 0, 0, 0
	warm := n
	next := rng.ExpFloat64() / rate
	for done < n {
		if len(q) == 0 || next <= q[0].t {
			// An arrival: the request joins the batch, its first token
			// due after TTFT at the batch it finds.
			i := len(reqs)
			u := 1 + m.Noise*(2*rng.Float64()-1)
			running++
			reqs = append(reqs, req{arrive: next, noise: u, left: max(m.Tokens, 1)})
			heap.Push(&q, event{t: next + ttft*u*batch(running), req: i})
			next += rng.ExpFloat64() / rate
			if running > 20*max(m.BatchK, 1)+1000 {
				break // far past saturation: nothing more to learn
			}
			continue
		}
		ev := heap.Pop(&q).(event)
		r := &reqs[ev.req]
		if r.left == max(m.Tokens, 1) {
			r.first = ev.t
		}
		r.left--
		if r.left > 0 {
			heap.Push(&q, event{t: ev.t + itl*r.noise*batch(running), req: ev.req})
			continue
		}
		running--
		if ev.req < warm || ev.req >= warm+n {
			continue
		}
		done++
		t1 := r.first - r.arrive
		tpot := 0.0
		if m.Tokens > 1 {
			tpot = (ev.t - r.first) / float64(m.Tokens-1)
		}
		if (m.SLOTTFT <= 0 || t1 <= m.SLOTTFT.Seconds()) && (m.SLOTPOT <= 0 || tpot <= m.SLOTPOT.Seconds()) {
			good++
		}
	}
	return float64(good) / float64(n)
}

// Capacity is the highest rate whose goodput ratio (ModelRequests
// counted, seed 1) is at least MinGoodputRatio, to 0.5 %: the rate the
// capacity search should find on this server.
func (m Model) Capacity() float64 {
	// No rate beyond the saturated batch's throughput (BatchK requests'
	// worth of tokens at the fastest noise) is sustainable.
	e2e := (m.TTFT.Seconds() + float64(max(m.Tokens-1, 0))*m.ITL.Seconds()) * (1 - m.Noise)
	hi := 4 * float64(max(m.BatchK, 1)+1) / e2e
	lo := 0.0
	for hi-lo > 5e-3*hi {
		mid := (lo + hi) / 2
		if m.GoodputRatio(mid, ModelRequests, 1) >= m.MinGoodputRatio {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Round(lo*1000) / 1000
}
