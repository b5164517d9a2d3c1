package compare

// Rows per area: which figures of each section of the sidecar are
// compared, and by which row test (rowtests.go).

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// areaRow judges an area's own verdict in every candidate run: passed in
// all → pass, in none → regressed, in some → inconclusive (the candidate
// is flaky; more runs say how often it fails). The baseline is shown, not
// judged.
func areaRow(metric string, base, cand []*sidecar.Metrics, get func(*sidecar.Metrics) *bool) Row {
	share := func(ms []*sidecar.Metrics) (*float64, int, int) {
		pass, n := 0, 0
		for _, m := range ms {
			if b := get(m); b != nil {
				n++
				if *b {
					pass++
				}
			}
		}
		if n == 0 {
			return nil, 0, 0
		}
		return f(float64(pass) / float64(n)), pass, n
	}
	b, _, _ := share(base)
	c, cp, cn := share(cand)
	if b == nil && c == nil {
		return Row{}
	}
	r := Row{Metric: metric, Unit: UnitPass, Baseline: b, Candidate: c,
		Tolerance: "every candidate run passes its own checks", Method: "the candidate runs' own verdicts"}
	switch {
	case c == nil || b == nil:
		r.Verdict, r.Why = RowMissing, "measured on one side only"
	case cp == cn:
		r.Verdict, r.Why = RowPass, fmt.Sprintf("passed in %d of %d candidate runs", cp, cn)
	case cp == 0:
		r.Verdict, r.Why = RowRegressed, fmt.Sprintf("failed in all %d candidate runs", cn)
	default:
		r.Verdict, r.Why = RowInconclusive, fmt.Sprintf("passed in %d of %d candidate runs: flaky", cp, cn)
	}
	return r
}

// ScenarioCounts is the one place that says which sidecar counts a
// scenario's rate comes from: the model-check figures (attempts whose
// model checks all held, over the attempts without a server fault;
// server faults fail the candidate's own tool_calling verdict instead).
// A sidecar without them (model.attempts 0 although attempts ran, none of
// them a server fault) falls back to passed/attempts.
func ScenarioCounts(s *sidecar.Scenario) (k, n int) {
	if s.Model.Attempts > 0 || s.ServerFailures >= s.Attempts {
		return s.Model.Passed, s.Model.Attempts
	}
	return s.Passed, s.Attempts
}

func toolCallingRows(base, cand []*sidecar.Metrics, tol ToolCallingTolerance) []Row {
	has := func(ms []*sidecar.Metrics) bool {
		for _, m := range ms {
			if m.ToolCalling != nil {
				return true
			}
		}
		return false
	}
	if !has(base) && !has(cand) {
		return nil
	}
	rows := []Row{areaRow("tool_calling.passed", base, cand, judged(sidecar.SectionToolCalling))}
	type counts struct{ k, n int }
	per := func(ms []*sidecar.Metrics) (map[string]*counts, counts, counts, counts) {
		by := map[string]*counts{}
		var all, parse, jsonv counts
		for _, m := range ms {
			t := m.ToolCalling
			if t == nil {
				continue
			}
			expect, withCalls := 0, 0
			for i := range t.Scenarios {
				s := &t.Scenarios[i]
				k, n := ScenarioCounts(s)
				c := by[scenarioKey(s)]
				if c == nil {
					c = &counts{}
					by[scenarioKey(s)] = c
				}
				c.k += k
				c.n += n
				all.k += k
				all.n += n
				if s.ExpectsCall {
					expect += s.Attempts
				}
				withCalls += s.AttemptsWithCalls
			}
			if t.ParseSuccessRate != nil {
				parse.k += int(math.Round(*t.ParseSuccessRate * float64(expect)))
				parse.n += expect
			}
			if t.JSONValidRate != nil {
				jsonv.k += int(math.Round(*t.JSONValidRate * float64(withCalls)))
				jsonv.n += withCalls
			}
		}
		return by, all, parse, jsonv
	}
	bBy, bAll, bParse, bJSON := per(base)
	cBy, cAll, cParse, cJSON := per(cand)
	for _, k := range unionKeys(bBy, cBy) {
		b, c := bBy[k], cBy[k]
		if b == nil {
			b = &counts{}
		}
		if c == nil {
			c = &counts{}
		}
		rows = append(rows, rateRow("tool_calling.scenarios["+k+"].pass_rate", b.k, b.n, c.k, c.n, tol.PassRateMaxDrop, true, true, 0))
	}
	runs := max(len(base), len(cand))
	rows = append(rows,
		rateRow("tool_calling.pass_rate", bAll.k, bAll.n, cAll.k, cAll.n, tol.PassRateMaxDrop, true, false, runs),
		rateRow("tool_calling.parse_success_rate", bParse.k, bParse.n, cParse.k, cParse.n, tol.ParseRateMaxDrop, true, false, runs),
		rateRow("tool_calling.json_valid_rate", bJSON.k, bJSON.n, cJSON.k, cJSON.n, tol.JSONValidRateMaxDrop, true, false, runs),
	)
	return rows
}

