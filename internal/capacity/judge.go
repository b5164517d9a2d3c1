package capacity

import (
	"fmt"
	"math"

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
	Planned int // counted requests the step will send
	Sent    int // counted requests finished (answered or failed)
	Good    int // of those, completed within both SLOs
	Errors  int // of those, failed
}

// Judge is the verdict of a finished step, and a one-line reason.
func (c Criteria) Judge(t Tally) (Outcome, string) {
	if t.Sent == 0 {
		return Fail, "no counted request finished"
	}
	ratio := float64(t.Good) / float64(t.Sent)
	errRate := float64(t.Errors) / float64(t.Sent)
	switch {
	case errRate > c.MaxErrorRate:
		return Fail, fmt.Sprintf("%d of %d requests failed (%.1f %%, budget %.1f %%)", t.Errors, t.Sent, 100*errRate, 100*c.MaxErrorRate)
	case ratio < c.MinGoodputRatio:
		return Fail, fmt.Sprintf("goodput ratio %.1f %% < %.1f %% (%d of %d within the SLOs)", 100*ratio, 100*c.MinGoodputRatio, t.Good, t.Sent)
	}
	return Pass, fmt.Sprintf("goodput ratio %.1f %% >= %.1f %% (%d of %d within the SLOs), %d errors", 100*ratio, 100*c.MinGoodputRatio, t.Good, t.Sent, t.Errors)
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
