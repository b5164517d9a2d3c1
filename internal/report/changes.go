package report

import (
	"fmt"
	"strings"
)

// Changes is what changed against a baseline run, for the report's
// summary. The promotion gate (`vllm-acceptance compare`) decides it; the
// report only prints it, so this type holds text, not statistics, and
// compare's result fills it (its statistical rewrite, issue 11, will).
type Changes struct {
	// Baseline names what the run was compared with (a path or run id).
	Baseline string
	// Verdict is compare's: "pass", "regressed", "inconclusive" or "refused".
	Verdict string
	// Reason is one line on the verdict (why refused, what regressed).
	Reason string
	// Rows are the figures that changed, most important first.
	Rows []ChangeRow
}

// ChangeRow is one figure against the baseline.
type ChangeRow struct {
	Area, Figure        string
	Baseline, Candidate string
	Change              string // e.g. "+12.0 %"
	Verdict             string // "pass", "regressed", "improved", "inconclusive"
}

// writeChanges is the summary's "against the baseline" part; nothing when
// no baseline was given.
func writeChanges(b *strings.Builder, c *Changes) {
	if c == nil {
		return
	}
	fmt.Fprintf(b, "\n### Against the baseline: %s\n\n", verdictWord(c.Verdict))
	fmt.Fprintf(b, "Baseline: %s.", cell(c.Baseline))
	if c.Reason != "" {
		fmt.Fprintf(b, " %s", mdText(c.Reason))
	}
	b.WriteString("\n")
	if len(c.Rows) == 0 {
		return
	}
	b.WriteString("\n| area | figure | baseline | this run | change | verdict |\n| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, r := range c.Rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(r.Area), cell(r.Figure), cell(r.Baseline), cell(r.Candidate), cell(r.Change), verdictWord(r.Verdict))
	}
}
