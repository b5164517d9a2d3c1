package load

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// MergeLoadRuns folds the shards' parts of one load run into the run one
// process would have measured, for `vllm-acceptance merge`. Counts,
// errors, good requests and output tokens add up; the HDR histograms add
// bucket by bucket (so merged percentiles are those of the union of the
// requests, within HDR's 0.1 %; percentiles are never averaged); the window
// is the union of the parts' windows, and throughputs are over it; the
// users and the rates add up (N Poisson streams at λ/N are one at λ). The
// checks are recomputed by the code a single process runs (Agg.ConcurrencyRun,
// GeneratorCheck) with the thresholds the parts were judged by.
func MergeLoadRuns(parts []sidecar.ConcurrencyRun) (sidecar.ConcurrencyRun, error) {
	if len(parts) == 0 {
		return sidecar.ConcurrencyRun{}, fmt.Errorf("no part to merge")
	}
	first := parts[0]
	lim := Limits{SLOTTFTms: first.SLOTTFTms, SLOTPOTms: first.SLOTPOTms, MinSuccessRate: threshold(first.Checks, sidecar.CheckSuccessRate)}
	minGood := threshold(first.Checks, sidecar.CheckGoodputRatio)
	a := NewAgg(lim)
	hists := map[string]*stats.Histogram{sidecar.HistTTFT: a.TTFT, sidecar.HistTTFO: a.TTFO, sidecar.HistE2E: a.E2E, sidecar.HistTPOT: a.TPOT, sidecar.HistITL: a.ITL, sidecar.HistTokS: a.TokS}
	var start, end time.Time
	var lastStart, firstEnd time.Time // every part sends between them
	var longest float64
	var users int
	var rate float64
	var gens []sidecar.Generator
	var replays []*sidecar.Workload
	var view *sidecar.ServerView
	done, planned, cut := 0, 0, false
	var warm *sidecar.Warmup
	for i, p := range parts {
		switch {
		case p.Name != first.Name || p.Mode != first.Mode:
			return sidecar.ConcurrencyRun{}, fmt.Errorf("part %d is %s (%s), part 0 is %s (%s)", i, p.Name, p.Mode, first.Name, first.Mode)
		case p.SLOTTFTms != first.SLOTTFTms || p.SLOTPOTms != first.SLOTPOTms ||
			threshold(p.Checks, sidecar.CheckSuccessRate) != lim.MinSuccessRate || threshold(p.Checks, sidecar.CheckGoodputRatio) != minGood:
			return sidecar.ConcurrencyRun{}, fmt.Errorf("%s: the parts were judged by different SLOs or thresholds", p.Name)
		case p.Completed > 0 && len(p.Histograms) == 0:
			return sidecar.ConcurrencyRun{}, fmt.Errorf("%s: part %d has no histograms (written by a suite before 0.1.0's hdr histograms?): its percentiles cannot be merged", p.Name, i)
		}
		// Warm-up requests are in no part's counts or histograms; the
		// parts' warm-ups add up in the merged run's own warm-up.
		a.Requests += p.Requests
		a.Interrupted += p.Interrupted
		warm = addWarmup(warm, p.Warmup)
		a.Completed += p.Completed
		a.Timeouts += p.Timeouts
		a.Good += p.Good
		a.OutputTokens += p.OutputTokens
		for k, v := range p.Errors {
			a.Errors[k] += v
		}
		for _, name := range slices.Sorted(maps.Keys(p.Histograms)) {
			h, ok := hists[name]
			if !ok {
				continue // a figure this build does not know
			}
			d, err := stats.DecodeHistogram(p.Histograms[name])
			if err != nil {
				return sidecar.ConcurrencyRun{}, fmt.Errorf("%s: part %d: %s: %w", p.Name, i, name, err)
			}
			h.Merge(d)
		}
		if !p.StartedAt.IsZero() && (start.IsZero() || p.StartedAt.Before(start)) {
			start = p.StartedAt
		}
		if p.FinishedAt.After(end) {
			end = p.FinishedAt
		}
		if p.StartedAt.After(lastStart) {
			lastStart = p.StartedAt
		}
		if !p.FinishedAt.IsZero() && (firstEnd.IsZero() || p.FinishedAt.Before(firstEnd)) {
			firstEnd = p.FinishedAt
		}
		longest = max(longest, p.DurationS)
		users += p.Concurrency
		rate += p.RatePerS
		if p.Generator != nil {
			gens = append(gens, *p.Generator)
		}
		replays = append(replays, p.Workload)
		// Every shard reads the same server over nearly the same window,
		// so the views are not added: the widest one (most first tokens
		// seen) stands for the merged run.
		if v := p.ServerView; v != nil && (view == nil || !view.Available || (v.Available && v.Requests > view.Requests)) {
			c := *v
			view = &c
		}
		pd, pp := p.Requests, p.Requests
		if c, ok := find(p.Checks, sidecar.CheckRequests); ok {
			pd, pp, cut = int(c.Value), int(c.Threshold), true
		}
		done, planned = done+pd, planned+pp
	}
	dur := time.Duration(longest * float64(time.Second))
	if !start.IsZero() && end.After(start) {
		dur = end.Sub(start)
	}
	lr := a.ConcurrencyRun(first.Name, dur, minGood)
	lr.Mode, lr.Concurrency, lr.RatePerS = first.Mode, users, math.Round(rate*1e9)/1e9
	lr.StartedAt, lr.FinishedAt = start, end
	w, err := MergeWorkloads(replays)
	if err != nil {
		return sidecar.ConcurrencyRun{}, fmt.Errorf("%s: %w", first.Name, err)
	}
	lr.Workload = w
	lr.Warmup = warm
	if len(gens) > 0 {
		g, err := MergeGenerators(gens, dur.Seconds())
		if err != nil {
			return sidecar.ConcurrencyRun{}, fmt.Errorf("%s: %w", first.Name, err)
		}
		if len(parts) > 1 && !start.IsZero() && end.After(start) {
			g.ShardOverlap = math.Round(max(0, firstEnd.Sub(lastStart).Seconds())/end.Sub(start).Seconds()*1000) / 1000
		}
		lr.Generator = &g
		slo := time.Duration(first.SLOTTFTms * float64(time.Millisecond))
		lr.Checks = append(lr.Checks, GeneratorCheckAt(&g, LagLimit(slo, lr.TTFTms.P50)))
	}
	if c, ok := find(first.Checks, sidecar.CheckClientServerGap); ok {
		if view != nil {
			SetClient(view, lr.TTFTms, lr.E2Ems, a.TTFT)
		}
		lr.ServerView = view
		gen, _ := find(lr.Checks, sidecar.CheckLoadGenerator)
		var genp *sidecar.Check
		if gen.Name != "" {
			genp = &gen
		}
		lr.Checks = append(lr.Checks, GapCheck(view, genp, c.Threshold))
	}
	if cut {
		c := sidecar.Check{Name: sidecar.CheckRequests, Passed: true, Value: float64(done), Threshold: float64(planned)}
		if done < planned {
			// A shard stopped by the suite's own stop: not run.
			c = sidecar.NotRunCheck(sidecar.CheckRequests, float64(done), float64(planned),
				fmt.Sprintf("%sonly %d of %d requests finished over the shards: a shard was stopped", sidecar.NotRunPrefix, done, planned))
		}
		if done == 0 {
			lr.Checks = nil // no evidence at all
		}
		lr.Checks = append(lr.Checks, c)
	}
	// No verdict here: merge judges the run with the merged run's judge
	// (sidecar.JudgeOf).
	return lr, nil
}

