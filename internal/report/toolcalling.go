package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// scenarioFailed: the scenario mode's verdict is fail (older sidecars
// without a verdict: some attempt failed).
func scenarioFailed(s sidecar.Scenario) bool {
	if s.Verdict != "" {
		return s.Verdict == sidecar.VerdictFail
	}
	return s.Passed < s.Attempts
}

const scenarioHeader = "| scenario | mode | passed | pass rate (95 % CI) | server faults | model checks (scenario, 95 % CI) | verdict | diagnoses |\n" +
	"| --- | --- | ---: | --- | ---: | --- | --- | --- |\n"

// writeToolCalling writes the tool-calling section by category: each
// category's figures, its failing scenario modes in a table, and its
// passing ones folded away in <details>, so a reader sees the failures
// without scrolling past rows of PASS.
func writeToolCalling(b *strings.Builder, t *sidecar.ToolCalling) {
	if t == nil {
		return
	}
	b.WriteString("\n## Tool calling\n\n")
	fmt.Fprintf(b, "Parse success rate %s over attempts that expected a call; JSON-valid rate %s over attempts that produced one.\n\n",
		optRate(t.ParseSuccessRate), optRate(t.JSONValidRate))
	if t.Model != nil && t.Model.Attempts > 0 {
		fmt.Fprintf(b, "Server faults: %d attempts (server checks must hold on every attempt). Model checks over all scenarios: %s, against %s: %s.",
			t.ServerFailures, rateCI(*t.Model), rate(t.Model.Min), verdictWord(t.Model.Verdict))
		if t.Nondeterministic > 0 {
			fmt.Fprintf(b, " Nondeterministic: %d scenario modes got different answers to identical requests (information, not a failure).", t.Nondeterministic)
		}
		b.WriteString("\n\n")
	}
	scs := append([]sidecar.Scenario(nil), t.Scenarios...)
	sort.SliceStable(scs, func(i, j int) bool {
		if scs[i].Name != scs[j].Name {
			return scs[i].Name < scs[j].Name
		}
		return scs[i].Mode < scs[j].Mode
	})
	byCat := map[string][]sidecar.Scenario{}
	for _, s := range scs {
		c := s.Category
		if c == "" {
			c = "uncategorised"
		}
		byCat[c] = append(byCat[c], s)
	}
	cats := map[string]sidecar.Category{}
	for _, c := range t.Categories {
		cats[c.Name] = c
	}
	for _, name := range slices.Sorted(maps.Keys(byCat)) {
		var failed, passed []sidecar.Scenario
		for _, s := range byCat[name] {
			if scenarioFailed(s) {
				failed = append(failed, s)
			} else {
				passed = append(passed, s)
			}
		}
		c, ok := cats[name]
		v := "PASS"
		if len(failed) > 0 || (ok && c.Model.Verdict == sidecar.VerdictFail) {
			v = "**FAIL**"
		}
		fmt.Fprintf(b, "### %s: %s\n\n", name, v)
		fmt.Fprintf(b, "%d of %d scenario modes failed.", len(failed), len(failed)+len(passed))
		if ok {
			fmt.Fprintf(b, " %d/%d attempts passed (%s); parsed %s, JSON-valid %s, schema-valid %s, args match %s; %d server faults",
				c.Passed, c.Attempts, rate(c.PassRate), optRate(c.Parsed), optRate(c.JSONValid), optRate(c.SchemaValid), optRate(c.ArgsMatch), c.ServerFailures)
			if c.Model.Attempts > 0 {
				fmt.Fprintf(b, "; model checks %s: %s", rateCI(c.Model), verdictWord(c.Model.Verdict))
			}
			b.WriteString(".")
		}
		b.WriteString("\n\n")
		if len(failed) > 0 {
			b.WriteString(scenarioHeader)
			for _, s := range failed {
				scenarioRow(b, s)
			}
			b.WriteString("\n")
		}
		if len(passed) > 0 {
			fmt.Fprintf(b, "<details><summary>%d passing scenario modes</summary>\n\n%s", len(passed), scenarioHeader)
			for _, s := range passed {
				scenarioRow(b, s)
			}
			b.WriteString("\n</details>\n\n")
		}
	}
}

func scenarioRow(b *strings.Builder, s sidecar.Scenario) {
	var ds []string
	for _, d := range sortedDiagnoses(s.Diagnoses) {
		kind := ""
		if d.Kind != "" {
			kind = " (" + d.Kind + ")"
		}
		ds = append(ds, fmt.Sprintf("`%s`%s ×%d", d.Code, kind, d.Count))
	}
	model := "–"
	if s.ScenarioModel.Attempts > 0 {
		model = rateCI(s.ScenarioModel)
	}
	fmt.Fprintf(b, "| %s | %s | %d/%d | %s [%s, %s] | %d | %s | %s | %s |\n",
		cell(s.Name), cell(s.Mode), s.Passed, s.Attempts,
		rate(s.PassRate), rate(s.PassRateCI.Low), rate(s.PassRateCI.High), s.ServerFailures, model, verdictWord(s.Verdict), cell(strings.Join(ds, ", ")))
}

