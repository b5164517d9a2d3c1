// Package capacity searches for the highest offered rate a server sustains
// within its SLOs. It is pure: it chooses the rates, the caller runs each
// step (an open-loop run at that rate) and reports back how it went, and
// the search says what to try next and when to stop. The live side is
// suite.Run.Capacity; docs/capacity.md describes the whole procedure.
//
// The search follows vllm bench serve's SLA sweep (sweep/serve_sla.py) and
// GuideLLM's sweep: bracket the capacity by doubling the rate from a start
// rate until a step fails, then bisect between the highest passing rate
// and the lowest failing one until they are within Resolution of each
// other. A step the load generator could not keep up with proves nothing
// about the server and ends the search ("at least" the last passing rate).
package capacity

import (
	"fmt"
	"math"
	"time"
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
)

// Failed reports whether the step counts as a failure of the server.
func (o Outcome) Failed() bool { return o == Fail || o == Saturated }

// Bounds bound one search. Zero values are refused by Check.
type Bounds struct {
	// StartRate is the first step's rate, requests per second: the lowest
	// rate tried. A failure there gives capacity 0.
	StartRate float64
	// MaxRate caps the rates tried; a pass there gives "at least MaxRate".
	MaxRate float64
	// Resolution ends the bisection when (high - low) / low <= Resolution.
	Resolution float64
	// Step and Warmup are each step's counted part and the uncounted
	// warm-up before it, in time: a step sends rate×(Warmup+Step)
	// arrivals, of which the first rate×Warmup are not counted.
	Step, Warmup time.Duration
	// MinRequests is the fewest counted requests of a step (low rates
	// then run longer than Step).
	MinRequests int
	// MaxRequests and MaxTime bound the whole search: a step that would
	// pass either is not started.
	MaxRequests int
	MaxTime     time.Duration
	// MaxSteps bounds the number of steps.
	MaxSteps int
}

// Check says what is wrong with b, one problem per line, nil when
// nothing: a search that cannot run is refused before it starts.
func (b Bounds) Check() []string {
	var out []string
	if !(b.StartRate > 0) {
		out = append(out, "the start rate must be more than 0 requests per second")
	}
	if b.MaxRate < b.StartRate {
		out = append(out, fmt.Sprintf("the highest rate %g/s is below the start rate %g/s", b.MaxRate, b.StartRate))
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
		if r, d := b.Cost(b.StartRate); r > b.MaxRequests || d > b.MaxTime {
			out = append(out, fmt.Sprintf("the budget (%d requests, %s) does not cover one step at the start rate (%d requests, %s)",
				b.MaxRequests, b.MaxTime, r, d.Round(time.Millisecond)))
		}
	}
	return out
}

// Plan is what one step at a rate sends.
type Plan struct {
	Rate float64
	// Warmup arrivals come first and are not counted; Counted follow.
	Warmup, Counted int
}

// Total is every arrival of the step.
func (p Plan) Total() int { return p.Warmup + p.Counted }

// PlanAt is the step at rate: rate×Warmup uncounted arrivals, then
// max(MinRequests, rate×Step) counted ones.
func (b Bounds) PlanAt(rate float64) Plan {
	return Plan{
		Rate:    rate,
		Warmup:  int(math.Round(rate * b.Warmup.Seconds())),
		Counted: max(b.MinRequests, int(math.Round(rate*b.Step.Seconds())), 1),
	}
}

// Cost is a step's requests and its expected length (its arrivals' span;
// the last answers' drain is not counted in advance).
func (b Bounds) Cost(rate float64) (requests int, d time.Duration) {
	p := b.PlanAt(rate)
	return p.Total(), time.Duration(float64(p.Total()) / rate * float64(time.Second))
}

// Step is one finished step as the caller ran it.
type Step struct {
	Rate     float64
	Outcome  Outcome
	Requests int           // sent, warm-up included
	Elapsed  time.Duration // wall time, warm-up and drain included
}

// Search is one capacity search. Call Next for the rate of the next step,
// run it, Record it, and repeat until Next reports false; then Result.
type Search struct {
	b      Bounds
	steps  []Step
	lo, hi float64 // highest passing, lowest failing (0: none yet)
	limit  float64 // the rate the generator could not keep up with
	reqs   int
	spent  time.Duration
	stop   string
	done   bool
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
			why = fmt.Sprintf("time budget: a step at %s would take %s, %s of %s left", FormatRate(rate), d.Round(time.Second),
				(s.b.MaxTime - s.spent).Round(time.Second), s.b.MaxTime)
		}
	}
	if why != "" {
		s.done, s.stop = true, why
		return 0, false
	}
	return rate, true
}

func (s *Search) next() (float64, string) {
	switch {
	case len(s.steps) == 0:
		return s.b.StartRate, ""
	case s.limit > 0:
		return 0, fmt.Sprintf("the load generator could not keep up at %s: shard the load (ACCEPTANCE_SHARD)", FormatRate(s.limit))
	case s.hi == 0 && s.lo >= s.b.MaxRate:
		return 0, fmt.Sprintf("the highest rate allowed (%s) met the SLOs", FormatRate(s.b.MaxRate))
	case s.hi == 0:
		return min(2*s.lo, s.b.MaxRate), ""
	case s.lo == 0:
		return 0, fmt.Sprintf("the lowest rate (%s) failed", FormatRate(s.hi))
	case (s.hi-s.lo)/s.lo <= s.b.Resolution:
		return 0, fmt.Sprintf("bracketed within %.0f %%: passes at %s, fails at %s", 100*s.b.Resolution, FormatRate(s.lo), FormatRate(s.hi))
	}
	return (s.lo + s.hi) / 2, ""
}

// Record folds in a finished step.
func (s *Search) Record(st Step) {
	s.steps = append(s.steps, st)
	s.reqs += st.Requests
	s.spent += st.Elapsed
	switch {
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

// Result is what the search found.
type Result struct {
	// Capacity is the highest rate that passed (0 when none did).
	Capacity float64
	// Low and High bracket the server's capacity: it passed at Low and
	// failed at High. High is 0 when no rate failed.
	Low, High float64
	// AtLeast: no rate failed, so the capacity is a lower bound (the
	// search reached MaxRate, a budget, or a rate the load generator
	// could not keep up with).
	AtLeast bool
	// Limited: the load generator could not keep up at some step, which
	// ended the search; shard the load to go further.
	Limited bool
	// Reason is why the search stopped.
	Reason   string
	Steps    []Step
	Requests int
	Elapsed  time.Duration
}

// Result is the outcome so far (final once Next reported false).
func (s *Search) Result() Result {
	r := Result{Capacity: s.lo, Low: s.lo, High: s.hi, Limited: s.limit > 0, Reason: s.stop,
		Steps: append([]Step(nil), s.steps...), Requests: s.reqs, Elapsed: s.spent}
	r.AtLeast = s.lo > 0 && s.hi == 0
	return r
}

// FormatRate prints a rate to three significant digits: "32 req/s",
// "10.5 req/s", "2.5 req/s", "0.125 req/s".
func FormatRate(r float64) string {
	if r >= 1000 {
		return fmt.Sprintf("%.0f req/s", r)
	}
	return fmt.Sprintf("%.3g req/s", r)
}
