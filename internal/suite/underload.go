package suite

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/loadmsg"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// UnderLoad runs the areas under load (TestToolCallingUnderLoad,
// TestStructuredOutputsUnderLoad): a background open loop at a fraction
// of the capacity found (Start, Stop), and the tool-calling and
// structured-output scenarios again beside it.
type UnderLoad struct{ *Run }

// Background is the open loop TestToolCallingUnderLoad runs behind the
// tool-calling scenarios.
type Background struct {
	Rate, Fraction, Capacity float64
	cancel                   context.CancelFunc
	done                     chan sidecar.ConcurrencyRun
}

// Start starts the background open loop at
// ACCEPTANCE_UNDER_LOAD_FRACTION of the capacity TestCapacity found, and
// returns once its
// warm-up (ACCEPTANCE_CAPACITY_WARMUP) is over. why is set, and no load
// started, when there is no capacity to take a fraction of.
func (r *UnderLoad) Start(ctx context.Context) (bg *Background, why string) {
	m := r.Metrics()
	c := m.Capacity
	if c == nil {
		return nil, "TestCapacity did not run in this process, so there is no capacity to take a fraction of: " +
			"run both (go test -tags live ./acceptance -run 'TestCapacity|TestToolCalling')"
	}
	if c.MaxRatePerS <= 0 {
		return nil, "no capacity to load the server at (TestCapacity: " + capacity.Line(*c) + "; " + c.StopReason + ")"
	}
	bg = &Background{Fraction: r.Cfg.UnderLoadFraction, Capacity: c.MaxRatePerS, done: make(chan sidecar.ConcurrencyRun, 1)}
	bg.Rate = bg.Fraction * bg.Capacity
	ctx, bg.cancel = context.WithCancel(ctx)
	warm := r.Cfg.CapacityWarmup
	// Enough arrivals for an hour; the loop is stopped long before.
	n := int(math.Min(math.Ceil(bg.Rate*3600), 2e6))
	offsets := load.Arrivals(bg.Rate, n, CapacitySeed+999)
	plan := func(int) (string, client.Request) { return "short", r.loadRequest(ShortPrompt, r.Cfg.ShortTokens) }
	r.Logf("tool calling under load: background open loop at %s (%.0f %% of the capacity %s), %s warm-up",
		capacity.FormatRate(bg.Rate), 100*bg.Fraction, capacity.FormatRate(bg.Capacity), warm)
	ch := load.Open(ctx, offsets, 0, plan, r.Client.ChatAt)
	started := time.Now()
	warmed := make(chan struct{})
	go func() {
		lim := r.limits()
		agg := load.NewAgg(lim)
		gen := load.StartGenerator()
		stopped := false
		for res := range ch {
			rec := res.Record
			gen.Add(res.Lag, &rec)
			rec.Test, rec.Scenario, rec.Attempt = loadmsg.UnderLoadTest, "background", res.I+1
			rec.Class = res.Class
			counted := res.Record.Start.Sub(started) >= warm
			if !counted {
				rec.Class = load.ClassWarmup
			}
			stopped = stopped || ctx.Err() != nil
			if counted && !(stopped && rec.ErrorKind.Interrupted()) {
				agg.Add(&rec)
			}
			rec.Content, rec.Reasoning = "", ""
			r.Record(&rec)
		}
		lr := agg.ConcurrencyRun("background", time.Since(started)-warm, r.Cfg.MinGoodputRatio)
		lr.Mode, lr.RatePerS = "open", bg.Rate
		gh := gen.Stop()
		lr.Checks = append(lr.Checks, load.GeneratorCheckAt(&gh, load.LagLimit(r.Cfg.SLOTTFT, lr.TTFTms.P50)))
		lr.Generator = &gh
		lr.Verdict = r.Judge().RunVerdict(lr.Checks)
		bg.done <- lr
	}()
	go func() {
		wait.Sleep(ctx, warm)
		close(warmed)
	}()
	<-warmed
	return bg, ""
}

// UnderLoadMode is one scenario mode run under load, beside its isolated run.
type UnderLoadMode struct {
	sidecar.UnderLoadScenario
	Result ModeResult
}

