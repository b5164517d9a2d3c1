package capacity

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestSection: the search's result becomes the section's checks and
// verdict, the same for one process and for merge's lockstep.
func TestSection(t *testing.T) {
	bracketed := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Capacity: 32, Low: 32, High: 35}, 0)
	assert.Equal(t, sidecar.ConfidenceBracketed, bracketed.Confidence)
	assert.Equal(t, sidecar.VerdictPass, bracketed.Verdict)
	assert.Len(t, bracketed.Checks, 1, "no min_capacity check without ACCEPTANCE_MIN_CAPACITY")

	short := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Capacity: 32, Low: 32, High: 35}, 40)
	assert.Equal(t, sidecar.VerdictFail, short.Verdict, "below ACCEPTANCE_MIN_CAPACITY fails")
	msg := Failure(sidecar.Judge{}, short)
	assert.True(t, strings.HasPrefix(msg, "capacity: min_capacity failed: "), msg)
	assert.Contains(t, msg, "revisit ACCEPTANCE_MIN_CAPACITY")

	limited := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Limited: true}, 0)
	assert.Equal(t, sidecar.ConfidenceGeneratorLimited, limited.Confidence)
	assert.Contains(t, limited.Checks[0].Detail, "this machine, not the server")
	assert.Equal(t, sidecar.VerdictUnknown, limited.Verdict, "the client set the figures: the server was not measured (not run), not failed")
	assert.True(t, limited.Checks[0].NotRun)
	assert.Empty(t, sidecar.Judge{}.Failed(limited.Checks), "no failed check, so no server remedy for the client's limit")
	strict := sidecar.Judge{FailUnknown: []string{sidecar.FailUnknownAll}}
	assert.Equal(t, sidecar.VerdictUnknown, Section(strict, sidecar.Capacity{}, Result{Limited: true}, 0).Verdict, "work that measured only the client is never held against the server")
	v, _ := strict.SectionOutcome(&sidecar.Metrics{Capacity: &limited}, sidecar.SectionCapacity)
	assert.False(t, v.Passed(), "and the gate does not pass it: nothing passes without evidence")
	assert.Contains(t, v.NotRun, "shard the load")
}

// TestSectionInterrupted: a search the suite's stop cut reads "at least
// X req/s (interrupted)" and is not run (unknown: nothing passes without
// evidence of the whole search), never a failure; cut before any step
// passed, the same; a minimum it never reached is not judged either, and
// ACCEPTANCE_FAIL_UNKNOWN=all never turns work that did not run into a
// failure.
func TestSectionInterrupted(t *testing.T) {
	cut := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Capacity: 2.5, Low: 2.5, AtLeast: true, Interrupted: true}, 0)
	assert.Equal(t, sidecar.ConfidenceInterrupted, cut.Confidence)
	assert.Equal(t, "at least 2.5 req/s (interrupted)", Line(cut))
	assert.Equal(t, sidecar.VerdictUnknown, cut.Verdict, "the steps that ran passed, the search did not finish: not run")
	last := cut.Checks[len(cut.Checks)-1]
	assert.Equal(t, sidecar.CheckSearch, last.Name)
	assert.Equal(t, sidecar.Unknown, last.Result(), "the rest of the search is not run")

	none := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Interrupted: true, Reason: "interrupted"}, 0)
	assert.Equal(t, sidecar.Unknown, none.Checks[0].Result())
	assert.NotEqual(t, sidecar.VerdictFail, none.Verdict, "work that did not run is never a failure")
	assert.Contains(t, Line(none), "not judged")

	below := Section(sidecar.Judge{}, sidecar.Capacity{}, Result{Capacity: 2.5, Low: 2.5, AtLeast: true, Interrupted: true}, 10)
	assert.Equal(t, sidecar.Unknown, below.Checks[1].Result(), "min_capacity not reached before the stop: not judged")
	assert.NotEqual(t, sidecar.VerdictFail, below.Verdict)
	failAll := Section(sidecar.Judge{FailUnknown: []string{sidecar.FailUnknownAll}}, sidecar.Capacity{},
		Result{Capacity: 2.5, Low: 2.5, AtLeast: true, Interrupted: true}, 10)
	assert.Equal(t, sidecar.VerdictUnknown, failAll.Verdict, "ACCEPTANCE_FAIL_UNKNOWN=all does not fail work the suite did not run")
}

// TestFailureSaysWhy: with no failed check to name, the failure line
// still gives the capacity and why the search stopped.
func TestFailureSaysWhy(t *testing.T) {
	c := sidecar.Capacity{Confidence: sidecar.ConfidenceNone, StopReason: "the lowest rate (2 req/s) failed", Verdict: sidecar.VerdictFail}
	assert.Equal(t, "capacity: failed: 0 req/s; the lowest rate (2 req/s) failed", Failure(sidecar.Judge{}, c))
}
