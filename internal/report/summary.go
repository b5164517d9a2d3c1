package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Summary writes a short Markdown verdict for GITHUB_STEP_SUMMARY: the
// target, one line per area, the failed checks and the codes that failed
// with their remedies (the first maxSummaryLines), the verdict against the
// baseline in one line when one is given (no table: the report has it),
// and where the full report is: artifacts, when set, is a link to the
// run's artifacts.
func Summary(w io.Writer, m *sidecar.Metrics, artifacts string, opt Options) error {
	var b strings.Builder
	verdict := "FAIL"
	if m.Passed() {
		verdict = "PASS"
	}
	fmt.Fprintf(&b, "### vLLM acceptance: %s\n\n%s", verdict, targetLine(m))
	if !m.Complete {
		fmt.Fprintf(&b, ", **incomplete** (%s)", m.Ending())
	}
	b.WriteString(".\n\n| area | verdict | key figure |\n| --- | --- | --- |\n")
	for _, a := range areas(m) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", a.name, sectionWord(a.v), cell(a.figure))
	}
	lines := failedChecks(m)
	if t := m.ToolCalling; t != nil {
		seen := map[string]bool{}
		var codes []string
		for _, s := range t.Scenarios {
			for _, d := range s.Diagnoses {
				if seen[d.Code] {
					continue
				}
				seen[d.Code] = true
				l := fmt.Sprintf("- `%s`: %s", d.Code, mdText(d.Message))
				if d.Remedy != "" {
					l += "; fix: " + mdText(d.Remedy)
				}
				codes = append(codes, l)
			}
		}
		sort.Strings(codes)
		lines = append(lines, codes...)
	}
	if len(lines) > maxSummaryLines {
		lines = append(lines[:maxSummaryLines], fmt.Sprintf("- and %d more: see the report", len(lines)-maxSummaryLines))
	}
	if len(lines) > 0 {
		b.WriteString("\n" + strings.Join(lines, "\n") + "\n")
	}
	writeChangesLine(&b, opt.Changes)
	if artifacts != "" {
		fmt.Fprintf(&b, "\nFull report: report.html and report.md in [the run's artifacts](%s).\n", artifacts)
	} else {
		b.WriteString("\nFull report: report.html and report.md in the run's artifacts.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxSummaryLines bounds the step summary's list of failures.
const maxSummaryLines = 8

// failedChecks is one line per failed judgement that is not a request's
// diagnosis code: model-check rates of tool calling, and the checks of the
// load-style tests (skipped ones are not failures), in report order.
func failedChecks(m *sidecar.Metrics) []string {
	var out []string
	j := sidecar.JudgeOf(m)
	add := func(where string, cs []sidecar.Check) {
		for _, c := range j.Failed(cs) {
			if c.Result() == sidecar.Unknown {
				out = append(out, fmt.Sprintf("- %s: `%s` unknown, failed by ACCEPTANCE_FAIL_UNKNOWN%s", where, c.Name, detail(mdText(c.Detail))))
				continue
			}
			out = append(out, fmt.Sprintf("- %s: `%s` %.3f against %.3f%s", where, c.Name, c.Value, c.Threshold, detail(mdText(c.Detail))))
		}
	}
	if e := m.ExpectedConfig; e != nil {
		for _, c := range j.Failed(e.Checks()) {
			out = append(out, fmt.Sprintf("- expected config: `%s` %s; fix: deploy the declared configuration, or correct the file", c.Name, mdText(c.Detail)))
		}
	}
	if t := m.ToolCalling; t != nil {
		// Model-check rates: the run's and each category's (a scenario's
		// failure shows in its row and codes).
		if t.Model != nil && t.Model.Verdict == sidecar.VerdictFail {
			out = append(out, fmt.Sprintf("- tool calling: model checks %s, below %s beyond chance", rateCI(*t.Model), rate(t.Model.Min)))
		}
		for _, c := range t.Categories {
			if c.Model.Verdict == sidecar.VerdictFail {
				out = append(out, fmt.Sprintf("- tool calling %s: model checks %s, below %s beyond chance", c.Name, rateCI(c.Model), rate(c.Model.Min)))
			}
		}
	}
	if s := m.Stability; s != nil {
		for _, r := range s.Runs {
			add("stability "+r.Name, r.Checks)
		}
	}
	if c := m.Concurrency; c != nil {
		for _, r := range c.Runs {
			add("concurrency "+r.Name, r.Checks)
		}
	}
	if c := m.Conversation; c != nil {
		for _, r := range c.Runs {
			add("conversation "+r.Name, r.Checks)
		}
	}
	if g := m.GPU; g != nil {
		add("GPU", g.Checks)
	}
	return out
}

// Formatting: fixed precision everywhere, so reports diff line by line.
