package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
)

// The promotion gate's result as the report shows it. internal/report
// prints text and must not import internal/compare (docs/ARCHITECTURE.md),
// so the conversion lives here, over compare's exported Result.

// maxReasonFigures bounds the figures a reason line names.
const maxReasonFigures = 3

// gateChanges turns compare's result into report.Changes: the verdict, one
// reason line, and the rows that moved, most important first: regressions
// (deciding figures before advisory ones), then figures that could not be
// decided, then improvements. Passing figures, advisory rows that could not
// be decided and figures measured on one side only are left out: compare's
// own table lists them. baseline and candidate name the sides; more says
// where every figure is.
func gateChanges(res compare.Result, baseline, candidate, more string) *report.Changes {
	c := &report.Changes{
		Baseline:  sideName(baseline, res.Baseline),
		Candidate: sideName(candidate, res.Candidate),
		Verdict:   res.Verdict,
		More:      more,
	}
	type ranked struct {
		rank int
		row  report.ChangeRow
	}
	var rows []ranked
	var regressed []string
	improvedN := 0
	for _, r := range res.Rows {
		rank, verdict := -1, r.Verdict
		switch {
		case r.Verdict == compare.RowRegressed && !r.Advisory:
			rank = 0
		case r.Verdict == compare.RowRegressed:
			rank = 1
		case r.Verdict == compare.RowInconclusive && !r.Advisory:
			rank = 2
		case r.Improved():
			rank, verdict = 3, "improved"
			improvedN++
		}
		if rank < 0 {
			continue
		}
		area, figure := splitMetric(r.Metric)
		row := report.ChangeRow{Area: area, Figure: figure, Baseline: rowValue(r.Baseline, r.Unit),
			Candidate: rowValue(r.Candidate, r.Unit), Change: rowChange(r), Verdict: verdict}
		rows = append(rows, ranked{rank, row})
		if r.Verdict == compare.RowRegressed {
			regressed = append(regressed, strings.TrimSpace(area+" "+figure+" "+row.Change))
		}
	}
	slices.SortStableFunc(rows, func(a, b ranked) int { return a.rank - b.rank })
	for _, r := range rows {
		c.Rows = append(c.Rows, r.row)
	}

	switch res.Verdict {
	case compare.VerdictRefused:
		c.Reason = "Not comparable: " + listSome(res.Refusals, "; ") + "; rerun one side so they match (`vllm-acceptance compare --force` compares anyway)."
	case compare.VerdictRegressed:
		c.Reason = fmt.Sprintf("%d figure(s) beyond tolerance: %s.", res.Regressed, listSome(regressed, ", "))
	case compare.VerdictInconclusive:
		// compare's advice is "inconclusive on NAMES: WHAT WOULD SETTLE IT";
		// the rows name the figures.
		advice := res.Advice
		if _, rest, ok := strings.Cut(advice, ": "); ok && strings.HasPrefix(advice, "inconclusive on ") {
			advice = rest
		}
		c.Reason = fmt.Sprintf("%d figure(s) could not be decided: %s.", res.Inconclusive, advice)
	default:
		c.Reason = "Every deciding figure within tolerance"
		if improvedN > 0 {
			c.Reason += fmt.Sprintf("; %d improved", improvedN)
		}
		c.Reason += "."
	}
	if !res.Refused && !res.RunToRun {
		c.Reason += " One run per side: the intervals cover per-request noise only."
	}
	return c
}

// sideName is a side's path with its run count when there are several.
func sideName(path string, s compare.Side) string {
	if s.Runs > 1 {
		return fmt.Sprintf("%s (%d runs)", path, s.Runs)
	}
	return path
}

// listSome names the first maxReasonFigures items and counts the rest.
func listSome(items []string, sep string) string {
	if len(items) <= maxReasonFigures {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxReasonFigures], sep), sep, len(items)-maxReasonFigures)
}

var nested = regexp.MustCompile(`^(?:runs|scenarios)\[(.*)\]\.(.*)$`)

// splitMetric turns compare's metric path into the report's area and
// figure: "stability.runs[alternating].ttft_ms.p50" → "stability",
// "alternating ttft_ms.p50".
func splitMetric(metric string) (area, figure string) {
	area, figure, _ = strings.Cut(metric, ".")
	switch area {
	case "tool_calling":
		area = "tool calling"
	case "gpu":
		area = "GPU"
	}
	if m := nested.FindStringSubmatch(figure); m != nil {
		figure = m[1] + " " + m[2]
	}
	if figure == "passed" {
		figure = "own verdict"
	}
	return area, figure
}

func rowValue(v *float64, unit string) string {
	if v == nil {
		return ""
	}
	return compare.FormatValue(*v, unit)
}

// rowChange is the row's estimate: a ratio as a signed percentage
// ("+16.7 %", "−9.7 %"), a difference in the figure's unit; "" for an
// area's verdict.
func rowChange(r compare.Row) string {
	if r.Estimate == nil || r.Unit == compare.UnitPass {
		return ""
	}
	if r.On == compare.OnRatio {
		return compare.FormatDifference(*r.Estimate-1, compare.UnitFraction)
	}
	return compare.FormatDifference(*r.Estimate, r.Unit)
}
