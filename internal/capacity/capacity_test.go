package capacity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bounds() Bounds {
	return Bounds{StartRate: 1, MaxRate: 1000, Resolution: 0.1, Step: 10 * time.Second, Warmup: 2 * time.Second,
		MinRequests: 20, MaxRequests: 1 << 20, MaxTime: 24 * time.Hour, MaxSteps: 40}
}

// drive runs a search against a server that passes every rate up to
// capacity and fails above, each step costing what Bounds.Cost says.
func drive(b Bounds, outcome func(rate float64) Outcome) Result {
	s := New(b)
	for {
		rate, ok := s.Next()
		if !ok {
			return s.Result()
		}
		r, d := b.Cost(rate)
		s.Record(Step{Rate: rate, Outcome: outcome(rate), Requests: r, Elapsed: d})
	}
}

func upTo(c float64) func(float64) Outcome {
	return func(rate float64) Outcome {
		if rate <= c {
			return Pass
		}
		return Fail
	}
}

func TestSearchBracketsThenBisects(t *testing.T) {
	type tc struct {
		name     string
		capacity float64
	}
	run := func(t *testing.T, c tc) {
		b := bounds()
		res := drive(b, upTo(c.capacity))
		require.False(t, res.AtLeast, res.Reason)
		assert.LessOrEqual(t, res.Low, c.capacity, "the capacity passed at Low")
		assert.Greater(t, res.High, c.capacity, "and failed at High")
		assert.LessOrEqual(t, (res.High-res.Low)/res.Low, b.Resolution, "bracketed within the resolution")
		assert.Equal(t, res.Low, res.Capacity)
		assert.Contains(t, res.Reason, "bracketed")
		// The rates first double from the start rate.
		assert.Equal(t, 1.0, res.Steps[0].Rate)
		if len(res.Steps) > 1 {
			assert.Equal(t, 2.0, res.Steps[1].Rate)
		}
	}
	for _, c := range []tc{
		{"between doublings", 33},
		{"just above a doubling", 16.5},
		{"just below a doubling", 31.9},
		{"a fraction above the start", 1.3},
		{"high", 700},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
}

func TestSearchStepCount(t *testing.T) {
	// log2(capacity/start) doublings plus log2(1/resolution) bisections:
	// the cost docs/capacity.md quotes.
	res := drive(bounds(), upTo(33))
	assert.LessOrEqual(t, len(res.Steps), 6+4+1, "steps: %v", res.Steps)
}

func TestSearchFirstStepFails(t *testing.T) {
	res := drive(bounds(), func(float64) Outcome { return Fail })
	require.Len(t, res.Steps, 1, "capacity 0 after the first failing step, no hang")
	assert.Zero(t, res.Capacity)
	assert.False(t, res.AtLeast)
	assert.Contains(t, res.Reason, "lowest rate")
}

func TestSearchNeverFails(t *testing.T) {
	b := bounds()
	b.MaxRate = 50
	res := drive(b, func(float64) Outcome { return Pass })
	assert.True(t, res.AtLeast, "no rate failed: at least")
	assert.Equal(t, 50.0, res.Capacity, "the highest rate tried is MaxRate itself")
	assert.Zero(t, res.High)
	assert.Contains(t, res.Reason, "highest rate allowed")
}

func TestSearchGeneratorLimited(t *testing.T) {
	res := drive(bounds(), func(rate float64) Outcome {
		if rate >= 16 {
			return Limited
		}
		return Pass
	})
	assert.True(t, res.Limited)
	assert.True(t, res.AtLeast)
	assert.Equal(t, 8.0, res.Capacity, "at least the last rate the generator kept up with")
	assert.Contains(t, res.Reason, "shard the load")
}

func TestSearchSaturatedCountsAsFailure(t *testing.T) {
	res := drive(bounds(), func(rate float64) Outcome {
		if rate > 20 {
			return Saturated
		}
		return Pass
	})
	assert.False(t, res.AtLeast)
	assert.Greater(t, res.High, 20.0)
	assert.LessOrEqual(t, res.Low, 20.0)
}

func TestSearchBudgets(t *testing.T) {
	type tc struct {
		name   string
		tweak  func(*Bounds)
		reason string
	}
	run := func(t *testing.T, c tc) {
		b := bounds()
		c.tweak(&b)
		res := drive(b, upTo(500))
		assert.Contains(t, res.Reason, c.reason)
		assert.LessOrEqual(t, res.Requests, b.MaxRequests)
		assert.LessOrEqual(t, res.Elapsed, b.MaxTime)
		assert.LessOrEqual(t, len(res.Steps), b.MaxSteps)
		assert.True(t, res.AtLeast, "stopped by a budget before any failure: at least")
	}
	for _, c := range []tc{
		{"requests", func(b *Bounds) { b.MaxRequests = 500 }, "request budget"},
		{"time", func(b *Bounds) { b.MaxTime = time.Minute }, "time budget"},
		{"steps", func(b *Bounds) { b.MaxSteps = 3 }, "step budget"},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
}

func TestSearchPassAboveFailure(t *testing.T) {
	// Noise at the edge: 24 fails, then 28 passes. The bracket moves up
	// instead of being inverted.
	s := New(bounds())
	for _, st := range []Step{{Rate: 16, Outcome: Pass}, {Rate: 32, Outcome: Fail}, {Rate: 24, Outcome: Fail}} {
		s.Record(st)
	}
	rate, ok := s.Next()
	require.True(t, ok)
	assert.Equal(t, 20.0, rate)
	s.Record(Step{Rate: 28, Outcome: Pass})
	res := s.Result()
	assert.Equal(t, 28.0, res.Low)
	assert.Equal(t, 32.0, res.High)
}

func TestBoundsCheck(t *testing.T) {
	type tc struct {
		name  string
		tweak func(*Bounds)
		want  string
	}
	run := func(t *testing.T, c tc) {
		b := bounds()
		c.tweak(&b)
		probs := b.Check()
		require.Len(t, probs, 1, "one line per problem: %v", probs)
		assert.Contains(t, probs[0], c.want)
	}
	for _, c := range []tc{
		{"zero request budget", func(b *Bounds) { b.MaxRequests = 0 }, "request budget is 0"},
		{"zero time budget", func(b *Bounds) { b.MaxTime = 0 }, "time budget is 0"},
		{"budget below one step", func(b *Bounds) { b.MaxRequests = 10 }, "does not cover one step"},
		{"max below start", func(b *Bounds) { b.MaxRate = 0.5 }, "below the start rate"},
		{"no step", func(b *Bounds) { b.Step = 0 }, "step must last"},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
	assert.Empty(t, bounds().Check())
}

func TestPlanAt(t *testing.T) {
	b := bounds()
	assert.Equal(t, Plan{Rate: 10, Warmup: 20, Counted: 100}, b.PlanAt(10))
	assert.Equal(t, Plan{Rate: 0.5, Warmup: 1, Counted: 20}, b.PlanAt(0.5),
		"MinRequests at low rates: fewer could never settle the interval")
	b.Drain = 4 * time.Second
	assert.Equal(t, Plan{Rate: 10, Warmup: 20, Counted: 100, Tail: 40}, b.PlanAt(10), "the drain's load: uncounted arrivals")
	_, d := b.Cost(10)
	assert.Equal(t, b.Warmup+b.Step+b.Drain, d, "a step's longest length: warm-up, counted part, drain")
}

// server is a search's view of a server whose capacity is c: a step
// passes at or below it and fails above.
func runSearch(b Bounds, c float64, cutAt int) Result {
	s := New(b)
	for k := 0; ; k++ {
		rate, ok := s.Next()
		if !ok {
			break
		}
		o := Pass
		switch {
		case k == cutAt:
			o = NotJudged
		case rate > c:
			o = Fail
		}
		_, d := b.Cost(rate)
		s.Record(Step{Rate: rate, Outcome: o, Elapsed: d})
	}
	return s.Result()
}

// TestSearchFromCeiling: planned from the probe's ceiling, the search
// starts at half of it and bisects under it to the resolution, in a few
// steps, whatever the capacity's place under the ceiling; a ceiling below
// the capacity is tried, then the search doubles past it.
func TestSearchFromCeiling(t *testing.T) {
	for _, c := range []float64{1.1, 2.4, 3.0, 3.9} {
		b := bounds()
		b.StartRate, b.Floor, b.Ceiling, b.Resolution = 0, 0.1, 4, 0.1
		r := runSearch(b, c, -1)
		assert.Equal(t, 2.0, r.Steps[0].Rate, "the first step at half the ceiling")
		assert.LessOrEqual(t, r.Capacity, c)
		assert.GreaterOrEqual(t, r.Capacity, c/1.1-1e-9, "within the resolution: %+v", r.Steps)
		assert.LessOrEqual(t, len(r.Steps), 6, "%+v", r.Steps)
	}
	b := bounds()
	b.StartRate, b.Floor, b.Ceiling, b.Resolution = 0, 0.1, 4, 0.1
	r := runSearch(b, 9, -1)
	assert.Greater(t, r.Capacity, 4.0, "a low ceiling is tried, then passed: %+v", r.Steps)
	assert.Greater(t, r.High, 9.0)
}

// TestSearchInterrupted: a step the suite's stop cut is not judged: never
// the failing bound; the search ends, "at least" the highest pass.
func TestSearchInterrupted(t *testing.T) {
	b := bounds()
	b.StartRate, b.Floor, b.Ceiling = 0, 0.1, 4
	r := runSearch(b, 3, 1)
	assert.True(t, r.Interrupted)
	assert.True(t, r.AtLeast)
	assert.Equal(t, 2.0, r.Capacity)
	assert.Zero(t, r.High, "the cut step is no failing bound")
	assert.Len(t, r.Steps, 2, "nothing runs after the cut step")
	assert.Contains(t, r.Reason, "interrupted")

	first := runSearch(b, 3, 0)
	assert.True(t, first.Interrupted)
	assert.Zero(t, first.Capacity)
	assert.False(t, first.AtLeast, "nothing passed: not even a lower bound")
}

// TestEvidence: the goodput ratio's Wilson interval settles a step early
// only when it lies wholly on one side of the threshold.
func TestEvidence(t *testing.T) {
	c := Criteria{MinGoodputRatio: 0.9, MaxErrorRate: 0.05}
	for _, x := range []struct {
		name    string
		t       Tally
		settled bool
	}{
		{"too few", Tally{Sent: 10, Good: 10}, false},
		{"all good, enough for the interval", Tally{Sent: 40, Good: 40}, true},
		{"all good, not yet enough", Tally{Sent: 30, Good: 30}, false},
		{"at the threshold", Tally{Sent: 200, Good: 180}, false},
		{"clearly below", Tally{Sent: 30, Good: 15}, true},
		{"errors over budget", Tally{Sent: 40, Good: 20, Errors: 20}, true},
		{"good but errors over the budget so far", Tally{Sent: 100, Good: 97, Errors: 6}, false},
	} {
		got, why := c.Evidence(x.t, 20)
		assert.Equal(t, x.settled, got, "%s: %s", x.name, why)
	}
}

// TestDecide: the one rule, in its order: not judged, limited, lost,
// saturated, then the counts.
func TestDecide(t *testing.T) {
	c := Criteria{MinGoodputRatio: 0.9, MaxErrorRate: 0.05}
	good := Tally{Planned: 50, Sent: 50, Good: 50}
	for _, x := range []struct {
		f    Facts
		want Outcome
	}{
		{Facts{Tally: good}, Pass},
		{Facts{Tally: good, Interrupted: true, Limited: "lag"}, NotJudged},
		{Facts{Tally: Tally{}, Interrupted: true}, NotJudged},
		{Facts{Tally: good, Limited: "lag"}, Limited},
		{Facts{Tally: good, Lost: "6 of 50 bad"}, Fail},
		{Facts{Tally: good, Saturated: "queue"}, Saturated},
		{Facts{Tally: Tally{Planned: 50, Sent: 40, Good: 40, Late: 10}}, Fail},
	} {
		got, why := c.Decide(x.f)
		assert.Equal(t, x.want, got, "%+v: %s", x.f, why)
	}
	_, why := c.Decide(Facts{Tally: Tally{Planned: 50, Sent: 40, Good: 40, Late: 10}})
	assert.Contains(t, why, "10 still running past the SLOs")
}

func TestJudge(t *testing.T) {
	c := Criteria{MinGoodputRatio: 0.9, MaxErrorRate: 0.05}
	type tc struct {
		name string
		t    Tally
		want Outcome
	}
	for _, x := range []tc{
		{"all good", Tally{Planned: 100, Sent: 100, Good: 100}, Pass},
		{"at the ratio", Tally{Planned: 100, Sent: 100, Good: 90}, Pass},
		{"below the ratio", Tally{Planned: 100, Sent: 100, Good: 89}, Fail},
		{"errors beyond the budget", Tally{Planned: 100, Sent: 100, Good: 94, Errors: 6}, Fail},
		{"nothing finished", Tally{Planned: 100}, Fail},
	} {
		t.Run(x.name, func(t *testing.T) {
			got, why := c.Judge(x.t)
			assert.Equal(t, x.want, got, why)
		})
	}
}

func TestLost(t *testing.T) {
	c := Criteria{MinGoodputRatio: 0.9, MaxErrorRate: 0.05}
	lost, _ := c.Lost(Tally{Planned: 100, Sent: 20, Good: 10})
	assert.False(t, lost, "10 bad of 100 planned: the other 80 could still make it exactly 90 %")
	lost, why := c.Lost(Tally{Planned: 100, Sent: 20, Good: 9})
	assert.True(t, lost, "11 bad of 100 planned can never reach 90 %")
	assert.Contains(t, why, "11 of 100")
	lost, _ = c.Lost(Tally{Planned: 100, Sent: 10, Good: 4, Errors: 6})
	assert.True(t, lost, "6 errors of 100 planned is past a 5 % budget")
}

func TestOverSaturated(t *testing.T) {
	grow := []Window{{InFlight: 5, TTFTp50ms: 100, Finished: 10, GoodWithin: 9}, {InFlight: 9, TTFTp50ms: 200, Finished: 10, GoodWithin: 5},
		{InFlight: 14, TTFTp50ms: 400, Finished: 10, GoodWithin: 2}, {InFlight: 20, TTFTp50ms: 800, Finished: 10, GoodWithin: 0}}
	fewAnswers := append([]Window(nil), grow...)
	fewAnswers[1].Finished = 3
	wobble := []Window{{InFlight: 6, TTFTp50ms: 65, Finished: 6, GoodWithin: 5}, {InFlight: 7, TTFTp50ms: 70, Finished: 6, GoodWithin: 3},
		{InFlight: 8, TTFTp50ms: 80, Finished: 6, GoodWithin: 2}, {InFlight: 9, TTFTp50ms: 89, Finished: 6, GoodWithin: 1}}
	sat, why := OverSaturated(grow, 0.9)
	assert.True(t, sat)
	assert.Contains(t, why, "5 → 20")

	type tc struct {
		name string
		ws   []Window
	}
	flatQueue := append([]Window(nil), grow...)
	flatQueue[2].InFlight = 9
	flatTTFT := append([]Window(nil), grow...)
	flatTTFT[3].TTFTp50ms = 400
	stillGood := append([]Window(nil), grow...)
	stillGood[3].GoodWithin = 10
	for _, c := range []tc{
		{"too few windows", grow[:3]},
		{"queue stopped growing", flatQueue},
		{"TTFT stopped climbing", flatTTFT},
		{"requests still within the SLOs", stillGood},
		{"windows of too few answers", fewAnswers},
		{"Poisson wobble: 6 → 9 in flight (measured at 14 req/s, steady state 5.5)", wobble},
	} {
		t.Run(c.name, func(t *testing.T) {
			sat, _ := OverSaturated(c.ws, 0.9)
			assert.False(t, sat)
		})
	}
}
