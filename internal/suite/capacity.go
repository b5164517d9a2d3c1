package suite

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// CapacitySearch runs the capacity area (TestCapacity): the idle probe,
// the saturating probe and the steps internal/capacity plans and decides.
// It sends the requests; every decision is internal/capacity's.
type CapacitySearch struct{ *Run }

// IdleRequests is how many sequential requests measure the idle server
// before a capacity search.
const IdleRequests = 3

// CapacitySeed seeds the steps' arrivals (plus the step number and the
// shard index), so two searches send on the same schedules.
const CapacitySeed = 1000

// Search runs TestCapacity: the search for the highest offered rate
// (open loop, Poisson, the short class streamed) at which the server
// meets ACCEPTANCE_SLO_TTFT and ACCEPTANCE_SLO_TPOT for at least
// ACCEPTANCE_MIN_GOODPUT_RATIO of the requests with at most
// 1 - ACCEPTANCE_MIN_SUCCESS_RATE of them failing (internal/capacity;
// docs/capacity.md). It measures the idle server first, refuses SLOs the
// idle server already misses and budgets too small for one step, bounds
// the throughput with a saturating closed loop (saturationProbe), then
// runs the steps the search plans from it. Every decision is
// internal/capacity's; this runs the requests. The result goes to the
// sidecar's capacity section after every step.
//
// Sharded, every shard runs the same search, sending 1/N of each step's
// rate; rates are reported as the totals, and each shard decides from its
// own part (a Poisson sample of the whole at the same server state).
//
// With a trace (ACCEPTANCE_WORKLOAD), each step sends the trace's next
// lines with the trace's gaps scaled to the step's rate instead of
// Poisson arrivals (traceStep); the idle probe stays the short class.
func (r *CapacitySearch) Search(ctx context.Context) sidecar.Capacity {
	cfg := r.Cfg
	crit := capacity.Criteria{MinGoodputRatio: cfg.MinGoodputRatio, MaxErrorRate: 1 - cfg.MinSuccessRate}
	lim := r.limits()
	res := sidecar.Capacity{
		SLOs:        sidecar.CapacitySLOs{TTFTms: lim.SLOTTFTms, TPOTms: lim.SLOTPOTms, MinGoodputRatio: crit.MinGoodputRatio, MaxErrorRate: crit.MaxErrorRate},
		Steps:       []sidecar.CapacityStep{},
		MinCapacity: cfg.MinCapacity, Confidence: sidecar.ConfidenceNone,
	}
	if cfg.Sharding.Sharded() {
		res.Shards = cfg.Sharding.Count
	}
	start := time.Now()
	if !r.syncStart(ctx, "capacity") {
		// Not started: not run, never a refusal held against the server.
		c, _ := r.cutShort(0, 1)
		c.Name, c.Detail = sidecar.CheckSearch, sidecar.NotRunPrefix+"interrupted before the search began: "+r.stopWhy()
		res.StopReason, res.Checks = c.Detail, []sidecar.Check{c}
		res.Confidence = sidecar.ConfidenceInterrupted
		res.Verdict = r.Judge().RunVerdict(res.Checks)
		res.DurationS = time.Since(start).Seconds()
		r.set(res)
		r.Checkpoint()
		return res
	}
	idle := r.idleProbe(ctx)
	res.Idle = &idle
	res.Requests = idle.Requests
	if idle.Completed > 0 {
		var lines []string
		if lim.SLOTTFTms > 0 && idle.TTFTms > lim.SLOTTFTms {
			lines = append(lines, fmt.Sprintf("ACCEPTANCE_SLO_TTFT=%s is below the idle server's TTFT (%s median of %d): no rate can meet it; raise it",
				cfg.SLOTTFT, units.Ms(idle.TTFTms), idle.Completed))
		}
		if lim.SLOTPOTms > 0 && idle.TPOTms > lim.SLOTPOTms {
			lines = append(lines, fmt.Sprintf("ACCEPTANCE_SLO_TPOT=%s is below the idle server's TPOT (%s median of %d): no rate can meet it; raise it",
				cfg.SLOTPOT, units.Ms(idle.TPOTms), idle.Completed))
		}
		if len(lines) > 0 {
			return r.refuse(res, start, lines...)
		}
	}
	drain := cfg.CapacityStep
	if r.Trace() == nil {
		drain = capacity.DrainFor(cfg.SLOTTFT, cfg.SLOTPOT, cfg.ShortTokens, cfg.CapacityStep)
	}
	b := capacity.Bounds{
		StartRate: cfg.CapacityStartRate, Floor: cfg.CapacityStartRate, MaxRate: cfg.CapacityMaxRate, Resolution: cfg.CapacityResolution,
		Step: cfg.CapacityStep, Warmup: cfg.CapacityWarmup, Drain: drain, MinRequests: cfg.CapacityMinStepRequests,
		MaxRequests: cfg.CapacityMaxRequests - idle.Requests, MaxTime: cfg.CapacityMaxTime - time.Since(start), MaxSteps: cfg.CapacityMaxSteps,
	}
	if b.Floor == 0 {
		b.Floor = autoStartRate(idle, b.MaxRate)
	}
	if probs := b.Check(); len(probs) > 0 {
		for i, p := range probs {
			probs[i] = "capacity search: " + p + " (ACCEPTANCE_CAPACITY_* knobs)"
		}
		return r.refuse(res, start, probs...)
	}
	if ctx.Err() == nil && idle.Completed > 0 && r.Trace() == nil {
		// With a trace the steps send its lines, whose lengths the short
		// class's probe says nothing about: no ceiling, the search
		// doubles from its start rate. The probe may take what is left of the budget beyond one step
		// at the floor, so the search can always run at least that.
		_, one := b.Cost(b.Floor)
		probe := r.saturationProbe(ctx, b.MaxTime-one)
		res.Probe = &probe
		res.Requests += probe.Requests
		b.Ceiling = probe.ThroughputPerS
		b.MaxRequests -= probe.Requests
		b.MaxTime = cfg.CapacityMaxTime - time.Since(start)
		r.Logf("capacity: probe of %d in flight (%s): %s", probe.Concurrency, probe.ConcurrencySource, probe.Detail)
	}
	r.Logf("capacity: idle TTFT %s, TPOT %s; ceiling %s; search from %s up to %s, steps of %s warm-up, at most %s counted and %s drain, %.0f %% resolution",
		units.Ms(idle.TTFTms), units.Ms(idle.TPOTms), capacity.FormatRate(b.Ceiling), capacity.FormatRate(b.Floor), capacity.FormatRate(b.MaxRate),
		b.Warmup, b.Step, b.Drain, 100*b.Resolution)
	s := capacity.New(b)
	finished := false // the search said it was over
	for k := 0; ; k++ {
		rate, ok := s.Next()
		finished = !ok
		if !ok || ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		st := r.step(ctx, k, rate, b, crit)
		res.Steps = append(res.Steps, st)
		res.Requests += st.Warmup + st.Planned
		r.Logf("capacity step %d at %s: %s (%s)", len(res.Steps), capacity.FormatRate(rate), st.Outcome, st.Reason)
		if st.Outcome == string(capacity.Limited) && ctx.Err() == nil {
			// One stall of a shared machine (a GC pause, a busy
			// neighbour) makes a few dispatches late; a generator that
			// cannot keep up does it again. The step is rerun once, on
			// a schedule of its own, before it ends the search.
			k++
			st = r.step(ctx, k, rate, b, crit)
			res.Steps = append(res.Steps, st)
			res.Requests += st.Warmup + st.Planned
			r.Logf("capacity step %d at %s (rerun): %s (%s)", len(res.Steps), capacity.FormatRate(rate), st.Outcome, st.Reason)
		}
		s.Record(capacity.Step{Rate: rate, Outcome: capacity.Outcome(st.Outcome), Requests: st.Warmup + st.Planned, Elapsed: time.Since(t0)})
		r.set(r.result(res, s.Result(), start))
		r.Checkpoint()
	}
	sr := s.Result()
	if ctx.Err() != nil && !finished && !sr.Interrupted {
		// Stopped between steps or during a probe: what ran stands, the
		// rest was not run.
		sr.Interrupted, sr.AtLeast = true, sr.Capacity > 0
		sr.Reason = "interrupted: the suite's own stop came before the search finished: " + r.stopWhy()
	}
	out := r.result(res, sr, start)
	r.set(out)
	r.Checkpoint()
	return out
}

