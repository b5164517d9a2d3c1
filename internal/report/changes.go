package report

import (
	"fmt"
	"io"
	"strings"
)

// Changes is what changed against a baseline run, for the report's
// summary. The promotion gate (`vllm-acceptance compare`) decides it; the
// report only prints it, so this type holds text, not statistics.
// `vllm-acceptance report --baseline` fills it from compare's result
// (cmd/vllm-acceptance/baseline.go): the report does not import compare.
type Changes struct {
	// Baseline names what the run was compared with (a path, its runs).
	Baseline string
	// Candidate names the compared run(s); GateSummary prints it, the
	// report (whose run it is) does not.
	Candidate string
	// Verdict is compare's: "pass", "regressed", "inconclusive" or "refused".
	Verdict string
	// Reason is one line on the verdict (why refused, what regressed).
	Reason string
	// Rows are the figures that changed, most important first; the report
	// prints the first MaxChangeRows.
	Rows []ChangeRow
	// More says where every compared figure is: for the report the compare
	// command that lists them, printed when rows are left out; for
	// GateSummary compare's Markdown file.
	More string
}

// ChangeRow is one figure against the baseline.
type ChangeRow struct {
	Area, Figure        string
	Baseline, Candidate string
	Change              string // e.g. "+12.0 %"
	Verdict             string // "pass", "regressed", "improved", "inconclusive"
}

// MaxChangeRows bounds the rows of the "against the baseline" table, so
// the report's first screen stays the summary.
const MaxChangeRows = 10

// writeChanges is the summary's "against the baseline" part; nothing when
// no baseline was given.
func writeChanges(b *strings.Builder, c *Changes) {
	if c == nil {
		return
	}
	fmt.Fprintf(b, "\n### Against the baseline: %s\n\n", changesWord(c.Verdict))
	fmt.Fprintf(b, "Baseline: %s.", cell(c.Baseline))
	if c.Reason != "" {
		fmt.Fprintf(b, " %s", mdText(c.Reason))
	}
	b.WriteString("\n")
	if len(c.Rows) == 0 {
		return
	}
	b.WriteString("\n| area | figure | baseline | this run | change | verdict |\n| --- | --- | ---: | ---: | ---: | --- |\n")
	for i, r := range c.Rows {
		if i == MaxChangeRows {
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(r.Area), cell(r.Figure), cell(r.Baseline), cell(r.Candidate), cell(r.Change), verdictWord(r.Verdict))
	}
	if n := len(c.Rows) - MaxChangeRows; n > 0 {
		fmt.Fprintf(b, "\n%d more figure(s) moved", n)
		if c.More != "" {
			fmt.Fprintf(b, "; every figure: %s", mdText(c.More))
		}
		b.WriteString(".\n")
	}
}

// writeChangesLine is the step summary's line on the baseline: the verdict
// and the reason, no table.
func writeChangesLine(b *strings.Builder, c *Changes) {
	if c == nil {
		return
	}
	fmt.Fprintf(b, "\nAgainst the baseline %s: %s.", cell(c.Baseline), changesWord(c.Verdict))
	if c.Reason != "" {
		fmt.Fprintf(b, " %s", mdText(c.Reason))
	}
	b.WriteString("\n")
}

// GateSummary writes the promotion gate's verdict as one short paragraph
// for GITHUB_STEP_SUMMARY (`vllm-acceptance compare --summary`): the
// verdict, both sides, the reason, and where the whole table is (More, a
// file name); artifacts, when set, links to the run's artifacts.
func GateSummary(w io.Writer, c *Changes, artifacts string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### Promotion gate: %s\n\n", changesWord(c.Verdict))
	fmt.Fprintf(&b, "Baseline %s", cell(c.Baseline))
	if c.Candidate != "" {
		fmt.Fprintf(&b, ", candidate %s", cell(c.Candidate))
	}
	b.WriteString(".")
	if c.Reason != "" {
		fmt.Fprintf(&b, " %s", mdText(c.Reason))
	}
	b.WriteString("\n")
	if c.More != "" {
		if artifacts != "" {
			fmt.Fprintf(&b, "\nThe whole table: %s in [the run's artifacts](%s).\n", mdText(c.More), artifacts)
		} else {
			fmt.Fprintf(&b, "\nThe whole table: %s.\n", mdText(c.More))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// changesWord is a comparison's verdict as a heading shows it.
func changesWord(v string) string {
	if v == "inconclusive" {
		return "INCONCLUSIVE"
	}
	return verdictWord(v)
}
