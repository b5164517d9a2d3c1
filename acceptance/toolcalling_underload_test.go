//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/area"
)

// TestToolCallingUnderLoad runs the tool-calling catalogue again while a
// background open loop runs at ACCEPTANCE_UNDER_LOAD_FRACTION of the
// capacity TestCapacity found (skipped, with the reason, when TestCapacity
// did not run in this process or found no capacity). Subtests: TestToolCallingUnderLoad/<scenario>/<mode>. A
// mode fails on a server-check failure that the isolated run
// (TestToolCalling) did not show: a parser or stream serializer broken by
// concurrency, or KV-cache pressure cutting answers. The model-check rate
// under load is compared with the isolated one (Newcombe interval) and
// reported, not judged: the model does not change under load.
func TestToolCallingUnderLoad(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("tool calling under load"); why != "" {
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
	modes := r.RunUnderLoad(ctx)
	res := r.StopBackground(bg, modes)
	for _, m := range modes {
		t.Run(m.Name+"/"+m.Mode, func(t *testing.T) {
			if m.NewServerFailure {
				t.Error(area.UnderLoadFailure(m.UnderLoadScenario, res.RatePerS))
			} else if m.ServerFailures > 0 {
				t.Logf("%d server failures under load, as in isolation (TestToolCalling reports them)", m.ServerFailures)
			}
		})
	}
	if line := area.BackgroundLine(res); line != "" {
		t.Log(line)
	}
	if mr := res.Model; mr != nil {
		t.Logf("model checks: %d/%d under load (%.0f%%) vs %d/%d isolated (%.0f%%): difference %+.1f points, 95%% interval [%+.1f, %+.1f]: %s",
			mr.Passed, mr.Attempts, 100*mr.Rate, mr.IsolatedPassed, mr.IsolatedAttempts, 100*mr.IsolatedRate,
			100*mr.Diff, 100*mr.DiffCI95.Low, 100*mr.DiffCI95.High, mr.Verdict)
	}
	if res.Note != "" {
		t.Log(res.Note)
	}
	if len(modes) == 0 {
		t.Error("no tool-calling scenario ran under load")
	}
}