// autoStartRate is half a request in flight on average at the idle
// latency (Little's law: in flight = rate × latency), rounded down to two
// significant digits; 1 req/s when the idle probe got no answer.
func autoStartRate(idle sidecar.IdleProbe, maxRate float64) float64 {
	rate := 1.0
	if idle.Completed > 0 && idle.E2Ems > 0 {
		rate = 0.5 / (idle.E2Ems / 1000)
		p := math.Pow(10, math.Floor(math.Log10(rate))-1)
		rate = math.Max(math.Floor(rate/p)*p, 0.01)
	}
	return math.Min(rate, maxRate)
}

// refuse ends a search that cannot run, with one line per reason.
func (r *CapacitySearch) refuse(res sidecar.Capacity, start time.Time, lines ...string) sidecar.Capacity {
	res.StopReason = "refused: " + strings.Join(lines, "; ")
	res.DurationS = time.Since(start).Seconds()
	res.Checks = []sidecar.Check{{Name: sidecar.CheckSearch, Detail: strings.Join(lines, "\n")}}
	res.Verdict = r.Judge().RunVerdict(res.Checks)
	r.set(res)
	r.Checkpoint()
	return res
}

// result is the sidecar section for the search as it stands.
func (r *CapacitySearch) result(res sidecar.Capacity, sr capacity.Result, start time.Time) sidecar.Capacity {
	res.DurationS = time.Since(start).Seconds()
	res = capacity.Section(r.Judge(), res, sr, r.Cfg.MinCapacity)
	res.Cost = r.cost(res)
	return res
}