// scenario runs sc's modes again (ToolCalling.Modes) while the background
// loop runs, and compares each with the same mode of the isolated
// tool-calling run: a server-check failure the isolated run did not show
// is new. The records go to requests.jsonl under
// TestToolCallingUnderLoad/<scenario>.
func (r *UnderLoad) scenario(ctx context.Context, sc *fixture.Scenario) []UnderLoadMode {
	modes := r.ToolCalling.Modes(ctx, loadmsg.UnderLoadTest+"/"+sc.Name, sc)
	iso := map[string]sidecar.Scenario{}
	if tc := r.Metrics().ToolCalling; tc != nil {
		for _, s := range tc.Scenarios {
			if s.Name == sc.Name {
				iso[s.Mode] = s
			}
		}
	}
	out := make([]UnderLoadMode, 0, len(modes))
	for _, m := range modes {
		s := m.Scenario
		u := sidecar.UnderLoadScenario{Name: sc.Name, Mode: s.Mode, Attempts: s.Attempts, ServerFailures: s.ServerFailures,
			IsolatedServerFailures: -1, ModelAttempts: s.Model.Attempts, ModelPassed: s.Model.Passed, NotRun: s.NotRun}
		for _, d := range s.Diagnoses {
			if d.Kind == "server" {
				u.Diagnoses = append(u.Diagnoses, d)
			}
		}
		if i, ok := iso[s.Mode]; ok {
			u.IsolatedServerFailures = i.ServerFailures
		}
		u.NewServerFailure = sidecar.UnderLoadModeFailed(u)
		out = append(out, UnderLoadMode{UnderLoadScenario: u, Result: m})
	}
	return out
}

// Stop stops the background loop and puts the section
// together: the scenarios, the model-check rate under load against the
// isolated one (stats.NewcombeDiff), the background's own figures.
func (r *UnderLoad) Stop(bg *Background, modes []UnderLoadMode) sidecar.ToolCallingUnderLoad {
	bg.cancel()
	lr := <-bg.done
	res := sidecar.ToolCallingUnderLoad{RatePerS: bg.Rate, Fraction: bg.Fraction, Capacity: bg.Capacity, Background: &lr,
		Scenarios: []sidecar.UnderLoadScenario{}}
	var ul, ulOK int
	names := map[string]bool{}
	for _, m := range modes {
		res.Scenarios = append(res.Scenarios, m.UnderLoadScenario)
		ul += m.ModelAttempts
		ulOK += m.ModelPassed
		names[m.Name+"\x00"+m.Mode] = true
		if m.NewServerFailure {
			res.NewServerFailures++
		}
	}
	var iso, isoOK int
	if tc := r.Metrics().ToolCalling; tc != nil {
		for _, s := range tc.Scenarios {
			if names[s.Name+"\x00"+s.Mode] {
				iso += s.Model.Attempts
				isoOK += s.Model.Passed
			}
		}
	}
	if ul > 0 {
		mr := &sidecar.UnderLoadModelRates{Attempts: ul, Passed: ulOK, Rate: float64(ulOK) / float64(ul),
			IsolatedAttempts: iso, IsolatedPassed: isoOK, Verdict: "no isolated run"}
		if iso > 0 {
			mr.IsolatedRate = float64(isoOK) / float64(iso)
			mr.Diff, mr.DiffCI95 = stats.NewcombeDiff(isoOK, iso, ulOK, ul, 1.959964)
			switch {
			case mr.DiffCI95.High < 0:
				mr.Verdict = "lower"
			case mr.DiffCI95.Low > 0:
				mr.Verdict = "higher"
			default:
				mr.Verdict = "same"
			}
		}
		res.Model = mr
	}
	if lr.Verdict != sidecar.VerdictPass {
		res.Note = "the background load missed its own SLOs or the load generator fell behind: " + loadmsg.LoadFailure(r.Judge(), lr)
	}
	res.Passed = sidecar.UnderLoadVerdict(&res).Passed()
	r.Update(func(m *sidecar.Metrics) { m.ToolCallingUnderLoad = &res })
	r.Checkpoint()
	return res
}

// RunToolCalling runs every scenario under load, ACCEPTANCE_PARALLEL at a
// time, and returns the modes in the catalogue's order.
func (r *UnderLoad) RunToolCalling(ctx context.Context) []UnderLoadMode {
	per := make([][]UnderLoadMode, len(r.Scenarios))
	var wg sync.WaitGroup
	for i, sc := range r.Scenarios {
		wg.Go(func() {
			r.Acquire()
			defer r.Release()
			per[i] = r.scenario(ctx, sc)
		})
	}
	wg.Wait()
	var out []UnderLoadMode
	for _, p := range per {
		out = append(out, p...)
	}
	return out
}
