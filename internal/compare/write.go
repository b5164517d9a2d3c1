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
// verdict, both sides with their provenance, then one row per figure with
// its interval, tolerance, outcome and a line on why. Rows keep the
// sidecar's order so two reports diff line by line.
func WriteMarkdown(w io.Writer, res Result) error {
	var b strings.Builder
	title := map[string]string{
		VerdictPass:         "PASS: every figure within tolerance",
		VerdictRegressed:    fmt.Sprintf("REGRESSED: %d figure(s) beyond tolerance", res.Regressed),
		VerdictRefused:      "REFUSED: the runs do not match",
		VerdictInconclusive: fmt.Sprintf("INCONCLUSIVE: %d figure(s) could not be decided", res.Inconclusive),
	}[res.Verdict]
	fmt.Fprintf(&b, "## Promotion gate: %s\n\n", title)
	b.WriteString("| | baseline | candidate |\n| --- | --- | --- |\n")
	row := func(name, bv, cv string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", name, cell(bv), cell(cv)) }
	row("runs", fmt.Sprintf("%d (%s)", res.Baseline.Runs, strings.Join(res.Baseline.RunNames, ", ")),
		fmt.Sprintf("%d (%s)", res.Candidate.Runs, strings.Join(res.Candidate.RunNames, ", ")))
	row("model", res.Baseline.Model, res.Candidate.Model)
	row("kind", res.Baseline.Kind, res.Candidate.Kind)
	row("base_url", res.Baseline.BaseURL, res.Candidate.BaseURL)
	row("server version", res.Baseline.ServerVersion, res.Candidate.ServerVersion)
	row("max_model_len", intOrEmpty(res.Baseline.MaxModelLen), intOrEmpty(res.Candidate.MaxModelLen))
	row("engine config", engineConfigString(res.Baseline.EngineConfig), engineConfigString(res.Candidate.EngineConfig))
	row("suite", res.Baseline.Suite, res.Candidate.Suite)
	row("fixtures sha256", short(res.Baseline.Fixtures), short(res.Candidate.Fixtures))
	row("knobs sha256", short(res.Baseline.Knobs), short(res.Candidate.Knobs))
	row("started", res.Baseline.StartedAt, res.Candidate.StartedAt)
	row("schema_version", fmt.Sprint(res.Baseline.SchemaVersion), fmt.Sprint(res.Candidate.SchemaVersion))
	b.WriteString("\n")

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
	if res.RunToRun {
		b.WriteString("Intervals take runs as the unit, so they include run-to-run variation.\n\n")
	} else {
		b.WriteString("One run per side: the intervals cover per-request noise only; run-to-run variation was not measured (run each configuration 3 or more times, ACCEPTANCE_RUNS=3).\n\n")
	}
	fmt.Fprintf(&b, "%d rows: %d regressed, %d inconclusive, %d missing.\n\n", len(res.Rows), res.Regressed, res.Inconclusive, res.Missing)
	if res.Advice != "" {
		fmt.Fprintf(&b, "**Advice:** %s.\n\n", res.Advice)
	}
	b.WriteString("| metric | baseline | candidate | estimate | 90 % interval | tolerance | outcome | why |\n")
	b.WriteString("| --- | ---: | ---: | ---: | --- | --- | --- | --- |\n")
	methods := map[string]bool{}
	var order []string
	folded := 0
	for _, r := range res.Rows {
		if r.Advisory && r.Verdict != RowRegressed && strings.Contains(r.Metric, ".scenarios[") {
			// A scenario's few attempts never prove equivalence; only its
			// regressions are news. The JSON keeps every row.
			folded++
			continue
		}
		v := r.Verdict
		switch {
		case v == RowRegressed:
			v = "**regressed**"
		case v == RowInconclusive && r.Advisory:
			v = "~ (advisory)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", r.Metric, value(r.Baseline, r.Unit), value(r.Candidate, r.Unit),
			estimate(r), fmtInterval(&r), cell(r.Tolerance), v, cell(r.Why))
		if r.Method != "" && !methods[r.Method] {
			methods[r.Method] = true
			order = append(order, r.Method)
		}
	}
	if folded > 0 {
		fmt.Fprintf(&b, "\n%d per-scenario pass-rate rows without a regression are left out (a scenario's few attempts cannot prove equivalence; they only catch drops; --json lists them).\n", folded)
	}
	if len(order) > 0 {
		b.WriteString("\nIntervals (90 % unless stated; docs/statistics.md states each rule):\n\n")
		for _, m := range order {
			fmt.Fprintf(&b, "- %s\n", m)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func estimate(r Row) string {
	if r.Estimate == nil {
		return "–"
	}
	if r.On == OnRatio {
		return fmt.Sprintf("×%.3f", *r.Estimate)
	}
	return signed(*r.Estimate, r.Unit)
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
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
