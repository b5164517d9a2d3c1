// Package compare is the promotion gate: pure functions that set a
// candidate's runs against a baseline's (Compare), or rank several
// configurations (Rank), with one confidence interval per figure, and
// writers that print the result as Markdown or JSON. It reads runs with
// sidecar.ReadRuns and judges a run's own areas with sidecar.Judge.
package compare

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Row outcomes.
const (
	RowPass         = "pass"
	RowRegressed    = "regressed"
	RowInconclusive = "inconclusive"
	// RowMissing: the figure is in one side only (a section or scenario the
	// other lacks). It is listed, and does not decide the verdict.
	RowMissing = "missing"
)

// Overall verdicts, and the exit codes the CLI maps them to.
const (
	VerdictPass         = "pass"         // exit 0
	VerdictRegressed    = "regressed"    // exit 1
	VerdictRefused      = "refused"      // exit 3
	VerdictInconclusive = "inconclusive" // exit 4
)

// Units tell the writers how to print a figure.
const (
	UnitRate     = "rate"     // 0..1
	UnitMs       = "ms"       // milliseconds
	UnitTokPerS  = "tok/s"    // tokens per second
	UnitFraction = "fraction" // 0.20 = 20 %
	UnitMiB      = "MiB"
	UnitPass     = "pass" // share of runs whose own verdict is pass
)

// Interval kinds: what Row.Interval is an interval of.
const (
	OnRatio      = "ratio"      // candidate / baseline
	OnDifference = "difference" // candidate − baseline
)

// MaxAdviceRuns bounds the runs per side the advice ever asks for.
const MaxAdviceRuns = 20

// Options change how Compare treats runs that do not match.
type Options struct {
	// Force compares runs Compare would refuse; the reasons stay in
	// Result.Refusals and the result is marked Forced.
	Force bool
}

// Side describes one side of a comparison: its runs and their provenance.
type Side struct {
	Runs          int               `json:"runs"`
	RunNames      []string          `json:"run_names"`
	Model         string            `json:"model"`
	Kind          string            `json:"kind"`
	BaseURL       string            `json:"base_url"`
	ServerVersion string            `json:"server_version,omitempty"`
	MaxModelLen   int               `json:"max_model_len,omitempty"`
	EngineConfig  map[string]string `json:"engine_config,omitempty"`
	Suite         string            `json:"suite,omitempty"`
	Fixtures      string            `json:"fixtures_sha256,omitempty"`
	Knobs         string            `json:"knobs_sha256,omitempty"`
	StartedAt     string            `json:"started_at"`
	SchemaVersion int               `json:"schema_version"`
}

// Row is one compared figure.
type Row struct {
	// Metric is the sidecar path, e.g. "stability.runs[alternating].ttft_ms.p90".
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Baseline and Candidate are each side's point value (the geometric
	// mean over runs for latency and throughput, pooled counts for rates);
	// null when that side lacks the figure.
	Baseline  *float64 `json:"baseline"`
	Candidate *float64 `json:"candidate"`
	// On says what Interval and Limit are about: "ratio" (cand/base) or
	// "difference" (cand − base).
	On string `json:"on,omitempty"`
	// Estimate is the point ratio or difference; Interval its 90 %
	// confidence interval (null when none could be formed).
	Estimate *float64        `json:"estimate,omitempty"`
	Interval *stats.Interval `json:"interval,omitempty"`
	// Limit is the tolerance on the same scale as Interval: the largest
	// acceptable value when LowerIsBetter, else the smallest.
	Limit         *float64 `json:"limit,omitempty"`
	LowerIsBetter bool     `json:"lower_is_better"`
	// Tolerance is the tolerance in words; Method how the interval was
	// formed; Why one line on the outcome.
	Tolerance string `json:"tolerance"`
	Method    string `json:"method"`
	Why       string `json:"why"`
	Verdict   string `json:"verdict"`
	// Advisory rows decide regressions only: their inconclusive outcome
	// does not make the verdict inconclusive (figures whose samples are
	// too small to ever prove equivalence: per-scenario and per-run rates,
	// p99, degradation).
	Advisory bool `json:"advisory,omitempty"`
	// RunsNeeded is, for an inconclusive row with runs as the unit, how
	// many runs per side would likely settle it (0: more than
	// MaxAdviceRuns, or not estimable). RequestsNeeded is the same in
	// requests per run for a one-run-per-side row.
	RunsNeeded     int `json:"runs_needed,omitempty"`
	RequestsNeeded int `json:"requests_needed,omitempty"`
}