func (r *CapacitySearch) set(c sidecar.Capacity) {
	r.Update(func(m *sidecar.Metrics) { m.Capacity = &c })
}

// idleProbe sends IdleRequests short requests one after the other.
func (r *CapacitySearch) idleProbe(ctx context.Context) sidecar.IdleProbe {
	var ttft, tpot, e2e []float64
	p := sidecar.IdleProbe{}
	for i := range IdleRequests {
		if ctx.Err() != nil {
			break
		}
		rec := r.Client.ChatAt(ctx, r.loadRequest(ShortPrompt, r.Cfg.ShortTokens), time.Time{})
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = "TestCapacity", "idle", "short", i+1
		p.Requests++
		if rec.OK() {
			p.Completed++
			ttft, e2e = append(ttft, rec.TTFTms), append(e2e, rec.E2Ems)
			if rec.TPOTms > 0 {
				tpot = append(tpot, rec.TPOTms)
			}
		}
		rec.Content, rec.Reasoning = "", ""
		r.Record(&rec)
	}
	p.TTFTms, p.TPOTms, p.E2Ems = median(ttft), median(tpot), median(e2e)
	return p
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// step runs step k of the search: an open loop at rate (this
// shard's part of it) of b.PlanAt(rate) arrivals: the warm-up, not
// counted; the counted part, which ends early once the goodput ratio's
// interval settles the step (capacity.Criteria.Evidence); then uncounted
// arrivals that keep the load up while the counted requests still in
// flight finish (the drain, at most b.Drain: one still running then is
// late, certainly outside the SLOs). It stops early when the step can no
// longer pass (capacity.Criteria.Lost) or is clearly over saturation
// (capacity.OverSaturated, on windows of a tenth of the step). The
// outcome is capacity.Criteria.Decide's: cut by the suite's stop, the
// step is not judged.
func (r *CapacitySearch) step(ctx context.Context, k int, rate float64, b capacity.Bounds, crit capacity.Criteria) sidecar.CapacityStep {
	sh := r.Cfg.Sharding
	plan := b.PlanAt(rate)
	warm, counted, tail := sh.Split(plan.Warmup), max(sh.Split(plan.Counted), 1), sh.Split(plan.Tail)
	st := sidecar.CapacityStep{RatePerS: rate, Warmup: warm, Errors: map[string]int{}}
	offsets := stepArrivals(sh.Rate(rate), warm+counted+tail, CapacitySeed+uint64(k)*1000+uint64(sh.Index))
	req := func(int) (string, client.Request) { return "short", r.loadRequest(ShortPrompt, r.Cfg.ShortTokens) }
	var lines []trace.Request
	if t := r.Trace(); t != nil {
		cal, err := r.calibration(ctx, "TestCapacity")
		if err != nil {
			st.Outcome, st.Reason = string(capacity.Fail), err.Error()
			st.Checks = []sidecar.Check{{Name: sidecar.CheckWorkload, Detail: err.Error()}}
			return st
		}
		lines, offsets = r.traceStep(t, plan.Warmup, plan.Counted+plan.Tail, rate, offsets)
		req = func(i int) (string, client.Request) { return ClassTrace, r.traceRequest(lines[i], cal) }
	}
	stepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sampler *scrape.Sampler
	if r.Cfg.MetricsInterval > 0 {
		every := min(r.Cfg.MetricsInterval, max(b.Step/10, 250*time.Millisecond))
		sampler = scrape.Start(stepCtx, r.sideClient(), scrape.MetricsURL(r.Cfg.BaseURL), r.Cfg.APIKey, every)
	}
	closeView := r.serverView(stepCtx)
	lim := r.limits()
	agg := load.NewAgg(lim)
	gen := load.StartGenerator()
	meter, toks := r.energyMeter(stepCtx), tokens{}
	test, scenario := "TestCapacity", fmt.Sprintf("step_%d", k+1)
	began := time.Now()
	ch := load.Open(stepCtx, offsets, 0, req, r.Client.ChatAt)
	winEvery := max(b.Step/10, 100*time.Millisecond)
	tick := time.NewTicker(min(winEvery, 250*time.Millisecond))
	defer tick.Stop()
	var windows []capacity.Window
	win := stats.NewHistogram()
	winGood, finished, winStart := 0, 0, began
	cut := min(warm+counted, len(offsets)) // arrivals before cut are counted (from warm on)
	due := func(now time.Time) int {
		return sort.Search(len(offsets), func(i int) bool { return began.Add(offsets[i]).After(now) })
	}
	tally := capacity.Tally{Planned: counted}
	facts := capacity.Facts{}
	ended := false // the step ended itself (drained, settled or stopped early)
	end := func() {
		if !ended {
			ended = true
			cancel()
		}
	}
	for ch != nil {
		select {
		case res, ok := <-ch:
			if !ok {
				ch = nil
				continue
			}
			rec := res.Record
			finished++
			gen.Add(res.Lag, &rec)
			rec.Test, rec.Scenario, rec.Attempt = test, scenario, res.I+1
			isCounted := res.I >= warm && res.I < cut
			rec.Class = load.ClassWarmup // uncounted: warm-up and the drain's load
			if isCounted {
				rec.Class = res.Class
			}
			if lines != nil {
				rec.TraceLine = lines[res.I].Line
			}
			good := withinSLOs(&rec, lim)
			toks.add(&rec, lim)
			if rec.OK() {
				win.Add(rec.TTFTms)
				if good {
					winGood++
				}
			}
			if isCounted && !(ended || ctx.Err() != nil) {
				agg.Add(&rec)
				tally.Sent++
				if !rec.OK() {
					tally.Errors++
				} else if good {
					tally.Good++
				}
				if lost, why := crit.Lost(tally); lost {
					facts.Lost = why
					end()
				} else if settled, why := crit.Evidence(tally, b.MinRequests); settled && facts.Settled == "" && cut == warm+counted {
					// Enough evidence: no more counted arrivals; the ones
					// in flight still count (drained under load).
					facts.Settled = why
					cut = max(min(due(time.Now()), cut), warm+1)
				}
			}
			rec.Content, rec.Reasoning = "", ""
			r.Record(&rec)
		case now := <-tick.C:
			if ended {
				continue
			}
			// The counted part is over once its last arrival is due; the
			// drain then waits for its requests in flight, at most b.Drain.
			if cut > warm && cut <= len(offsets) && !now.Before(began.Add(offsets[cut-1])) {
				if tally.Sent >= cut-warm {
					end()
					continue
				}
				if now.Sub(began.Add(offsets[cut-1])) >= b.Drain {
					tally.Late = cut - warm - tally.Sent
					end()
					continue
				}
			}
			if now.Sub(winStart) < winEvery {
				continue
			}
			winStart = now
			if warm < len(offsets) && now.Before(began.Add(offsets[warm])) {
				// Still warming up: the server filling from idle is not a
				// queue building up.
				win, winGood = stats.NewHistogram(), 0
				continue
			}
			w := capacity.Window{InFlight: due(now) - finished, Finished: int(win.Count()), GoodWithin: winGood}
			if win.Count() > 0 {
				w.TTFTp50ms = win.Quantile(0.5)
			}
			windows = append(windows, w)
			win, winGood = stats.NewHistogram(), 0
			if sat, why := capacity.OverSaturated(windows, crit.MinGoodputRatio); sat {
				facts.Saturated = why
				end()
			}
		}
	}
	elapsed := time.Since(began)
	st.Energy = stopEnergy(meter, toks)
	gh := gen.Stop()
	gc := load.GeneratorCheckAt(&gh, load.LagLimit(r.Cfg.SLOTTFT, agg.TTFT.Quantile(0.5)))
	st.Generator = &gh
	if sampler != nil {
		st.Server = stepServer(sampler.Stop())
	}
	facts.Interrupted = ctx.Err() != nil && !ended
	if !gc.Passed {
		facts.Limited = gc.Detail
	}
	st.Planned = cut - warm
	if facts.Interrupted || facts.Lost != "" || facts.Saturated != "" {
		st.Planned = min(st.Planned, max(due(time.Now())-warm, tally.Sent))
	}
	tally.Planned = st.Planned
	facts.Tally = tally
	st.Sent, st.Late, st.Completed, st.Good = tally.Sent, tally.Late, agg.Completed, agg.Good
	st.Errors = agg.Errors
	st.TTFTms, st.TPOTms = agg.TTFT.Summary(), agg.TPOT.Summary()
	// The server's view of the step, information only: past saturation
	// the gap grows with vLLM's API server's own queue, which the step's
	// goodput already judges.
	st.ServerView, _ = closeView(st.TTFTms, agg.E2E.Summary(), agg.TTFT, warm, nil)
	st.DurationS = elapsed.Seconds()
	if n := tally.Judged(); n > 0 {
		st.GoodputRatio = float64(tally.Good) / float64(n)
		iv := stats.Wilson(tally.Good, n)
		st.GoodputCI95 = &iv
	}
	// Goodput per second of offered time: the rate times the share of
	// requests that were good (the wall time would add the last
	// answers' drain and read below the offered rate at a clean pass).
	st.Goodput = rate * st.GoodputRatio
	outcome, why := crit.Decide(facts)
	st.StoppedEarly = facts.Lost != "" || facts.Saturated != ""
	st.Outcome, st.Reason = string(outcome), why
	st.Checks = []sidecar.Check{gc}
	return st
}

// stepServer sums up the /metrics samples of one step.
func stepServer(sm sidecar.ServerMetrics) *sidecar.StepServer {
	if !sm.Available || len(sm.Series) == 0 {
		return nil
	}
	out := &sidecar.StepServer{Samples: len(sm.Series)}
	sum := 0.0
	for _, s := range sm.Series {
		out.WaitingMax = max(out.WaitingMax, s.Waiting)
		out.RunningMax = max(out.RunningMax, s.Running)
		out.KVCacheUsageMax = max(out.KVCacheUsageMax, s.KVCacheUsage)
		sum += s.Waiting
	}
	out.WaitingMean = sum / float64(len(sm.Series))
	out.Preemptions = sm.Series[len(sm.Series)-1].Preemptions - sm.Series[0].Preemptions
	return out
}

// traceStep is a capacity step's requests from the trace: the next
// warmup+counted lines (cycling), their gaps scaled so that they arrive at
// rate on average (trace.Window: the trace's burstiness at the step's
// rate), and this shard's part of the warm-up and of the counted lines
// (config.Take of each, so the parts' counts are Split's). A trace
// without timestamps keeps poisson, the step's own Poisson offsets.
func (r *CapacitySearch) traceStep(t *trace.Trace, warmup, counted int, rate float64, poisson []time.Duration) ([]trace.Request, []time.Duration) {
	sh := r.Cfg.Sharding
	all, offs := t.Window(r.replay.cursor, warmup+counted, rate)
	r.replay.cursor = (r.replay.cursor + warmup + counted) % len(t.Requests)
	lines := append(config.Take(sh, all[:warmup]), config.Take(sh, all[warmup:])...)
	if !t.Timed {
		return lines, poisson
	}
	return lines, append(config.Take(sh, offs[:warmup]), config.Take(sh, offs[warmup:])...)
}

// stepArrivals are n Poisson arrivals at rate conditioned on their count:
// the first n+1 of load.Arrivals, scaled so that the (n+1)th falls at
// n/rate. Given their number, a Poisson process's arrival times are
// uniform order statistics, so the gaps stay as bursty as Poisson's while
// the step offers exactly its rate on average. Unconditioned, a step of 75
// arrivals offers a rate whose own spread is ±12 % (1/√75): a measured
// step "at 25 req/s" sent its first 50 requests at 34 req/s and failed
// where 24.4 req/s passed.
func stepArrivals(rate float64, n int, seed uint64) []time.Duration {
	offs := load.Arrivals(rate, n+1, seed)
	end := offs[n]
	if end <= 0 {
		return offs[:n]
	}
	scale := float64(n) / rate / end.Seconds()
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(float64(offs[i]) * scale)
	}
	return out
}
