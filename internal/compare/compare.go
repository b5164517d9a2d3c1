package compare

import (
	"fmt"
	"math"
	"sort"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Row verdicts.
const (
	RowOK        = "ok"
	RowRegressed = "regressed"
	RowImproved  = "improved"
	// RowMissing: the figure is in one run only (a section or scenario the
	// other lacks). It is listed, and does not fail the gate on its own.
	RowMissing = "missing"
)

// Overall verdicts.
const (
	VerdictPass      = "pass"
	VerdictRegressed = "regressed"
	VerdictRefused   = "refused"
)

// Units tell the writers how to print a figure.
const (
	UnitRate     = "rate"     // 0..1
	UnitMs       = "ms"       // milliseconds
	UnitTokPerS  = "tok/s"    // tokens per second
	UnitFraction = "fraction" // 0.20 = 20 %
	UnitMiB      = "MiB"
	UnitPass     = "pass" // 1 = pass, 0 = fail
)

// Options change how Compare treats runs that do not match.
type Options struct {
	// Force compares runs Compare would refuse; the reasons stay in
	// Result.Refusals and the result is marked Forced.
	Force bool
}

// Run identifies one side of a comparison.
type Run struct {
	Model         string `json:"model"`
	Kind          string `json:"kind"`
	BaseURL       string `json:"base_url"`
	ServerVersion string `json:"server_version,omitempty"`
	StartedAt     string `json:"started_at"`
	SchemaVersion int    `json:"schema_version"`
}

// Row is one compared figure.
type Row struct {
	// Metric is the sidecar path, e.g. "stability.runs[short].ttft_ms.p90".
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Baseline and Candidate are null when that run lacks the figure.
	Baseline  *float64 `json:"baseline"`
	Candidate *float64 `json:"candidate"`
	// Change is candidate − baseline, printed with the unit ("+12.0 ms
	// (+8.3 %)"); empty when either side is missing.
	Change string `json:"change"`
	// Tolerance is the applied tolerance in words ("+10 % and +10 ms").
	Tolerance string `json:"tolerance"`
	// Formula is the rule that decides Verdict.
	Formula string `json:"formula"`
	Verdict string `json:"verdict"`
}

// Result is the gate's decision.
type Result struct {
	Verdict   string `json:"verdict"`
	Baseline  Run    `json:"baseline"`
	Candidate Run    `json:"candidate"`
	// Refused is set when the runs do not match and Options.Force was not
	// given; Rows is then empty. Refusals lists every reason either way.
	Refused  bool     `json:"refused"`
	Forced   bool     `json:"forced,omitempty"`
	Refusals []string `json:"refusals,omitempty"`
	Rows     []Row    `json:"rows"`
	// Counts of row verdicts.
	Regressed int `json:"regressed"`
	Improved  int `json:"improved"`
	Missing   int `json:"missing"`
}

// Refusals lists why base and cand cannot be compared fairly: different
// schema versions (or one this build does not read), different models, a
// simulator run against a real server, an incomplete run, or knobs that
// change what is measured (tool-call repeats and modes, stability requests).
func Refusals(base, cand *sidecar.Metrics) []string {
	var r []string
	if base.SchemaVersion != cand.SchemaVersion {
		r = append(r, fmt.Sprintf("schema_version differs: baseline %d, candidate %d; rerun the baseline with this suite version", base.SchemaVersion, cand.SchemaVersion))
	} else if base.SchemaVersion != sidecar.SchemaVersion {
		r = append(r, fmt.Sprintf("schema_version %d is not the version this build reads (%d)", base.SchemaVersion, sidecar.SchemaVersion))
	}
	if base.Target.Model != cand.Target.Model {
		r = append(r, fmt.Sprintf("model differs: baseline %q, candidate %q", base.Target.Model, cand.Target.Model))
	}
	bs, cs := base.Target.Kind == sidecar.KindSimulator, cand.Target.Kind == sidecar.KindSimulator
	if bs != cs {
		r = append(r, fmt.Sprintf("target kind differs: baseline %q, candidate %q; a simulator run says nothing about a real server", base.Target.Kind, cand.Target.Kind))
	}
	for _, side := range []struct {
		name string
		m    *sidecar.Metrics
	}{{"baseline", base}, {"candidate", cand}} {
		if !side.m.Complete {
			r = append(r, fmt.Sprintf("%s run is incomplete (end_reason %q%s); rerun it to the end", side.name, side.m.EndReason, detail(side.m.EndDetail)))
		}
	}
	bk, ck := base.Knobs, cand.Knobs
	if bk.ToolCallRepeats != ck.ToolCallRepeats {
		r = append(r, fmt.Sprintf("knob toolcall_repeats differs: baseline %d, candidate %d", bk.ToolCallRepeats, ck.ToolCallRepeats))
	}
	if bk.ToolCallModes != ck.ToolCallModes {
		r = append(r, fmt.Sprintf("knob toolcall_modes differs: baseline %q, candidate %q", bk.ToolCallModes, ck.ToolCallModes))
	}
	if bk.StabilityRequests != ck.StabilityRequests {
		r = append(r, fmt.Sprintf("knob stability_requests differs: baseline %d, candidate %d", bk.StabilityRequests, ck.StabilityRequests))
	}
	return r
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// Compare sets cand against base. It is pure: the same inputs give the same
// Result. Rows come in a fixed order (areas in sidecar order, then names
// sorted).
func Compare(base, cand *sidecar.Metrics, tol Tolerances, opts Options) Result {
	res := Result{Baseline: runOf(base), Candidate: runOf(cand), Rows: []Row{}}
	res.Refusals = Refusals(base, cand)
	if len(res.Refusals) > 0 {
		if !opts.Force {
			res.Refused = true
			res.Verdict = VerdictRefused
			return res
		}
		res.Forced = true
	}
	var rows []Row
	rows = append(rows, toolCallingRows(base.ToolCalling, cand.ToolCalling, tol.ToolCalling)...)
	rows = append(rows, stabilityRows(base.Stability, cand.Stability, tol)...)
	rows = append(rows, concurrencyRows(base.Concurrency, cand.Concurrency, tol)...)
	rows = append(rows, conversationRows(base.Conversation, cand.Conversation)...)
	rows = append(rows, vramRows(base.GPU, cand.GPU, tol.VRAM)...)
	res.Rows = append(res.Rows, rows...)
	for _, r := range res.Rows {
		switch r.Verdict {
		case RowRegressed:
			res.Regressed++
		case RowImproved:
			res.Improved++
		case RowMissing:
			res.Missing++
		}
	}
	res.Verdict = VerdictPass
	if res.Regressed > 0 {
		res.Verdict = VerdictRegressed
	}
	return res
}

func runOf(m *sidecar.Metrics) Run {
	r := Run{
		Model: m.Target.Model, Kind: m.Target.Kind, BaseURL: m.Target.BaseURL,
		ServerVersion: m.Target.ServerVersion, SchemaVersion: m.SchemaVersion,
	}
	if !m.StartedAt.IsZero() {
		r.StartedAt = m.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return r
}

func f(v float64) *float64 { return &v }

// passRow judges an area's own verdict: the candidate must pass its own
// gate, whatever the baseline did.
func passRow(metric string, base, cand *bool) Row {
	r := Row{Metric: metric, Unit: UnitPass, Tolerance: "candidate must pass",
		Formula: "candidate's own verdict must be pass"}
	b2f := func(b *bool) *float64 {
		if b == nil {
			return nil
		}
		if *b {
			return f(1)
		}
		return f(0)
	}
	r.Baseline, r.Candidate = b2f(base), b2f(cand)
	switch {
	case cand == nil || base == nil:
		r.Verdict = RowMissing
	case !*cand:
		r.Verdict = RowRegressed
	case !*base:
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	r.Change = changeText(r)
	return r
}

func toolCallingRows(base, cand *sidecar.ToolCalling, tol ToolCallingTolerance) []Row {
	if base == nil && cand == nil {
		return nil
	}
	var rows []Row
	var bp, cp *bool
	if base != nil {
		bp = &base.Passed
	}
	if cand != nil {
		cp = &cand.Passed
	}
	rows = append(rows, passRow("tool_calling.passed", bp, cp))

	type sc struct{ b, c *sidecar.Scenario }
	byKey := map[string]*sc{}
	add := func(t *sidecar.ToolCalling, isBase bool) {
		if t == nil {
			return
		}
		for i := range t.Scenarios {
			s := &t.Scenarios[i]
			k := scenarioKey(s)
			e := byKey[k]
			if e == nil {
				e = &sc{}
				byKey[k] = e
			}
			if isBase {
				e.b = s
			} else {
				e.c = s
			}
		}
	}
	add(base, true)
	add(cand, false)
	for _, k := range sortedKeys(byKey) {
		e := byKey[k]
		rows = append(rows, scenarioRow(k, e.b, e.c, tol))
	}
	rate := func(t *sidecar.ToolCalling, get func(*sidecar.ToolCalling) *float64) *float64 {
		if t == nil {
			return nil
		}
		return get(t)
	}
	rows = append(rows,
		dropRow("tool_calling.parse_success_rate", UnitRate,
			rate(base, func(t *sidecar.ToolCalling) *float64 { return t.ParseSuccessRate }),
			rate(cand, func(t *sidecar.ToolCalling) *float64 { return t.ParseSuccessRate }),
			tol.ParseRateMaxDrop),
		dropRow("tool_calling.json_valid_rate", UnitRate,
			rate(base, func(t *sidecar.ToolCalling) *float64 { return t.JSONValidRate }),
			rate(cand, func(t *sidecar.ToolCalling) *float64 { return t.JSONValidRate }),
			tol.JSONValidRateMaxDrop),
	)
	return rows
}

func scenarioKey(s *sidecar.Scenario) string {
	if s.Mode == "" {
		return s.Name
	}
	return s.Name + "/" + s.Mode
}

// Wilson95 is the Wilson 95 % score interval of passed/attempts (z =
// 1.959964). With no attempts it is [0, 1].
func Wilson95(passed, attempts int) stats.Interval {
	if attempts <= 0 {
		return stats.Interval{Low: 0, High: 1}
	}
	const z = 1.959963984540054
	n := float64(attempts)
	p := float64(passed) / n
	d := 1 + z*z/n
	c := (p + z*z/(2*n)) / d
	h := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / d
	return stats.Interval{Low: math.Max(0, c-h), High: math.Min(1, c+h)}
}

func scenarioRow(key string, b, c *sidecar.Scenario, tol ToolCallingTolerance) Row {
	r := Row{Metric: "tool_calling.scenarios[" + key + "].pass_rate", Unit: UnitRate}
	r.Tolerance = "drop ≤ " + fmtNum(tol.PassRateMaxDrop, UnitRate)
	r.Formula = "regressed if cand < base − max_drop"
	if tol.PassRateWilson {
		r.Formula = "regressed if cand < base − max_drop and cand < wilson_low95(base)"
	}
	if b != nil {
		r.Baseline = f(b.PassRate)
	}
	if c != nil {
		r.Candidate = f(c.PassRate)
	}
	if b == nil || c == nil {
		r.Verdict = RowMissing
		return r
	}
	r.Change = changeText(r)
	base, cand := b.PassRate, c.PassRate
	ci := Wilson95(b.Passed, b.Attempts)
	if tol.PassRateWilson {
		r.Tolerance = fmt.Sprintf("≥ %s (min of base − %s and Wilson 95 %% low of %d/%d)",
			fmtNum(math.Min(base-tol.PassRateMaxDrop, ci.Low), UnitRate), fmtNum(tol.PassRateMaxDrop, UnitRate), b.Passed, b.Attempts)
	}
	switch {
	case cand < base-tol.PassRateMaxDrop-eps && (!tol.PassRateWilson || cand < ci.Low-eps):
		r.Verdict = RowRegressed
	case cand > base+tol.PassRateMaxDrop+eps && (!tol.PassRateWilson || cand > ci.High+eps):
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	return r
}

// eps absorbs float noise so a figure exactly at its tolerance is inside it.
const eps = 1e-9

// dropRow: higher is better, absolute tolerance.
func dropRow(metric, unit string, base, cand *float64, maxDrop float64) Row {
	r := Row{Metric: metric, Unit: unit, Baseline: base, Candidate: cand,
		Tolerance: "drop ≤ " + fmtNum(maxDrop, unit),
		Formula:   "regressed if cand < base − max_drop"}
	if base == nil || cand == nil {
		r.Verdict = RowMissing
		if base == nil && cand == nil {
			r.Verdict = RowOK // neither run had anything to measure
		}
		return r
	}
	r.Change = changeText(r)
	switch {
	case *cand < *base-maxDrop-eps:
		r.Verdict = RowRegressed
	case *cand > *base+maxDrop+eps:
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	return r
}

// riseRow: lower is better, absolute tolerance (error rates).
func riseRow(metric, unit string, base, cand *float64, maxIncrease float64) Row {
	r := Row{Metric: metric, Unit: unit, Baseline: base, Candidate: cand,
		Tolerance: "rise ≤ " + fmtNum(maxIncrease, unit),
		Formula:   "regressed if cand − base > max_increase"}
	if base == nil || cand == nil {
		r.Verdict = RowMissing
		return r
	}
	r.Change = changeText(r)
	switch {
	case *cand-*base > maxIncrease+eps:
		r.Verdict = RowRegressed
	case *base-*cand > maxIncrease+eps:
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	return r
}

// relRow: relative tolerance with an absolute floor. lowerIsBetter selects
// the direction.
func relRow(metric, unit string, base, cand *float64, rel, abs float64, lowerIsBetter bool) Row {
	r := Row{Metric: metric, Unit: unit, Baseline: base, Candidate: cand}
	if lowerIsBetter {
		r.Tolerance = fmt.Sprintf("rise ≤ %s or ≤ %s", pct(rel), fmtNum(abs, unit))
		r.Formula = "regressed if cand > base × (1 + max_increase) and cand − base > abs"
	} else {
		r.Tolerance = fmt.Sprintf("drop ≤ %s or ≤ %s", pct(rel), fmtNum(abs, unit))
		r.Formula = "regressed if cand < base × (1 − max_drop) and base − cand > abs"
	}
	if base == nil || cand == nil {
		r.Verdict = RowMissing
		return r
	}
	r.Change = changeText(r)
	b, c := *base, *cand
	worse := c > b*(1+rel)+eps && c-b > abs+eps
	better := c < b*(1-rel)-eps && b-c > abs+eps
	if !lowerIsBetter {
		worse = c < b*(1-rel)-eps && b-c > abs+eps
		better = c > b*(1+rel)+eps && c-b > abs+eps
	}
	switch {
	case worse:
		r.Verdict = RowRegressed
	case better:
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	return r
}

func stabilityRows(base, cand *sidecar.Stability, tol Tolerances) []Row {
	if base == nil && cand == nil {
		return nil
	}
	var rows []Row
	var bp, cp *bool
	if base != nil {
		bp = &base.Passed
	}
	if cand != nil {
		cp = &cand.Passed
	}
	rows = append(rows, passRow("stability.passed", bp, cp))
	var bRuns, cRuns []sidecar.StabilityRun
	if base != nil {
		bRuns = base.Runs
	}
	if cand != nil {
		cRuns = cand.Runs
	}
	byName := pairRuns(bRuns, cRuns, func(r *sidecar.StabilityRun) string { return r.Name })
	for _, name := range sortedKeys(byName) {
		p := byName[name]
		prefix := "stability.runs[" + name + "]."
		get := func(fn func(*sidecar.StabilityRun) float64) (*float64, *float64) {
			var b, c *float64
			if p.b != nil {
				b = f(fn(p.b))
			}
			if p.c != nil {
				c = f(fn(p.c))
			}
			return b, c
		}
		var bt, ct, bo, co *stats.Summary
		if p.b != nil {
			bt, bo = &p.b.TTFTms, &p.b.TPOTms
		}
		if p.c != nil {
			ct, co = &p.c.TTFTms, &p.c.TPOTms
		}
		rows = append(rows, latencyRows(prefix, bt, ct, bo, co, tol.Latency)...)
		b, c := get(func(r *sidecar.StabilityRun) float64 { return r.OutputTokensPerS.P50 })
		rows = append(rows, relRow(prefix+"output_tokens_per_s.p50", UnitTokPerS, b, c, tol.Throughput.MaxDrop, tol.Throughput.AbsTokensPerS, false))
		b, c = get(func(r *sidecar.StabilityRun) float64 { return errorRate(r.Requests, r.Completed) })
		rows = append(rows, riseRow(prefix+"error_rate", UnitRate, b, c, tol.ErrorRate.MaxIncrease))
		rows = append(rows, degradationRow(prefix+"degradation", p.b, p.c, tol.Degradation))
	}
	return rows
}

// latencyRows compares TTFT p50/p90/p99 and TPOT p50/p99 of one run. A
// summary with n = 0 (nothing measured, e.g. no streamed request) counts as
// missing.
func latencyRows(prefix string, bTTFT, cTTFT, bTPOT, cTPOT *stats.Summary, tol LatencyTolerance) []Row {
	pick := func(s *stats.Summary, q func(*stats.Summary) float64) *float64 {
		if s == nil || s.N == 0 {
			return nil
		}
		return f(q(s))
	}
	p50 := func(s *stats.Summary) float64 { return s.P50 }
	p90 := func(s *stats.Summary) float64 { return s.P90 }
	p99 := func(s *stats.Summary) float64 { return s.P99 }
	var rows []Row
	for _, c := range []struct {
		name string
		b, c *stats.Summary
		q    func(*stats.Summary) float64
		tol  Relative
	}{
		{"ttft_ms.p50", bTTFT, cTTFT, p50, tol.TTFTP50},
		{"ttft_ms.p90", bTTFT, cTTFT, p90, tol.TTFTP90},
		{"ttft_ms.p99", bTTFT, cTTFT, p99, tol.TTFTP99},
		{"tpot_ms.p50", bTPOT, cTPOT, p50, tol.TPOTP50},
		{"tpot_ms.p99", bTPOT, cTPOT, p99, tol.TPOTP99},
	} {
		b, cv := pick(c.b, c.q), pick(c.c, c.q)
		if b == nil && cv == nil {
			continue
		}
		rows = append(rows, relRow(prefix+c.name, UnitMs, b, cv, c.tol.MaxIncrease, c.tol.AbsMs, true))
	}
	return rows
}

func errorRate(requests, completed int) float64 {
	if requests <= 0 {
		return 0
	}
	return float64(requests-completed) / float64(requests)
}

func degradationRow(metric string, b, c *sidecar.StabilityRun, tol DegradationTolerance) Row {
	r := Row{Metric: metric, Unit: UnitFraction,
		Tolerance: "own threshold, rise ≤ " + pct(tol.MaxIncrease),
		Formula:   "regressed if candidate fails its own threshold or cand > base + max_increase"}
	if b != nil {
		r.Baseline = f(b.Degradation.Value)
	}
	if c != nil {
		r.Candidate = f(c.Degradation.Value)
	}
	if b == nil || c == nil {
		r.Verdict = RowMissing
		return r
	}
	r.Change = changeText(r)
	bv, cv := b.Degradation.Value, c.Degradation.Value
	switch {
	case !c.Degradation.Passed || cv > bv+tol.MaxIncrease+eps:
		r.Verdict = RowRegressed
	case cv < bv-tol.MaxIncrease-eps:
		r.Verdict = RowImproved
	default:
		r.Verdict = RowOK
	}
	return r
}

func concurrencyRows(base, cand *sidecar.Concurrency, tol Tolerances) []Row {
	if base == nil && cand == nil {
		return nil
	}
	var rows []Row
	var bp, cp *bool
	if base != nil {
		bp = &base.Passed
	}
	if cand != nil {
		cp = &cand.Passed
	}
	rows = append(rows, passRow("concurrency.passed", bp, cp))
	var bRuns, cRuns []sidecar.LoadRun
	if base != nil {
		bRuns = base.Runs
	}
	if cand != nil {
		cRuns = cand.Runs
	}
	byName := pairRuns(bRuns, cRuns, func(r *sidecar.LoadRun) string { return r.Name })
	for _, name := range sortedKeys(byName) {
		p := byName[name]
		prefix := "concurrency.runs[" + name + "]."
		var bt, ct, bo, co *stats.Summary
		var bThr, cThr, bErr, cErr *float64
		if p.b != nil {
			bt, bo = &p.b.TTFTms, &p.b.TPOTms
			bThr, bErr = f(p.b.OutputThroughput), f(errorRate(p.b.Requests, p.b.Completed))
		}
		if p.c != nil {
			ct, co = &p.c.TTFTms, &p.c.TPOTms
			cThr, cErr = f(p.c.OutputThroughput), f(errorRate(p.c.Requests, p.c.Completed))
		}
		rows = append(rows, latencyRows(prefix, bt, ct, bo, co, tol.Latency)...)
		rows = append(rows,
			relRow(prefix+"output_throughput", UnitTokPerS, bThr, cThr, tol.Throughput.MaxDrop, tol.Throughput.AbsTokensPerS, false),
			riseRow(prefix+"error_rate", UnitRate, bErr, cErr, tol.ErrorRate.MaxIncrease))
	}
	return rows
}

func conversationRows(base, cand *sidecar.Conversation) []Row {
	if base == nil && cand == nil {
		return nil
	}
	var bp, cp *bool
	if base != nil {
		bp = &base.Passed
	}
	if cand != nil {
		cp = &cand.Passed
	}
	return []Row{passRow("conversation.passed", bp, cp)}
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

func vramRows(base, cand *sidecar.GPU, tol VRAMTolerance) []Row {
	b, c := VRAMMax(base), VRAMMax(cand)
	if b == nil && c == nil {
		return nil // no local GPU on either side: nothing to say
	}
	r := relRow("gpu.mem_used_max_mib", UnitMiB, b, c, tol.MaxIncrease, tol.AbsMiB, true)
	return []Row{r}
}

// runPair is the run of one name in the baseline (b) and the candidate (c);
// either may be nil when only one side measured it.
type runPair[T any] struct{ b, c *T }

// pairRuns matches the runs of both sides by name.
func pairRuns[T any](base, cand []T, name func(*T) string) map[string]*runPair[T] {
	byName := map[string]*runPair[T]{}
	get := func(n string) *runPair[T] {
		if byName[n] == nil {
			byName[n] = &runPair[T]{}
		}
		return byName[n]
	}
	for i := range base {
		get(name(&base[i])).b = &base[i]
	}
	for i := range cand {
		get(name(&cand[i])).c = &cand[i]
	}
	return byName
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// changeText prints candidate − baseline with the unit, and the relative
// change for units where it means something.
func changeText(r Row) string {
	if r.Baseline == nil || r.Candidate == nil {
		return ""
	}
	b, c := *r.Baseline, *r.Candidate
	switch r.Unit {
	case UnitPass:
		return fmtNum(b, r.Unit) + " → " + fmtNum(c, r.Unit)
	case UnitRate, UnitFraction:
		return signed(c-b, r.Unit)
	}
	s := signed(c-b, r.Unit)
	if b != 0 {
		s += fmt.Sprintf(" (%+.1f %%)", (c-b)/math.Abs(b)*100)
	}
	return s
}

func signed(d float64, unit string) string {
	if d >= 0 {
		return "+" + fmtNum(d, unit)
	}
	return "−" + fmtNum(-d, unit)
}

func pct(v float64) string { return fmt.Sprintf("%g %%", math.Round(v*1000)/10) }

// fmtNum prints a figure with the unit's fixed precision, so output diffs well.
func fmtNum(v float64, unit string) string {
	switch unit {
	case UnitRate:
		return fmt.Sprintf("%.3f", v)
	case UnitFraction:
		return fmt.Sprintf("%.1f %%", v*100)
	case UnitMs:
		return fmt.Sprintf("%.1f ms", v)
	case UnitTokPerS:
		return fmt.Sprintf("%.1f tok/s", v)
	case UnitMiB:
		return fmt.Sprintf("%.0f MiB", v)
	case UnitPass:
		if v >= 0.5 {
			return "pass"
		}
		return "fail"
	}
	return fmt.Sprintf("%.3f", v)
}