// Result is the gate's decision.
type Result struct {
	Verdict   string `json:"verdict"`
	Baseline  Side   `json:"baseline"`
	Candidate Side   `json:"candidate"`
	// Refused is set when the runs do not match and Options.Force was not
	// given; Rows is then empty. Refusals lists every reason either way.
	Refused  bool     `json:"refused"`
	Forced   bool     `json:"forced,omitempty"`
	Refusals []string `json:"refusals,omitempty"`
	// RunToRun says whether run-to-run variation was measured (more than
	// one run on some side); without it the intervals cover per-request
	// noise only.
	RunToRun bool  `json:"run_to_run_measured"`
	Rows     []Row `json:"rows"`
	// Counts of row outcomes; Inconclusive counts deciding rows only.
	Regressed    int `json:"regressed"`
	Inconclusive int `json:"inconclusive"`
	Missing      int `json:"missing"`
	// Advice says what would settle an inconclusive verdict.
	Advice string `json:"advice,omitempty"`
}

// sideOf describes runs (which the caller has checked agree).
func sideOf(runs []sidecar.Run) Side {
	s := Side{Runs: len(runs)}
	for _, r := range runs {
		s.RunNames = append(s.RunNames, r.Name)
	}
	if len(runs) == 0 {
		return s
	}
	m := runs[0].Metrics
	s.Model, s.Kind, s.BaseURL = m.Target.Model, m.Target.Kind, m.Target.BaseURL
	s.ServerVersion, s.SchemaVersion, s.Suite = m.Target.ServerVersion, m.SchemaVersion, m.Suite
	if p := m.Provenance; p != nil {
		s.MaxModelLen, s.EngineConfig, s.Fixtures, s.Knobs = p.MaxModelLen, p.EngineConfig, p.FixturesSHA256, p.KnobsSHA256
		if p.ServerVersion != "" {
			s.ServerVersion = p.ServerVersion
		}
	}
	if !m.StartedAt.IsZero() {
		s.StartedAt = m.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return s
}

// provenanceKeys are the fields compared within a side (all must agree)
// and, where across is set, between the sides.
var provenanceKeys = []struct {
	name   string
	across bool
	get    func(*sidecar.Metrics) string
}{
	{"model", true, func(m *sidecar.Metrics) string { return m.Target.Model }},
	{"target kind", true, func(m *sidecar.Metrics) string { return kindClass(m.Target.Kind) }},
	{"schema_version", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.SchemaVersion) }},
	{"suite version", true, func(m *sidecar.Metrics) string { return m.Suite }},
	{"fixtures (sha256)", true, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return p.FixturesSHA256 })
	}},
	{"knobs (sha256)", true, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return p.KnobsSHA256 })
	}},
	{"knob toolcall_repeats", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.Knobs.ToolCallRepeats) }},
	{"knob toolcall_modes", true, func(m *sidecar.Metrics) string { return m.Knobs.ToolCallModes }},
	{"knob stability_requests", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.Knobs.StabilityRequests) }},
	{"server version", false, func(m *sidecar.Metrics) string { return m.Target.ServerVersion }},
	{"max_model_len", false, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return fmt.Sprint(p.MaxModelLen) })
	}},
	{"engine config (/metrics *_info)", false, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return engineConfigString(p.EngineConfig) })
	}},
}

// shortHash shows a sha256 by its first 12 hex digits, as git shows a
// commit: enough to tell two apart in a refusal line, which the full 64
// would stretch past a screen. Other values are shown whole.
func shortHash(v string) string {
	if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:12] + "…"
	}
	return v
}

