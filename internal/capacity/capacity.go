// Package capacity owns the capacity search and its judgement: which rates
// to try (Search), whether one step has enough evidence and how it went
// (Criteria: Evidence, Decide, the one rule for one process and for merge),
// what the search found in the sidecar's words (Section, Line, Failure),
// and a discrete-event model of a batching server to check it against
// (Model). It does no I/O: the live side, suite.CapacitySearch, runs each
// step and reports back. docs/capacity.md describes the whole procedure.
//
// The search follows vllm bench serve's SLA sweep (sweep/serve_sla.py) and
// GuideLLM's sweep, planned from the measured server: a short saturating
// closed loop first bounds the throughput (Bounds.Ceiling: no open loop
// can be sustained above it), the first step runs at half of it, and the
// search bisects between the highest passing rate and the lowest failing
// one (the ceiling standing in until a step fails) until they are within
// Resolution of each other. Without a ceiling it doubles from the start
// rate until a step fails. A step the load generator could not keep up
// with proves nothing about the server and ends the search ("at least" the
// last passing rate); a step cut by the suite's own stop is not judged and
// ends it too ("at least X req/s (interrupted)").
package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// Outcome is how one step went.
type Outcome string

// Outcomes of a step.
const (
	// Pass: the goodput ratio and the error budget held.
	Pass Outcome = "pass"
	// Fail: they did not.
	Fail Outcome = "fail"
	// Saturated: stopped early, clearly over saturation (the queue kept
	// growing and TTFT kept climbing) or already past its budget of bad
	// requests. A failure.
	Saturated Outcome = "saturated"
	// Limited: the load generator fell behind (load_generator check): the
	// step measured the client, not the server.
	Limited Outcome = "limited"
	// NotJudged: the suite's own stop (SIGTERM, go test -timeout) cut the
	// step: neither a pass nor a failing bound.
	NotJudged Outcome = "not_judged"
)

// Failed reports whether the step counts as a failure of the server.
func (o Outcome) Failed() bool { return o == Fail || o == Saturated }

// Bounds bound one search. Zero values are refused by Check.
type Bounds struct {
	// StartRate is the first step's rate (requests per second) when the
	// user set one (ACCEPTANCE_CAPACITY_START_RATE); 0 plans it: half the
	// ceiling, or Floor without one.
	StartRate float64
	// Floor is the lowest rate tried (a failure there gives capacity 0):
	// StartRate when set, else half a request in flight at the idle
	// latency (the suite's autoStartRate).
	Floor float64
	// Ceiling is the saturating probe's throughput (req/s), 0 when none
	// was measured: a rate the server cannot sustain, standing in for the
	// failing bound until a step fails. A step at the ceiling itself runs
	// before a search reports it as the bound, so a low probe is corrected.
	Ceiling float64
	// MaxRate caps the rates tried; a pass there gives "at least MaxRate".
	MaxRate float64
	// Resolution ends the bisection when (high - low) / low <= Resolution.
	Resolution float64
	// Step is the longest counted part of a step, Warmup the uncounted
	// open loop before it (Plan). Drain is how long the counted requests
	// still in flight at the counted part's end are waited for, the
	// load kept up by uncounted arrivals meanwhile.
	Step, Warmup, Drain time.Duration
	// MinRequests is the fewest counted requests of a step, and the
	// fewest finished before the goodput ratio's interval may end it
	// early (Criteria.Evidence).
	MinRequests int
	// MaxRequests and MaxTime bound the whole search: a step whose
	// planned cost would pass either is not started.
	MaxRequests int
	MaxTime     time.Duration
	// MaxSteps bounds the number of steps.
	MaxSteps int
}

// floor is Floor, or StartRate when Floor is not set.
func (b Bounds) floor() float64 {
	if b.Floor > 0 {
		return b.Floor
	}
	return b.StartRate
}

// Check says what is wrong with b, one problem per line, nil when
// nothing: a search that cannot run is refused before it starts.
func (b Bounds) Check() []string {
	var out []string
	b.Floor = b.floor()
	if !(b.Floor > 0) {
		out = append(out, "the start rate must be more than 0 requests per second")
	}
	if b.MaxRate < b.Floor {
		out = append(out, fmt.Sprintf("the highest rate %g/s is below the start rate %g/s", b.MaxRate, b.Floor))
	}
	if !(b.Resolution > 0) {
		out = append(out, "the resolution must be more than 0")
	}
	if b.Step <= 0 {
		out = append(out, "a step must last more than 0s")
	}
	if b.MaxRequests <= 0 {
		out = append(out, "the request budget is 0")
	}
	if b.MaxTime <= 0 {
		out = append(out, "the time budget is 0")
	}
	if b.MaxSteps <= 0 {
		out = append(out, "the step budget is 0")
	}
	if len(out) == 0 {
		if r, d := b.Cost(b.Floor); r > b.MaxRequests || d > b.MaxTime {
			out = append(out, fmt.Sprintf("the budget (%d requests, %s) does not cover one step at the start rate (%d requests, %s)",
				b.MaxRequests, b.MaxTime, r, d.Round(time.Millisecond)))
		}
	}
	return out
}