func scenarioKey(s *sidecar.Scenario) string {
	if s.Mode == "" {
		return s.Name
	}
	return s.Name + "/" + s.Mode
}

// named groups the runs of each side by a run name (stability and load
// runs are matched by name across sides).
func named[T any](ms []*sidecar.Metrics, runs func(*sidecar.Metrics) []T, name func(*T) string) map[string][]*T {
	out := map[string][]*T{}
	for _, m := range ms {
		rs := runs(m)
		for i := range rs {
			out[name(&rs[i])] = append(out[name(&rs[i])], &rs[i])
		}
	}
	return out
}

// unionKeys are the keys of a and b, sorted, each once.
func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	slices.Sort(keys)
	return slices.Compact(keys)
}

// latencyFigure is one latency quantile compared for every stability and
// load run: its row name, its key under latency in the tolerances, its
// histogram and quantile, its tolerance, and whether the row is advisory.
type latencyFigure struct {
	name, key, hist string
	q               float64
	tol             Relative
	advisory        bool
	get             func(*stats.Summary) float64
}

// latencyFigures lists them. p99 rows are advisory: tens of requests per
// run cannot pin a 99th percentile down.
func latencyFigures(tol LatencyTolerance) []latencyFigure {
	p50 := func(s *stats.Summary) float64 { return s.P50 }
	p90 := func(s *stats.Summary) float64 { return s.P90 }
	p99 := func(s *stats.Summary) float64 { return s.P99 }
	return []latencyFigure{
		{"ttft_ms.p50", "ttft_p50", sidecar.HistTTFT, 0.50, tol.TTFTP50, false, p50},
		{"ttft_ms.p90", "ttft_p90", sidecar.HistTTFT, 0.90, tol.TTFTP90, false, p90},
		{"ttft_ms.p99", "ttft_p99", sidecar.HistTTFT, 0.99, tol.TTFTP99, true, p99},
		{"tpot_ms.p50", "tpot_p50", sidecar.HistTPOT, 0.50, tol.TPOTP50, false, p50},
		{"tpot_ms.p99", "tpot_p99", sidecar.HistTPOT, 0.99, tol.TPOTP99, true, p99},
	}
}

// loadKind says where one kind of load run (a stability run, a load run of
// the concurrency section) keeps the figures the two sections share, so
// loadRows builds the rows of both.
type loadKind[T any] struct {
	area    string                     // the sidecar section: "stability", "concurrency"
	runs    func(*sidecar.Metrics) []T // nil without the section
	section sidecar.Section
	name    func(*T) string
	// ttft and tpot are a run's latency summaries, hists its histograms.
	ttft, tpot func(*T) *stats.Summary
	hists      func(*T) map[string]string
	// throughput names the throughput row; thr is a run's sample of it
	// (false: not measured).
	throughput string
	thr        func(*T) (sample, bool)
	// failed is a run's failed requests and the requests it sent.
	failed func(*T) (int, int)
	// more are the rows only this kind has, after the shared ones of a run name.
	more func(prefix string, b, c []*T) []Row
}