func kindClass(k string) string {
	if k == sidecar.KindSimulator {
		return "simulator"
	}
	return "server"
}

func prov(m *sidecar.Metrics, get func(*sidecar.Provenance) string) string {
	if m.Provenance == nil {
		return ""
	}
	return get(m.Provenance)
}

func engineConfigString(c map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(c)) {
		fmt.Fprintf(&b, "%s=%s ", k, c[k])
	}
	return strings.TrimSpace(b.String())
}

// SideRefusals lists why the runs of one side are not runs of one
// configuration: any provenance field that differs between them, and any
// incomplete run.
func SideRefusals(side string, runs []sidecar.Run) []string {
	var r []string
	for _, run := range runs {
		if !run.Metrics.Complete {
			r = append(r, fmt.Sprintf("%s run %s is incomplete (end_reason %q); rerun it to the end", side, run.Name, run.Metrics.Ending()))
		}
	}
	if len(runs) < 2 {
		return r
	}
	for _, k := range provenanceKeys {
		first := k.get(runs[0].Metrics)
		for _, run := range runs[1:] {
			if v := k.get(run.Metrics); v != first {
				r = append(r, fmt.Sprintf("%s runs disagree on %s: %s has %q, %s has %q; a side must be runs of one configuration",
					side, k.name, runs[0].Name, shortHash(first), run.Name, shortHash(v)))
				break
			}
		}
	}
	return r
}

// Refusals lists why the two sides cannot be compared fairly: runs within
// a side that disagree (SideRefusals), and sides that differ in model,
// target kind (simulator against a server), schema or suite version,
// fixtures or knobs. The server version, max_model_len and engine
// configuration may differ between sides: they are what a candidate
// changes.
func Refusals(base, cand []sidecar.Run) []string {
	r := append(SideRefusals("baseline", base), SideRefusals("candidate", cand)...)
	if len(base) == 0 || len(cand) == 0 {
		return append(r, "a side has no runs")
	}
	b, c := base[0].Metrics, cand[0].Metrics
	for _, k := range provenanceKeys {
		if !k.across {
			continue
		}
		if bv, cv := k.get(b), k.get(c); bv != cv {
			r = append(r, fmt.Sprintf("%s differs: baseline %q, candidate %q", k.name, shortHash(bv), shortHash(cv)))
		}
	}
	return r
}

// Compare sets the candidate's runs against the baseline's. Each side is
// one or more runs of one configuration. It is pure: the same inputs give
// the same Result. Rows come in a fixed order (areas in sidecar order,
// then names sorted). docs/statistics.md states every rule.
func Compare(base, cand []sidecar.Run, tol Tolerances, opts Options) Result {
	res := Result{Baseline: sideOf(base), Candidate: sideOf(cand), Rows: []Row{}}
	res.Refusals = Refusals(base, cand)
	if len(res.Refusals) > 0 {
		if !opts.Force || len(base) == 0 || len(cand) == 0 {
			res.Refused = true
			res.Verdict = VerdictRefused
			return res
		}
		res.Forced = true
	}
	res.RunToRun = len(base)+len(cand) >= 3
	bm, cm := metricsOf(base), metricsOf(cand)
	var rows []Row
	rows = append(rows, toolCallingRows(bm, cm, tol.ToolCalling)...)
	rows = append(rows, stabilityRows(bm, cm, tol)...)
	rows = append(rows, concurrencyRows(bm, cm, tol)...)
	rows = append(rows, areaRow("conversation.passed", bm, cm, judged(sidecar.SectionConversation)))
	rows = append(rows, vramRows(bm, cm, tol.VRAM)...)
	rows = append(rows, capacityRows(bm, cm, tol.Capacity)...)
	for _, r := range rows {
		if r.Metric == "" {
			continue
		}
		res.Rows = append(res.Rows, r)
	}
	res.Verdict = VerdictPass
	for _, r := range res.Rows {
		switch {
		case r.Verdict == RowRegressed:
			res.Regressed++
		case r.Verdict == RowMissing:
			res.Missing++
		case r.Verdict == RowInconclusive && !r.Advisory:
			res.Inconclusive++
		}
	}
	switch {
	case res.Regressed > 0:
		res.Verdict = VerdictRegressed
	case res.Inconclusive > 0:
		res.Verdict = VerdictInconclusive
		res.Advice = advice(res)
	}
	return res
}

