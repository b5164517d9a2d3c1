//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
)

// TestCapacity searches for the highest offered rate (open loop, Poisson)
// at which the server meets ACCEPTANCE_SLO_TTFT and ACCEPTANCE_SLO_TPOT
// for ACCEPTANCE_MIN_GOODPUT_RATIO of its requests within the error
// budget: doubling from a start rate to the first failing step, then
// bisecting (docs/capacity.md). It fails when no step passed, when the
// search was refused (an SLO the idle server misses, a budget too small),
// and below ACCEPTANCE_MIN_CAPACITY when that is set.
func TestCapacity(t *testing.T) {
	r := live(t)
	if !r.Cfg.CapacityEnabled {
		t.Skip("ACCEPTANCE_CAPACITY=false: the capacity search is switched off")
	}
	ctx, cancel := r.Context(t.Context())
	defer cancel()
	res := r.Capacity(ctx)
	for _, st := range res.Steps {
		t.Log(capacity.StepLine(st))
	}
	t.Logf("capacity: %s; %d requests in %.0fs; %s", capacity.Line(res), res.Requests, res.DurationS, res.StopReason)
	if res.Verdict != "pass" {
		t.Error(capacity.Failure(r.Judge(), res))
	}
}