// loadRows compares the runs of one load section, matched by name across
// sides: the area's own verdict, then for each run name its latency,
// throughput and error-rate rows (and the kind's own).
func loadRows[T any](base, cand []*sidecar.Metrics, tol Tolerances, k loadKind[T]) []Row {
	bBy, cBy := named(base, k.runs, k.name), named(cand, k.runs, k.name)
	if len(bBy) == 0 && len(cBy) == 0 {
		return nil
	}
	thr := func(rs []*T) []sample {
		var out []sample
		for _, r := range rs {
			if s, ok := k.thr(r); ok {
				out = append(out, s)
			}
		}
		return out
	}
	rows := []Row{areaRow(k.area+".passed", base, cand, judged(k.section))}
	for _, name := range unionKeys(bBy, cBy) {
		prefix := k.area + ".runs[" + name + "]."
		b, c := bBy[name], cBy[name]
		rows = append(rows, latencyRows(prefix, b, c, k, tol.Latency)...)
		rows = append(rows, ratioRow(prefix+k.throughput, UnitTokPerS, thr(b), thr(c), tol.Throughput.MaxDrop, tol.Throughput.AbsTokensPerS, false, false))
		rows = append(rows, errorRateRow(prefix+"error_rate", b, c, k.failed, tol.ErrorRate.MaxIncrease, true))
		if k.more != nil {
			rows = append(rows, k.more(prefix, b, c)...)
		}
	}
	return rows
}

// latencyRows are the latencyFigures of one run name, b and c its runs on
// each side.
func latencyRows[T any](prefix string, b, c []*T, k loadKind[T], tol LatencyTolerance) []Row {
	var rows []Row
	for _, fg := range latencyFigures(tol) {
		summary := k.tpot
		if fg.hist == sidecar.HistTTFT {
			summary = k.ttft
		}
		collect := func(rs []*T) []sample {
			var out []sample
			for _, r := range rs {
				s := summary(r)
				if s == nil || s.N == 0 || fg.get(s) <= 0 {
					continue
				}
				out = append(out, sample{v: fg.get(s), hist: k.hists(r)[fg.hist], q: fg.q})
			}
			return out
		}
		rows = append(rows, ratioRow(prefix+fg.name, UnitMs, collect(b), collect(c), fg.tol.MaxIncrease, fg.tol.AbsMs, true, fg.advisory))
	}
	return rows
}

func stabilityRows(base, cand []*sidecar.Metrics, tol Tolerances) []Row {
	rows := loadRows(base, cand, tol, loadKind[sidecar.StabilityRun]{
		area: "stability",
		runs: func(m *sidecar.Metrics) []sidecar.StabilityRun {
			if m.Stability == nil {
				return nil
			}
			return m.Stability.Runs
		},
		section:    sidecar.SectionStability,
		name:       func(r *sidecar.StabilityRun) string { return r.Name },
		ttft:       func(r *sidecar.StabilityRun) *stats.Summary { return &r.TTFTms },
		tpot:       func(r *sidecar.StabilityRun) *stats.Summary { return &r.TPOTms },
		hists:      func(r *sidecar.StabilityRun) map[string]string { return r.Histograms },
		throughput: "output_tokens_per_s.p50",
		thr: func(r *sidecar.StabilityRun) (sample, bool) {
			return sample{v: r.OutputTokensPerS.P50, hist: r.Histograms[sidecar.HistTokS], q: 0.5}, r.OutputTokensPerS.N > 0 && r.OutputTokensPerS.P50 > 0
		},
		failed: func(r *sidecar.StabilityRun) (int, int) { return r.Requests - r.Completed, r.Requests },
		more: func(prefix string, b, c []*sidecar.StabilityRun) []Row {
			trends := func(rs []*sidecar.StabilityRun) ([]float64, []stats.Interval) {
				var v []float64
				var iv []stats.Interval
				for _, r := range rs {
					v, iv = append(v, r.Degradation.Value), append(iv, r.Degradation.TrendCI)
				}
				return v, iv
			}
			bd, bIv := trends(b)
			cd, cIv := trends(c)
			return []Row{diffRow(prefix+"degradation", bd, cd, bIv, cIv, zTrend, tol.Degradation.MaxIncrease)}
		},
	})
	if rows == nil {
		return nil
	}
	// Then the error rate pooled over every stability and load run.
	return append(rows, pooledErrorRow(base, cand, tol.ErrorRate.MaxIncrease))
}