// Plan is what one step at a rate may send: Warmup uncounted arrivals,
// at most Counted counted ones (fewer when the evidence settles the step
// early), then Tail uncounted ones that keep the load up while the counted
// requests still in flight finish (the drain).
type Plan struct {
	Rate                  float64
	Warmup, Counted, Tail int
}

// Total is every arrival the step may send.
func (p Plan) Total() int { return p.Warmup + p.Counted + p.Tail }

// PlanAt is the step at rate: rate×Warmup uncounted arrivals, at most
// rate×Step counted ones but never fewer than MinRequests (below that the
// interval cannot settle a step: a rate under MinRequests/Step runs
// longer than Step), rate×Drain uncounted ones after them.
func (b Bounds) PlanAt(rate float64) Plan {
	return Plan{
		Rate:    rate,
		Warmup:  int(math.Round(rate * b.Warmup.Seconds())),
		Counted: max(int(math.Round(rate*b.Step.Seconds())), b.MinRequests, 1),
		Tail:    int(math.Round(rate * b.Drain.Seconds())),
	}
}

// Cost is a step's most requests and its longest length: warm-up,
// counted part and drain.
func (b Bounds) Cost(rate float64) (requests int, d time.Duration) {
	p := b.PlanAt(rate)
	return p.Warmup + p.Counted, b.Warmup + max(b.Step, time.Duration(float64(p.Counted)/rate*float64(time.Second))) + b.Drain
}

// Step is one finished step as the caller ran it.
type Step struct {
	Rate     float64
	Outcome  Outcome
	Requests int           // sent, warm-up and tail included
	Elapsed  time.Duration // wall time, warm-up and drain included
}

// Search is one capacity search. Call Next for the rate of the next step,
// run it, Record it, and repeat until Next reports false; then Result.
type Search struct {
	b           Bounds
	steps       []Step
	lo, hi      float64 // highest passing, lowest failing (0: none yet)
	limit       float64 // the rate the generator could not keep up with
	interrupted float64 // the rate of a step the suite's stop cut
	reqs        int
	spent       time.Duration
	stop        string
	done        bool
}

// New starts a search within b (check b first with Bounds.Check).
func New(b Bounds) *Search { return &Search{b: b} }

// Next is the rate of the next step, or false when the search is over
// (Result says why).
func (s *Search) Next() (float64, bool) {
	if s.done {
		return 0, false
	}
	rate, why := s.next()
	if why == "" {
		if len(s.steps) >= s.b.MaxSteps {
			why = fmt.Sprintf("step budget spent (%d steps)", s.b.MaxSteps)
		} else if r, d := s.b.Cost(rate); s.reqs+r > s.b.MaxRequests {
			why = fmt.Sprintf("request budget: a step at %s would take %d requests, %d of %d left", FormatRate(rate), r, s.b.MaxRequests-s.reqs, s.b.MaxRequests)
		} else if s.spent+d > s.b.MaxTime {
			why = fmt.Sprintf("time budget: a step at %s may take %s, %s of %s left", FormatRate(rate), d.Round(time.Second),
				(s.b.MaxTime - s.spent).Round(time.Second), s.b.MaxTime)
		}
	}
	if why != "" {
		s.done, s.stop = true, why
		return 0, false
	}
	return rate, true
}

// ceiling is the failing bound the search bisects towards: the lowest
// failing step, else the probe's ceiling while it is above every pass.
func (s *Search) ceiling() (float64, bool) {
	if s.hi > 0 {
		return s.hi, true
	}
	if s.b.Ceiling > s.lo {
		return s.b.Ceiling, false
	}
	return 0, false
}

