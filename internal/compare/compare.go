// Package compare is the promotion gate: pure functions that set a
// candidate's runs against a baseline's (Compare), or rank several
// configurations (Rank), with one confidence interval per figure, and
// writers that print the result as Markdown or JSON. It reads runs with
// sidecar.ReadRuns and judges a run's own areas with sidecar.Judge.
package compare

import (
	"fmt"
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
	rows = append(rows, areaRow("structured_outputs.passed", bm, cm, judged(sidecar.SectionStructuredOutputs)))
	rows = append(rows, areaRow("contract.passed", bm, cm, judged(sidecar.SectionContract)))
	rows = append(rows, areaRow("structured_outputs_under_load.passed", bm, cm, judged(sidecar.SectionStructuredUnderLoad)))
	rows = append(rows, stabilityRows(bm, cm, tol)...)
	rows = append(rows, concurrencyRows(bm, cm, tol)...)
	rows = append(rows, areaRow("conversation.passed", bm, cm, judged(sidecar.SectionConversation)))
	rows = append(rows, vramRows(bm, cm, tol.VRAM)...)
	rows = append(rows, capacityRows(bm, cm, tol.Capacity)...)
	rows = append(rows, energyRows(bm, cm, tol.Energy)...)
	rows = append(rows, specDecodeRows(bm, cm, tol.SpecDecode)...)
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