// judged is an area's own verdict in one run for its area row, from the
// one judge (sidecar.Judge), with one exclusion: the degradation check is
// left to the degradation row. That check is a trend test on ten requests
// per class with a false alarm in about one run in twenty; comparing the
// two sides' trends by their intervals (diffRow) is what decides whether
// degradation got worse. Every other check (success rate, preemptions,
// VRAM, a run cut short) counts as the run's verdict counts it: an
// unknown check (preemptions without the counter) fails nothing unless
// the run's ACCEPTANCE_FAIL_UNKNOWN names it.
func judged(s sidecar.Section) func(*sidecar.Metrics) *bool {
	return func(m *sidecar.Metrics) *bool {
		ok, has := sidecar.JudgeOf(m).Excluding(sidecar.CheckDegradation).Section(m, s)
		if !has {
			return nil
		}
		return &ok
	}
}

// pooledErrorRow is failed/sent over every stability and load run of a
// side. It is advisory: near zero errors, a few dozen requests can never
// prove that the rate did not rise by the tolerance (0 of 20 against 0 of
// 20 is [−0.12, +0.12]), and the candidate's own success-rate check
// (ACCEPTANCE_MIN_SUCCESS_RATE, in <area>.passed) already holds the
// absolute bar; this row catches a significant rise.
func pooledErrorRow(base, cand []*sidecar.Metrics, maxIncrease float64) Row {
	count := func(ms []*sidecar.Metrics) (int, int) {
		k, n := 0, 0
		for _, m := range ms {
			if m.Stability != nil {
				for _, r := range m.Stability.Runs {
					k, n = k+r.Requests-r.Completed, n+r.Requests
				}
			}
			if m.Concurrency != nil {
				for _, r := range m.Concurrency.Runs {
					k, n = k+r.Requests-r.Completed, n+r.Requests
				}
			}
		}
		return k, n
	}
	kb, nb := count(base)
	kc, nc := count(cand)
	return rateRow("load.error_rate", kb, nb, kc, nc, maxIncrease, false, true, max(len(base), len(cand)))
}

// concurrencyRunNames are the names of the concurrency runs of every side,
// each once, in the order first seen: the rows compared run by run
// (energy, speculative decoding) have one row a name.
func concurrencyRunNames(sides ...[]*sidecar.Metrics) []string {
	var names []string
	for _, ms := range sides {
		for _, m := range ms {
			for _, r := range concurrencyRuns(m) {
				if !slices.Contains(names, r.Name) {
					names = append(names, r.Name)
				}
			}
		}
	}
	return names
}

// concurrencyRunsNamed are the concurrency runs named name over a side's
// runs, one per run that has it.
func concurrencyRunsNamed(ms []*sidecar.Metrics, name string) []*sidecar.ConcurrencyRun {
	var out []*sidecar.ConcurrencyRun
	for _, m := range ms {
		rs := concurrencyRuns(m)
		for i := range rs {
			if rs[i].Name == name {
				out = append(out, &rs[i])
			}
		}
	}
	return out
}