func (s *Search) next() (float64, string) {
	res, floor := s.b.Resolution, s.b.floor()
	switch {
	case s.interrupted > 0:
		return 0, fmt.Sprintf("interrupted: the step at %s was cut by the suite's own stop and is not judged", FormatRate(s.interrupted))
	case len(s.steps) == 0:
		switch {
		case s.b.StartRate > 0:
			return min(s.b.StartRate, s.b.MaxRate), ""
		case s.b.Ceiling > 0:
			return min(max(s.b.Ceiling/2, floor), s.b.MaxRate), ""
		}
		return min(floor, s.b.MaxRate), ""
	case s.limit > 0:
		return 0, fmt.Sprintf("the load generator could not keep up at %s: shard the load (ACCEPTANCE_SHARD)", FormatRate(s.limit))
	case s.lo == 0:
		if s.hi <= floor*(1+1e-9) {
			return 0, fmt.Sprintf("the lowest rate (%s) failed", FormatRate(s.hi))
		}
		return max(s.hi/2, floor), ""
	}
	hi, measured := s.ceiling()
	switch {
	case hi == 0 && s.lo >= s.b.MaxRate:
		return 0, fmt.Sprintf("the highest rate allowed (%s) met the SLOs", FormatRate(s.b.MaxRate))
	case hi == 0:
		return min(2*s.lo, s.b.MaxRate), ""
	case (hi-s.lo)/s.lo <= res && measured:
		return 0, fmt.Sprintf("bracketed within %.0f %%: passes at %s, fails at %s", 100*res, FormatRate(s.lo), FormatRate(s.hi))
	case (hi-s.lo)/s.lo <= res:
		return min(hi, s.b.MaxRate), "" // the probe's ceiling, tried before it is taken as the bound
	}
	return min((s.lo+hi)/2, s.b.MaxRate), ""
}

// Record folds in a finished step.
func (s *Search) Record(st Step) {
	s.steps = append(s.steps, st)
	s.reqs += st.Requests
	s.spent += st.Elapsed
	switch {
	case st.Outcome == NotJudged:
		s.interrupted = st.Rate
	case st.Outcome == Limited:
		s.limit = st.Rate
	case st.Outcome == Pass && st.Rate > s.lo:
		s.lo = st.Rate
	case st.Outcome.Failed() && (s.hi == 0 || st.Rate < s.hi):
		s.hi = st.Rate
	}
	if s.hi > 0 && s.lo >= s.hi {
		// A pass above a failure (noise at the edge): the failure
		// nearest the pass bounds it from above no more.
		s.hi = 0
		for _, x := range s.steps {
			if x.Outcome.Failed() && x.Rate > s.lo && (s.hi == 0 || x.Rate < s.hi) {
				s.hi = x.Rate
			}
		}
	}
}

// Spent is the steps' wall time so far.
func (s *Search) Spent() time.Duration { return s.spent }

// Result is what the search found.
type Result struct {
	// Capacity is the highest rate that passed (0 when none did).
	Capacity float64
	// Low and High bracket the server's capacity: it passed at Low and
	// failed at High. High is 0 when no rate failed.
	Low, High float64
	// AtLeast: no rate failed, so the capacity is a lower bound (the
	// search reached MaxRate, a budget, or a rate the load generator
	// could not keep up with, or was interrupted).
	AtLeast bool
	// Limited: the load generator could not keep up at some step, which
	// ended the search; shard the load to go further.
	Limited bool
	// Interrupted: the suite's own stop cut a step, which is not judged
	// and ended the search: the capacity is "at least" Capacity.
	Interrupted bool
	// Ceiling is the probe's throughput the search planned from (0: none).
	Ceiling float64
	// Reason is why the search stopped.
	Reason   string
	Steps    []Step
	Requests int
	Elapsed  time.Duration
}

// Result is the outcome so far (final once Next reported false).
func (s *Search) Result() Result {
	r := Result{Capacity: s.lo, Low: s.lo, High: s.hi, Limited: s.limit > 0, Interrupted: s.interrupted > 0,
		Ceiling: s.b.Ceiling, Reason: s.stop, Steps: append([]Step(nil), s.steps...), Requests: s.reqs, Elapsed: s.spent}
	if r.Interrupted && s.stop == "" {
		r.Reason = fmt.Sprintf("interrupted: the step at %s was cut by the suite's own stop and is not judged", FormatRate(s.interrupted))
	}
	r.AtLeast = s.lo > 0 && (s.hi == 0 || r.Interrupted)
	return r
}

// FormatRate prints a rate to three significant digits: "32 req/s",
// "10.5 req/s", "2.5 req/s", "0.125 req/s".
func FormatRate(r float64) string { return units.ReqPerS(r) }
