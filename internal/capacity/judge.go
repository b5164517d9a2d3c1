package capacity

import (
	"fmt"
	"math"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// Criteria are the SLOs a step is judged by.
type Criteria struct {
	// MinGoodputRatio: good requests (completed within both SLOs) over
	// counted requests sent, failures included.
	MinGoodputRatio float64
	// MaxErrorRate: failed requests over counted requests sent
	// (1 - ACCEPTANCE_MIN_SUCCESS_RATE).
	MaxErrorRate float64
}

// Tally is a step's counted requests so far.
type Tally struct {
	Planned int // counted requests the step sends (or may send)
	Sent    int // counted requests finished (answered or failed)
	Good    int // of those, completed within both SLOs
	Errors  int // of those, failed
	// Late: counted requests still running when the drain ended, longer
	// than the TTFT SLO plus every token at the TPOT SLO: certainly
	// outside the SLOs, so judged as bad requests without waiting.
	Late int
}

// Judged is every counted request the verdict covers: finished or late.
func (t Tally) Judged() int { return t.Sent + t.Late }

// Judge is the verdict of a finished step on its counts, and a one-line
// reason. Decide is the whole rule (interrupted, limited and stopped
// steps first); Judge is its last branch.
func (c Criteria) Judge(t Tally) (Outcome, string) {
	n := t.Judged()
	if n == 0 {
		return Fail, "no counted request finished"
	}
	ratio := float64(t.Good) / float64(n)
	errRate := float64(t.Errors) / float64(n)
	late := ""
	if t.Late > 0 {
		late = fmt.Sprintf(", %d still running past the SLOs when the drain ended", t.Late)
	}
	switch {
	case errRate > c.MaxErrorRate:
		return Fail, fmt.Sprintf("%d of %d requests failed (%.1f %%, budget %.1f %%)", t.Errors, n, 100*errRate, 100*c.MaxErrorRate)
	case ratio < c.MinGoodputRatio:
		return Fail, fmt.Sprintf("goodput ratio %.1f %% < %.1f %% (%d of %d within the SLOs%s)", 100*ratio, 100*c.MinGoodputRatio, t.Good, n, late)
	}
	return Pass, fmt.Sprintf("goodput ratio %.1f %% >= %.1f %% (%d of %d within the SLOs%s), %d errors", 100*ratio, 100*c.MinGoodputRatio, t.Good, n, late, t.Errors)
}

// Evidence reports whether the finished counted requests already settle
// the step, so its counted part can end before Bounds.Step: at least
// minRequests finished, and the goodput ratio's 95 % Wilson interval
// lies wholly above the threshold (with the error rate within its budget
// so far) or wholly below it, or the errors' own interval lies above
// the error budget. Near the capacity the interval straddles the
// threshold, and the step runs its full length. Looking at the interval
// as requests finish (a sequential test) makes a wrong early stop more
// likely than 5 %; the counted part's full length bounds it.
func (c Criteria) Evidence(t Tally, minRequests int) (bool, string) {
	if t.Sent < max(minRequests, 1) {
		return false, ""
	}
	g := stats.Wilson(t.Good, t.Sent)
	e := stats.Wilson(t.Errors, t.Sent)
	switch {
	case e.Low > c.MaxErrorRate:
		return true, fmt.Sprintf("error rate's 95 %% interval [%.1f %%, %.1f %%] above the %.1f %% budget after %d requests",
			100*e.Low, 100*e.High, 100*c.MaxErrorRate, t.Sent)
	case g.High < c.MinGoodputRatio:
		return true, fmt.Sprintf("goodput ratio's 95 %% interval [%.1f %%, %.1f %%] below %.1f %% after %d requests",
			100*g.Low, 100*g.High, 100*c.MinGoodputRatio, t.Sent)
	case g.Low >= c.MinGoodputRatio && float64(t.Errors) <= c.MaxErrorRate*float64(t.Sent):
		return true, fmt.Sprintf("goodput ratio's 95 %% interval [%.1f %%, %.1f %%] above %.1f %% after %d requests",
			100*g.Low, 100*g.High, 100*c.MinGoodputRatio, t.Sent)
	}
	return false, ""
}

// Facts are what one step's runner saw besides its counts: whether the
// suite's own stop cut it, whether the load generator kept up, and why
// it stopped early, if it did.
type Facts struct {
	Tally Tally
	// Interrupted: the suite's own stop (SIGTERM, go test -timeout) cut
	// the step.
	Interrupted bool
	// Limited is the failed load_generator check's detail, "" when the
	// generator kept up.
	Limited string
	// Lost is Criteria.Lost's reason when the step stopped on it.
	Lost string
	// Saturated is OverSaturated's reason when the step stopped on it.
	Saturated string
	// Settled is Evidence's reason when the interval ended the counted
	// part early (information: the counts still decide).
	Settled string
}

// Decide is a step's outcome and its reason: the one rule, for one
// process's steps and for merge's sum of the shards' steps alike. A step
// the suite's stop cut is not judged (never a failing bound); one whose
// load generator fell behind is limited (the client's figure, not the
// server's); one stopped early is a failure (certainly lost, or
// saturated); else the counts decide (Judge).
func (c Criteria) Decide(f Facts) (Outcome, string) {
	switch {
	case f.Interrupted:
		return NotJudged, "not judged: cut by the suite's own stop (interrupted)"
	case f.Limited != "":
		return Limited, f.Limited
	case f.Lost != "":
		return Fail, "stopped early: " + f.Lost
	case f.Saturated != "":
		return Saturated, "stopped early: " + f.Saturated
	}
	o, why := c.Judge(f.Tally)
	if f.Settled != "" {
		why += "; settled early: " + f.Settled
	} else if n := f.Tally.Judged(); n > 0 {
		iv := stats.Wilson(f.Tally.Good, n)
		if iv.Low < c.MinGoodputRatio && iv.High >= c.MinGoodputRatio {
			why += fmt.Sprintf("; its 95 %% interval [%.1f %%, %.1f %%] holds the threshold: judged on the ratio at the step's full length",
				100*iv.Low, 100*iv.High)
		}
	}
	return o, why
}

// Lost reports whether a step can no longer pass whatever its remaining
// requests do: more bad requests (outside the SLOs or failed) than the
// goodput ratio allows of all planned, or more errors than the error
// budget allows. It is certain, not a guess, so a step can stop there.
func (c Criteria) Lost(t Tally) (bool, string) {
	allowedBad := int(math.Floor((1 - c.MinGoodputRatio) * float64(t.Planned) * (1 + 1e-9)))
	bad := t.Sent - t.Good
	if bad > allowedBad {
		return true, fmt.Sprintf("%d of %d planned requests already outside the SLOs or failed (at most %d allowed)", bad, t.Planned, allowedBad)
	}
	allowedErr := int(math.Floor(c.MaxErrorRate * float64(t.Planned) * (1 + 1e-9)))
	if t.Errors > allowedErr {
		return true, fmt.Sprintf("%d of %d planned requests already failed (at most %d allowed)", t.Errors, t.Planned, allowedErr)
	}
	return false, ""
}

// Window is what the client saw during one slice of a step: the requests
// in flight at its end (sent, not yet answered) and the median TTFT of the
// requests that finished in it, counted from their scheduled send.
type Window struct {
	InFlight   int
	TTFTp50ms  float64
	Finished   int
	GoodWithin int // finished in the window within both SLOs
}

// SaturationWindows is how many consecutive growing windows call a step
// over saturation, and SaturationGrowth how much in flight must have grown
// over them (×2, and by 4 requests at least): at a steady state in flight
// is about Poisson, and three rises in a row of both it and TTFT happen by
// chance in about 1 window in 64, but a doubling does not (a measured
// false stop with ×1.5: 6 → 9 in flight at 14 req/s on a server whose
// steady state there is 5.5).
const (
	SaturationWindows = 3
	SaturationGrowth  = 2
	// SaturationMinFinished is the fewest answers a window needs for its
	// TTFT median to count: a window of two or three answers is noise.
	SaturationMinFinished = 5
)

// OverSaturated reports whether the last windows show a server past its
// saturation point: in flight grew in each of the last SaturationWindows
// windows and TTFT climbed in each, and the last window's requests mostly
// missed the SLOs (fewer than minGoodputRatio of them good). Windows must
// start after the step's warm-up: a step filling up from idle grows too. Below
// saturation the queue stays bounded and TTFT flat (Little's law), so both
// growing together, window after window, is the signature of arrivals
// outrunning service (GuideLLM's over-saturation stop; inference-perf's
// saturation probe).
func OverSaturated(ws []Window, minGoodputRatio float64) (bool, string) {
	n := SaturationWindows + 1
	if len(ws) < n {
		return false, ""
	}
	last := ws[len(ws)-n:]
	for i := range n {
		if last[i].Finished < SaturationMinFinished {
			return false, ""
		}
		if i > 0 && (last[i].InFlight <= last[i-1].InFlight || !(last[i].TTFTp50ms > last[i-1].TTFTp50ms)) {
			return false, ""
		}
	}
	end := last[n-1]
	if float64(end.InFlight) < SaturationGrowth*float64(last[0].InFlight) || end.InFlight-last[0].InFlight < 4 {
		return false, "" // Poisson wobble, not a queue building up
	}
	if float64(end.GoodWithin) >= minGoodputRatio*float64(end.Finished) {
		return false, ""
	}
	return true, fmt.Sprintf("over saturation: in flight %d → %d and TTFT p50 %s → %s over the last %d windows",
		last[0].InFlight, end.InFlight, units.Ms(last[0].TTFTp50ms), units.Ms(end.TTFTp50ms), SaturationWindows)
}
