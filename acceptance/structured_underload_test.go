//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/area"
	"github.com/vllm-acceptance/vllm-acceptance/internal/structured"
)

// TestStructuredOutputsUnderLoad runs the structured-output scenarios
// again while a background open loop runs at
// ACCEPTANCE_UNDER_LOAD_FRACTION of the capacity TestCapacity found
// (skipped, with the reason, without one). Subtests:
// TestStructuredOutputsUnderLoad/<scenario>/<mode>. A mode fails on a
// server fault the isolated run (TestStructuredOutputs) did not show:
// each answer's schema validity is judged per request at the operating
// point. The decode-time cost of structured requests against the plain
// background requests of the same window is logged and recorded, not
// judged.
func TestStructuredOutputsUnderLoad(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("structured outputs under load"); why != "" {
		t.Skip(why)
	}
	if !r.Cfg.CapacityEnabled {
		t.Skip("ACCEPTANCE_CAPACITY=false: no capacity to load the server at")
	}
	ctx, cancel := r.Context(t.Context())
	defer cancel()
	bg, why := r.StartBackground(ctx)
	if why != "" {
		t.Skip(why)
	}
	res := r.StructuredUnderLoad(ctx, bg)
	for _, m := range res.Scenarios {
		t.Run(m.Name+"/"+m.Mode, func(t *testing.T) {
			if m.NewServerFailure {
				t.Error(structured.UnderLoadFailure(m, res.RatePerS))
			} else if m.ServerFailures > 0 {
				t.Logf("%d server failures under load, as in isolation (TestStructuredOutputs reports them)", m.ServerFailures)
			}
		})
	}
	if bgl := res.Background; bgl != nil {
		t.Log(area.ConcurrencyLine(*bgl))
	}
	t.Log(structured.DecodeLine(res))
	if res.Note != "" {
		t.Log(res.Note)
	}
	if len(res.Scenarios) == 0 {
		t.Error("no structured-output scenario ran under load")
	}
}