func metricsOf(runs []sidecar.Run) []*sidecar.Metrics {
	out := make([]*sidecar.Metrics, len(runs))
	for i, r := range runs {
		out[i] = r.Metrics
	}
	return out
}

// advice says how many runs (or requests) would likely settle the
// inconclusive deciding rows.
func advice(res Result) string {
	runs, reqs, unsettled := 0, 0, 0
	var names []string
	for _, r := range res.Rows {
		if r.Verdict != RowInconclusive || r.Advisory {
			continue
		}
		names = append(names, r.Metric)
		switch {
		case r.RunsNeeded > 0:
			runs = max(runs, r.RunsNeeded)
		case r.RequestsNeeded > 0:
			reqs = max(reqs, r.RequestsNeeded)
		default:
			unsettled++
		}
	}
	now := fmt.Sprintf("now %d", res.Baseline.Runs)
	if res.Candidate.Runs != res.Baseline.Runs {
		now = fmt.Sprintf("now %d baseline, %d candidate", res.Baseline.Runs, res.Candidate.Runs)
	}
	var parts []string
	if runs > 0 {
		parts = append(parts, fmt.Sprintf("about %d runs per side (%s) would likely settle it: run the configuration again (ACCEPTANCE_RUNS=%d) and compare the folders", runs, now, runs))
	}
	if reqs > 0 {
		parts = append(parts, fmt.Sprintf("with one run per side, about %d requests per run would settle the per-request noise (ACCEPTANCE_STABILITY_REQUESTS, ACCEPTANCE_*_REQUESTS), but only 3 or more runs per side (ACCEPTANCE_RUNS=3) measure run-to-run variation", reqs))
	}
	if unsettled > 0 {
		parts = append(parts, fmt.Sprintf("%d figure(s) sit about on their tolerance: more than %d runs per side would be needed, or a tolerance that says what difference matters", unsettled, MaxAdviceRuns))
	}
	return fmt.Sprintf("inconclusive on %s: %s", strings.Join(names, ", "), strings.Join(parts, "; "))
}

func f(v float64) *float64 { return &v }

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