// MergeGenerators folds the shards' generator figures: dispatch lags add
// as histograms, so Judge, with the limit of the merged run, counts the
// late dispatches of the whole run; chunks add up over the union window dur;
// the CPU figures and peak goroutines are the busiest shard's, since each
// shard ran on cores of its own.
func MergeGenerators(gens []sidecar.Generator, dur float64) (sidecar.Generator, error) {
	out := sidecar.Generator{DurationS: dur, Shards: len(gens), CPUCoresUsed: -1}
	lag := stats.NewHistogram()
	for i, g := range gens {
		if g.LagHistogram != "" {
			h, err := stats.DecodeHistogram(g.LagHistogram)
			if err != nil {
				return out, fmt.Errorf("generator %d: dispatch lag: %w", i, err)
			}
			lag.Merge(h)
		} else if g.DispatchLagMs.N > 0 {
			return out, fmt.Errorf("generator %d has no dispatch lag histogram: its lags cannot be merged", i)
		}
		out.Chunks += g.Chunks
		out.PeakGoroutines = max(out.PeakGoroutines, g.PeakGoroutines)
		if g.CPUCoresUsed >= 0 && (out.CPUCoresUsed < 0 || g.CPUFraction > out.CPUFraction) {
			out.CPUCoresUsed, out.Cores, out.CPUFraction = g.CPUCoresUsed, g.Cores, g.CPUFraction
		}
		if out.Cores == 0 {
			out.Cores = g.Cores
		}
	}
	out.DispatchLagMs = lag.Summary()
	if lag.Count() > 0 {
		out.LagHistogram, _ = lag.Encode()
	}
	if dur > 0 {
		out.ChunksPerS = float64(out.Chunks) / dur
	}
	return out, nil
}

func find(checks []sidecar.Check, name string) (sidecar.Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return sidecar.Check{}, false
}

func threshold(checks []sidecar.Check, name string) float64 {
	c, _ := find(checks, name)
	return c.Threshold
}

// addWarmup adds a shard's warm-up counts to the merged ones: requests,
// completions and errors add up, the wall time is the longest shard's
// (they warm up together, after the start barrier). The latency summaries
// of a warm-up are the first part's: they are shown, never judged.
func addWarmup(sum, w *sidecar.Warmup) *sidecar.Warmup {
	if w == nil {
		return sum
	}
	if sum == nil {
		c := *w
		c.Errors = maps.Clone(w.Errors)
		if c.Errors == nil {
			c.Errors = map[string]int{}
		}
		return &c
	}
	sum.Requests += w.Requests
	sum.Completed += w.Completed
	sum.Interrupted += w.Interrupted
	for k, v := range w.Errors {
		sum.Errors[k] += v
	}
	sum.DurationS = max(sum.DurationS, w.DurationS)
	return sum
}
