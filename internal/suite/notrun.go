package suite

import (
	"fmt"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Work the suite itself did not run, or cut off (SIGINT/SIGTERM, go
// test's -timeout, a context cancelled before an area began), is not run:
// an unknown outcome with the reason, never a pass and never a server
// fault (docs/verdicts.md, "Nothing passes without evidence").

// stopWhy is why the suite stopped its own work, in words: the signal,
// go test's deadline, or "the run was stopped" (a cancelled context).
func (r *Run) stopWhy() string {
	r.mu.Lock()
	reason, detail := r.metrics.EndReason, r.metrics.EndDetail
	r.mu.Unlock()
	switch reason {
	case sidecar.EndInterrupted:
		return "interrupted by " + detail
	case sidecar.EndTimeout:
		return "go test -timeout was about to expire"
	}
	return "the run was stopped"
}

// judgeCut adds the not-run "requests" check to the checks of a run cut
// short (cutShort). When no request ended on its own there is no
// evidence at all: the run's checks are that one not-run check, so a cut
// run never reads "0 % success" with a server remedy.
func (r *Run) judgeCut(cs []sidecar.Check, done, planned int) []sidecar.Check {
	c, cut := r.cutShort(done, planned)
	if !cut {
		return cs
	}
	if done == 0 {
		return []sidecar.Check{c}
	}
	return append(cs, c)
}

// cutShort is the not-run "requests" check of a run that ended before all
// planned requests finished (SIGINT/SIGTERM, go test -timeout, a context
// cancelled before the area began): a run cut short proves nothing about
// stability and must not pass on the requests it did send, nor fail the
// server for the ones it did not. done counts the requests that ended on
// their own (the aggregators leave out those the suite interrupted).
func (r *Run) cutShort(done, planned int) (sidecar.Check, bool) {
	if done >= planned {
		return sidecar.Check{}, false
	}
	why := r.stopWhy()
	return sidecar.NotRunCheck(sidecar.CheckRequests, float64(done), float64(planned),
		fmt.Sprintf("%sonly %d of %d requests finished: %s", sidecar.NotRunPrefix, done, planned, why)), true
}