// concurrencyRuns are a run's concurrency runs (none without the area).
func concurrencyRuns(m *sidecar.Metrics) []sidecar.ConcurrencyRun {
	if m.Concurrency == nil {
		return nil
	}
	return m.Concurrency.Runs
}

func concurrencyRows(base, cand []*sidecar.Metrics, tol Tolerances) []Row {
	return loadRows(base, cand, tol, loadKind[sidecar.ConcurrencyRun]{
		area:       "concurrency",
		runs:       concurrencyRuns,
		section:    sidecar.SectionConcurrency,
		name:       func(r *sidecar.ConcurrencyRun) string { return r.Name },
		ttft:       func(r *sidecar.ConcurrencyRun) *stats.Summary { return &r.TTFTms },
		tpot:       func(r *sidecar.ConcurrencyRun) *stats.Summary { return &r.TPOTms },
		hists:      func(r *sidecar.ConcurrencyRun) map[string]string { return r.Histograms },
		throughput: "output_throughput",
		thr: func(r *sidecar.ConcurrencyRun) (sample, bool) {
			return sample{v: r.OutputThroughput, hist: r.Histograms[sidecar.HistTokS], q: 0.5, proxy: true}, r.OutputThroughput > 0
		},
		failed: func(r *sidecar.ConcurrencyRun) (int, int) { return r.Requests - r.Completed, r.Requests },
	})
}

// VRAMMax is the largest mem_used_max_mib over the run's devices, or nil
// without a local GPU.
func VRAMMax(g *sidecar.GPU) *float64 {
	if g == nil || !g.Available || len(g.Devices) == 0 {
		return nil
	}
	m := 0.0
	for _, d := range g.Devices {
		m = math.Max(m, d.MemUsedMaxMiB)
	}
	return &m
}

// vramRows compares the largest VRAM in use. With 3 runs or more, runs
// as the unit like latency; with one run per side there is no sampling
// distribution (VRAM is close to deterministic for one configuration), so
// the point ratio decides: regressed beyond the tolerance, else pass.
func vramRows(base, cand []*sidecar.Metrics, tol VRAMTolerance) []Row {
	get := func(ms []*sidecar.Metrics) []sample {
		var out []sample
		for _, m := range ms {
			if v := VRAMMax(m.GPU); v != nil && *v > 0 {
				out = append(out, sample{v: *v})
			}
		}
		return out
	}
	b, c := get(base), get(cand)
	if len(b) == 0 && len(c) == 0 {
		return nil
	}
	if len(b)+len(c) >= 3 || len(b) == 0 || len(c) == 0 {
		return []Row{ratioRow("gpu.mem_used_max_mib", UnitMiB, b, c, tol.MaxIncrease, tol.AbsMiB, true, false)}
	}
	r := Row{Metric: "gpu.mem_used_max_mib", Unit: UnitMiB, On: OnRatio, LowerIsBetter: true,
		Baseline: f(b[0].v), Candidate: f(c[0].v), Method: "one run per side: point ratio (no sampling distribution)"}
	limit := 1 + math.Max(tol.MaxIncrease, tol.AbsMiB/b[0].v)
	r.Limit, r.Estimate = f(limit), f(c[0].v/b[0].v)
	r.Tolerance = fmt.Sprintf("ratio ≤ %.3f (+%s, or +%s)", limit, units.Percent(tol.MaxIncrease), fmtNum(tol.AbsMiB, UnitMiB))
	if *r.Estimate > limit+eps {
		r.Verdict, r.Why = RowRegressed, fmt.Sprintf("ratio %.3f beyond the tolerance", *r.Estimate)
	} else {
		r.Verdict, r.Why = RowPass, fmt.Sprintf("ratio %.3f within the tolerance", *r.Estimate)
	}
	return []Row{r}
}