// rateCI writes a model-check rate as "k/n 0.950 [0.900, 0.980]".
func rateCI(r sidecar.Rate) string {
	return fmt.Sprintf("%d/%d %s [%s, %s]", r.Passed, r.Attempts, rate(r.Rate), rate(r.CI95.Low), rate(r.CI95.High))
}

func sortedDiagnoses(ds []sidecar.Diagnosis) []sidecar.Diagnosis {
	out := append([]sidecar.Diagnosis(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// writeNotRun lists the areas whose work did not all run, with the
// reason: not failures, and not passes either.
func writeNotRun(b *strings.Builder, m *sidecar.Metrics) {
	out := m.SectionOutcomes()
	var lines []string
	for _, s := range sidecar.Sections {
		if v, ok := out[s]; ok && v.Outcome != sidecar.Fail && v.NotRun != "" {
			lines = append(lines, fmt.Sprintf("- %s: %s", s, mdText(v.NotRun)))
		}
	}
	if len(lines) > 0 {
		b.WriteString("\nNot run (no evidence either way, so not passed):\n\n" + strings.Join(lines, "\n") + "\n")
	}
}

// writeWhatWentWrong lists every diagnosis code once: from the tool-calling
// scenarios (with the sidecar's message and remedy) and from the records of
// other tests (with the catalogue's), each with its count and where it came
// from.
func writeWhatWentWrong(b *strings.Builder, m *sidecar.Metrics, recs []record.Record) {
	type entry struct {
		count           int
		message, remedy string
		example         string
		where           map[string]bool
	}
	byCode := map[string]*entry{}
	get := func(code string) *entry {
		e := byCode[code]
		if e == nil {
			e = &entry{where: map[string]bool{}}
			byCode[code] = e
		}
		return e
	}
	if t := m.ToolCalling; t != nil {
		for _, s := range t.Scenarios {
			for _, d := range s.Diagnoses {
				e := get(d.Code)
				e.count += d.Count
				if e.message == "" {
					e.message, e.remedy, e.example = d.Message, d.Remedy, d.Example
				}
				e.where[strings.Trim(s.Name+"/"+s.Mode, "/")] = true
			}
		}
	}
	// The contract's verdicts and the structured canary's are in the
	// sidecar only (their requests.jsonl lines carry no code).
	structuredSidecarFindings(m, func(code, message, remedy, example, where string) {
		e := get(code)
		e.count++
		if e.message == "" {
			e.message, e.remedy, e.example = message, remedy, example
		}
		e.where[where] = true
	})
	for _, r := range recs {
		if strings.HasPrefix(r.Test, "TestToolCalling") {
			continue // counted from the sidecar above
		}
		if r.Class == record.ClassWarmup {
			continue // a warm-up request is in no figure (the run's warmup object has its errors)
		}
		for _, code := range r.Diagnoses {
			e := get(code)
			e.count++
			if e.message == "" {
				info := diagnosis.LookupFor(diagnosis.Code(code), r.ToolChoice)
				e.message, e.remedy = info.Seen, info.Remedy
			}
			e.where[topTest(r.Test)+"/"+r.Scenario] = true
		}
	}
	b.WriteString("\n### What failed and how to fix it\n\n")
	checks := failedChecks(m)
	if len(byCode) == 0 && len(checks) == 0 {
		b.WriteString("Nothing: no check failed and no request was diagnosed with a problem.\n")
		writeNotRun(b, m)
		return
	}
	defer writeNotRun(b, m)
	if len(checks) > 0 {
		// Checks of whole runs (degradation, goodput, VRAM) carry no
		// request's code; their detail says what was measured.
		b.WriteString(strings.Join(checks, "\n") + "\n")
		if len(byCode) > 0 {
			b.WriteString("\n")
		}
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	// Most frequent first, then by code, so the biggest problem leads.
	sort.Slice(codes, func(i, j int) bool {
		ci, cj := byCode[codes[i]].count, byCode[codes[j]].count
		if ci != cj {
			return ci > cj
		}
		return codes[i] < codes[j]
	})
	for _, c := range codes {
		e := byCode[c]
		fmt.Fprintf(b, "- **`%s`** ×%d (%s): %s\n", c, e.count, strings.Join(slices.Sorted(maps.Keys(e.where)), ", "), mdText(e.message))
		if e.remedy != "" {
			fmt.Fprintf(b, "  - Fix: %s\n", mdText(e.remedy))
		}
		if e.example != "" {
			fmt.Fprintf(b, "  - Seen: `%s`\n", strings.ReplaceAll(oneLine(e.example), "`", "'"))
		}
	}
}
