package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes res as indented JSON (the --json file of compare).
func WriteJSON(w io.Writer, res Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(res)
}

// WriteMarkdown writes res as a GitHub-flavoured Markdown section: the
// verdict, both runs, the rows (regressions first is left to the reader:
// rows keep the sidecar's order so two reports diff line by line), and the
// rules that decided them.
func WriteMarkdown(w io.Writer, res Result) error {
	var b strings.Builder
	title := map[string]string{
		VerdictPass:      "PASS: no regression beyond tolerance",
		VerdictRegressed: fmt.Sprintf("REGRESSED: %d figure(s) beyond tolerance", res.Regressed),
		VerdictRefused:   "REFUSED: the runs do not match",
	}[res.Verdict]
	fmt.Fprintf(&b, "## Promotion gate: %s\n\n", title)
	b.WriteString("| | baseline | candidate |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| model | %s | %s |\n", cell(res.Baseline.Model), cell(res.Candidate.Model))
	fmt.Fprintf(&b, "| kind | %s | %s |\n", cell(res.Baseline.Kind), cell(res.Candidate.Kind))
	fmt.Fprintf(&b, "| base_url | %s | %s |\n", cell(res.Baseline.BaseURL), cell(res.Candidate.BaseURL))
	fmt.Fprintf(&b, "| server version | %s | %s |\n", cell(res.Baseline.ServerVersion), cell(res.Candidate.ServerVersion))
	fmt.Fprintf(&b, "| started | %s | %s |\n", cell(res.Baseline.StartedAt), cell(res.Candidate.StartedAt))
	fmt.Fprintf(&b, "| schema_version | %d | %d |\n\n", res.Baseline.SchemaVersion, res.Candidate.SchemaVersion)

	if len(res.Refusals) > 0 {
		if res.Refused {
			b.WriteString("The gate refuses to compare these runs:\n\n")
		} else {
			b.WriteString("Compared with `--force` although the runs do not match:\n\n")
		}
		for _, r := range res.Refusals {
			fmt.Fprintf(&b, "- %s\n", r)
		}
		if res.Refused {
			b.WriteString("\nRerun one side so they match, or pass `--force` to compare anyway.\n")
			_, err := io.WriteString(w, b.String())
			return err
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d rows: %d regressed, %d improved, %d missing.\n\n", len(res.Rows), res.Regressed, res.Improved, res.Missing)
	b.WriteString("| metric | baseline | candidate | change | tolerance | verdict |\n")
	b.WriteString("| --- | ---: | ---: | ---: | --- | --- |\n")
	var rules []string
	seen := map[string]bool{}
	for _, r := range res.Rows {
		v := r.Verdict
		if v == RowRegressed {
			v = "**regressed**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.Metric, value(r.Baseline, r.Unit), value(r.Candidate, r.Unit), cell(r.Change), cell(r.Tolerance), v)
		if !seen[r.Formula] {
			seen[r.Formula] = true
			rules = append(rules, r.Formula)
		}
	}
	if len(rules) > 0 {
		b.WriteString("\nRules (tolerances from profiles/gate.yaml or --tolerances):\n\n")
		for _, f := range rules {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func value(v *float64, unit string) string {
	if v == nil {
		return "–"
	}
	return fmtNum(*v, unit)
}

// cell escapes a Markdown table cell.
func cell(s string) string {
	if s == "" {
		return "–"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