// rateRow compares two pooled proportions, higher is better, with
// Newcombe's hybrid score interval on the difference at 90 %:
// regressed when the whole interval lies below −maxDrop, pass when it
// lies at or above −maxDrop, inconclusive otherwise.
//
// With runs as the unit of nothing here (attempts are pooled over runs),
// an inconclusive rate row's RunsNeeded is the runs per side at which the
// same proportions over proportionally more attempts would be decided.
func rateRow(metric string, kb, nb, kc, nc int, maxDrop float64, higherIsBetter, advisory bool, runs int) Row {
	r := Row{Metric: metric, Unit: UnitRate, On: OnDifference, Advisory: advisory,
		Method: fmt.Sprintf("Newcombe hybrid score interval (90 %%) on %d/%d vs %d/%d", kb, nb, kc, nc)}
	if nb > 0 {
		r.Baseline = f(float64(kb) / float64(nb))
	}
	if nc > 0 {
		r.Candidate = f(float64(kc) / float64(nc))
	}
	if nb <= 0 || nc <= 0 {
		if nb <= 0 && nc <= 0 {
			return Row{}
		}
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	d, iv := stats.NewcombeDiff(kb, nb, kc, nc, stats.ZGate)
	r.Estimate, r.Interval = f(d), &iv
	decided := func(iv stats.Interval) (regressed, pass bool) {
		if higherIsBetter {
			return iv.High < -maxDrop-eps, iv.Low >= -maxDrop-eps
		}
		return iv.Low > maxDrop+eps, iv.High <= maxDrop+eps
	}
	if higherIsBetter {
		r.Limit = f(-maxDrop)
		r.Tolerance = "drop ≤ " + fmtNum(maxDrop, UnitRate)
	} else {
		r.LowerIsBetter = true
		r.Limit = f(maxDrop)
		r.Tolerance = "rise ≤ " + fmtNum(maxDrop, UnitRate)
	}
	regressed, pass := decided(iv)
	judge(&r, regressed, pass)
	if r.Verdict == RowInconclusive && runs > 0 {
		for m := runs + 1; m <= MaxAdviceRuns; m++ {
			x := float64(m) / float64(runs)
			sc := func(k int) int { return int(math.Round(float64(k) * x)) }
			_, miv := stats.NewcombeDiff(sc(kb), sc(nb), sc(kc), sc(nc), stats.ZGate)
			if g, p := decided(miv); g || p {
				r.RunsNeeded = m
				break
			}
		}
	}
	return r
}

// judge sets the outcome from the two whole-interval tests and says why.
func judge(r *Row, regressed, pass bool) {
	iv := fmtInterval(r)
	switch {
	case regressed:
		r.Verdict = RowRegressed
		r.Why = fmt.Sprintf("the whole interval %s lies beyond the tolerance (%s)", iv, r.Tolerance)
	case pass:
		r.Verdict = RowPass
		r.Why = fmt.Sprintf("the whole interval %s lies within the tolerance (%s)", iv, r.Tolerance)
	default:
		r.Verdict = RowInconclusive
		r.Why = fmt.Sprintf("the interval %s straddles the tolerance (%s)", iv, r.Tolerance)
	}
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

// eps absorbs float noise so a figure exactly at its tolerance is inside it.
const eps = 1e-9

// sample is one run's view of one figure: its point value (a quantile, a
// throughput) and, for single-run intervals, the distribution it came from.
type sample struct {
	v    float64
	hist string // encoded histogram of the figure's distribution, or ""
	q    float64
	// proxy says the histogram is a per-request stand-in for a run-level
	// figure (output_throughput).
	proxy bool
}

// ratioRow compares a positive figure between sides as the ratio cand/base
// (docs/statistics.md, "Latency and throughput").
//
// Runs as the unit (3 runs or more in all): the values are per-run logs,
// and the interval on the ratio is exp of stats.RunsDiff's t interval.
// One run per side: exp of stats.LogQuantileDiff's interval over the
// requests of each run (the histograms), which cannot see run-to-run
// variation; the row says so.
//
// The tolerance on the ratio is 1 + max(rel, abs/base) for lower-is-better
// figures and 1 − max(rel, abs/base) for higher-is-better ones, base being
// the baseline's geometric mean: the absolute floor keeps a few
// milliseconds on a fast server from counting.
func ratioRow(metric, unit string, b, c []sample, rel, abs float64, lowerIsBetter, advisory bool) Row {
	r := Row{Metric: metric, Unit: unit, On: OnRatio, LowerIsBetter: lowerIsBetter, Advisory: advisory}
	if len(b) == 0 && len(c) == 0 {
		return Row{}
	}
	if len(b) > 0 {
		r.Baseline = f(geoMean(b))
	}
	if len(c) > 0 {
		r.Candidate = f(geoMean(c))
	}
	if len(b) == 0 || len(c) == 0 {
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	slack := rel
	if *r.Baseline > 0 {
		slack = math.Max(rel, abs / *r.Baseline)
	}
	limit := 1 + slack
	r.Tolerance = fmt.Sprintf("ratio ≤ %.3f (+%s, or +%s)", limit, stats.Percent(rel), fmtNum(abs, unit))
	if !lowerIsBetter {
		limit = 1 - slack
		r.Tolerance = fmt.Sprintf("ratio ≥ %.3f (−%s, or −%s)", limit, stats.Percent(rel), fmtNum(abs, unit))
	}
	r.Limit = f(limit)
	var est stats.Estimate
	var ok bool
	var nReq int64 // requests per run, for one run per side
	perRun := len(b)+len(c) >= 3
	if perRun {
		est, ok = stats.RunsDiff(logs(b), logs(c))
		r.Method = fmt.Sprintf("runs as the unit: Welch t on per-run logs, %d vs %d runs", len(b), len(c))
	} else {
		hb, errB := stats.DecodeHistogram(b[0].hist)
		hc, errC := stats.DecodeHistogram(c[0].hist)
		if errB != nil || errC != nil {
			r.Estimate = f(c[0].v / b[0].v)
			r.Verdict, r.Method = RowInconclusive, "one run per side, no histogram"
			r.Why = "one run per side and no request distribution in the sidecar: no interval; rerun the suite with this version, or run 3 or more times per side"
			return r
		}
		est, ok = stats.LogQuantileDiff(hb, hc, b[0].q)
		nReq = max(hb.Count(), hc.Count())
		r.Method = fmt.Sprintf("one run per side: order-statistic interval over requests (%d vs %d); run-to-run variation not measured", hb.Count(), hc.Count())
		if b[0].proxy {
			r.Method += "; width from the per-request tokens/s median (a proxy)"
			est.Diff = math.Log(c[0].v) - math.Log(b[0].v)
		}
	}
	if !ok {
		r.Verdict, r.Why = RowInconclusive, "no interval could be formed"
		return r
	}
	civ := est.Interval(stats.GateConfidence)
	iv := stats.Interval{Low: math.Exp(civ.Low), High: math.Exp(civ.High)}
	r.Estimate, r.Interval = f(math.Exp(est.Diff)), &iv
	lim := math.Log(limit)
	if lowerIsBetter {
		judge(&r, iv.Low > limit+eps, iv.High <= limit+eps)
	} else {
		judge(&r, iv.High < limit-eps, iv.Low >= limit-eps)
	}
	if r.Verdict == RowInconclusive {
		margin := math.Abs(lim - est.Diff)
		if perRun {
			r.RunsNeeded = stats.RunsNeeded(est.PerUnitSD, float64(len(b)+len(c)-2), margin, max(len(b), len(c)), MaxAdviceRuns)
		} else if est.SE > 0 && margin > 0 {
			// The standard error shrinks as 1/√requests: the requests per
			// run at which the interval would clear the tolerance.
			need := float64(nReq) * math.Pow(stats.ZGate*est.SE/margin, 2)
			if need < 1e6 {
				r.RequestsNeeded = int(math.Ceil(need))
			}
		}
	}
	if !runToRun(r.Method) {
		r.Why += "; run-to-run variation not measured"
	}
	return r
}

// runToRun says whether a method measured run-to-run variation.
func runToRun(method string) bool { return strings.HasPrefix(method, "runs as the unit") }

func logs(s []sample) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = math.Log(x.v)
	}
	return out
}

func geoMean(s []sample) float64 {
	sum := 0.0
	for _, x := range s {
		sum += math.Log(x.v)
	}
	return math.Exp(sum / float64(len(s)))
}

// diffRow compares a figure whose difference matters (degradation), lower
// is better: runs as the unit with 3 runs or more (t on per-run values),
// else the two runs' own intervals (normal, se from each interval's
// width at zOwn). The interval is 98 % (each side a one-sided 1 % test):
// a trend over ten requests per class is so noisy that a 90 % interval
// would raise a false regression about once in a hundred comparisons, and
// the candidate's own degradation check (stability.passed) already gates
// the absolute level.
func diffRow(metric string, b, c []float64, bIv, cIv []stats.Interval, zOwn, maxIncrease float64) Row {
	r := Row{Metric: metric, Unit: UnitFraction, On: OnDifference, LowerIsBetter: true, Advisory: true,
		Tolerance: "rise ≤ " + stats.Percent(maxIncrease), Limit: f(maxIncrease)}
	mean := func(xs []float64) *float64 {
		if len(xs) == 0 {
			return nil
		}
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return f(s / float64(len(xs)))
	}
	r.Baseline, r.Candidate = mean(b), mean(c)
	if len(b) == 0 && len(c) == 0 {
		return Row{}
	}
	if len(b) == 0 || len(c) == 0 {
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	var est stats.Estimate
	if len(b)+len(c) >= 3 {
		est, _ = stats.RunsDiff(b, c)
		r.Method = fmt.Sprintf("runs as the unit: Welch t on per-run values, %d vs %d runs", len(b), len(c))
	} else {
		se := func(iv stats.Interval) float64 { return (iv.High - iv.Low) / (2 * zOwn) }
		sb, sc := se(bIv[0]), se(cIv[0])
		est = stats.Estimate{Diff: c[0] - b[0], SE: math.Sqrt(sb*sb + sc*sc), DF: math.Inf(1)}
		r.Method = "one run per side: each run's own trend interval; run-to-run variation not measured"
	}
	r.Method += "; 98 % interval"
	iv := est.Interval(degradationConfidence)
	r.Estimate, r.Interval = f(est.Diff), &iv
	judge(&r, iv.Low > maxIncrease+eps, iv.High <= maxIncrease+eps)
	return r
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

// degradationConfidence is the confidence of the degradation row's interval.
const degradationConfidence = 0.98

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

// zTrend is the normal quantile of the 97.5 % Theil–Sen interval the
// stability runs record (stats.Degradation).
const zTrend = 2.241402727604947

func errorRateRow[T any](metric string, b, c []*T, counts func(*T) (int, int), maxIncrease float64, advisory bool) Row {
	sum := func(rs []*T) (int, int) {
		k, n := 0, 0
		for _, r := range rs {
			a, b := counts(r)
			k, n = k+a, n+b
		}
		return k, n
	}
	kb, nb := sum(b)
	kc, nc := sum(c)
	return rateRow(metric, kb, nb, kc, nc, maxIncrease, false, advisory, 0)
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

func concurrencyRows(base, cand []*sidecar.Metrics, tol Tolerances) []Row {
	return loadRows(base, cand, tol, loadKind[sidecar.ConcurrencyRun]{
		area: "concurrency",
		runs: func(m *sidecar.Metrics) []sidecar.ConcurrencyRun {
			if m.Concurrency == nil {
				return nil
			}
			return m.Concurrency.Runs
		},
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
	r.Tolerance = fmt.Sprintf("ratio ≤ %.3f (+%s, or +%s)", limit, stats.Percent(tol.MaxIncrease), fmtNum(tol.AbsMiB, UnitMiB))
	if *r.Estimate > limit+eps {
		r.Verdict, r.Why = RowRegressed, fmt.Sprintf("ratio %.3f beyond the tolerance", *r.Estimate)
	} else {
		r.Verdict, r.Why = RowPass, fmt.Sprintf("ratio %.3f within the tolerance", *r.Estimate)
	}
	return []Row{r}
}

// fmtInterval prints a row's interval on its scale: "[1.02, 1.19]" for a
// ratio, "[−0.050, +0.020]" for a difference of rates.
func fmtInterval(r *Row) string {
	if r.Interval == nil {
		return "–"
	}
	if r.On == OnRatio {
		return fmt.Sprintf("[%.3f, %.3f]", r.Interval.Low, r.Interval.High)
	}
	return fmt.Sprintf("[%s, %s]", signed(r.Interval.Low, r.Unit), signed(r.Interval.High, r.Unit))
}

func signed(d float64, unit string) string {
	if d >= 0 {
		return "+" + fmtNum(d, unit)
	}
	return "−" + fmtNum(-d, unit)
}

// fmtNum prints a figure with the unit's fixed precision, so output diffs well.
func fmtNum(v float64, unit string) string {
	switch unit {
	case UnitRate:
		return fmt.Sprintf("%.3f", v)
	case UnitFraction:
		return stats.PercentFixed(v)
	case UnitMs:
		return fmt.Sprintf("%.1f ms", v)
	case UnitTokPerS:
		return fmt.Sprintf("%.1f tok/s", v)
	case UnitMiB:
		return fmt.Sprintf("%.0f MiB", v)
	case UnitPass:
		return fmt.Sprintf("%.0f %% of runs pass", v*100)
	case UnitReqPerS:
		return fmt.Sprintf("%.2f req/s", v)
	}
	return fmt.Sprintf("%.3f", v)
}
