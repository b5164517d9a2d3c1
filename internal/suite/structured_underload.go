package suite

import (
	"context"
	"sync"

	"github.com/vllm-acceptance/vllm-acceptance/internal/loadmsg"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// StructuredUnderLoadTest is the test (and requests.jsonl prefix) of the
// structured-output scenarios under load.
const StructuredUnderLoadTest = "TestStructuredOutputsUnderLoad"

// RunStructuredOutputs runs every structured-output scenario's modes again
// (ACCEPTANCE_PARALLEL at a time) while bg runs, compares each mode with
// the isolated run (TestStructuredOutputs) and the streamed answers' TPOT
// with the background's plain requests of the same window, stops bg and
// records the section. A mode fails on a server fault the isolated run
// did not show.
func (r *UnderLoad) RunStructuredOutputs(ctx context.Context, bg *Background) sidecar.StructuredUnderLoad {
	per := make([][]sidecar.StructuredScenario, len(r.Structured))
	var mu sync.Mutex
	var tpot []float64
	seen := func(rec *record.Record) {
		if rec.Stream && rec.OK() && rec.TPOTms > 0 {
			mu.Lock()
			tpot = append(tpot, rec.TPOTms)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for i, sc := range r.Structured {
		wg.Go(func() {
			r.Acquire()
			defer r.Release()
			per[i] = r.StructuredOutputs.modes(ctx, StructuredUnderLoadTest+"/"+sc.Name, sc, false, seen)
		})
	}
	wg.Wait()
	bg.cancel()
	lr := <-bg.done
	iso := map[string]int{}
	if so := r.Metrics().StructuredOutputs; so != nil {
		for _, s := range so.Scenarios {
			iso[s.Name+"\x00"+s.Mode] = s.ServerFailures
		}
	}
	res := sidecar.StructuredUnderLoad{RatePerS: bg.Rate, Fraction: bg.Fraction, Capacity: bg.Capacity, Background: &lr, Scenarios: []sidecar.UnderLoadScenario{}}
	for _, modes := range per {
		for _, s := range modes {
			u := sidecar.UnderLoadScenario{Name: s.Name, Mode: s.Mode, Attempts: s.Attempts, ServerFailures: s.ServerFailures,
				IsolatedServerFailures: -1, ModelAttempts: s.Model.Attempts, ModelPassed: s.Model.Passed}
			for _, d := range s.Diagnoses {
				if d.Kind == "server" {
					u.Diagnoses = append(u.Diagnoses, d)
				}
			}
			if n, ok := iso[s.Name+"\x00"+s.Mode]; ok {
				u.IsolatedServerFailures = n
			}
			u.NewServerFailure = sidecar.UnderLoadModeFailed(u)
			if u.NewServerFailure {
				res.NewServerFailures++
			}
			res.Scenarios = append(res.Scenarios, u)
		}
	}
	res.StructuredTPOTms, res.PlainTPOTms = stats.Summarize(tpot), lr.TPOTms
	if res.StructuredTPOTms.N > 0 && res.PlainTPOTms.N > 0 && res.PlainTPOTms.P50 > 0 {
		c := res.StructuredTPOTms.P50/res.PlainTPOTms.P50 - 1
		res.DecodeCost = &c
	}
	if lr.Verdict != sidecar.VerdictPass {
		res.Note = "the background load missed its own SLOs or the load generator fell behind: " + loadmsg.LoadFailure(r.Judge(), lr)
	}
	res.Passed = sidecar.UnderLoadVerdictOf(res.Scenarios, "structured outputs").Passed()
	r.Update(func(m *sidecar.Metrics) { m.StructuredUnderLoad = &res })
	r.Checkpoint()
	return res
}
