// Package report turns a finished run (metrics.json and requests.jsonl) into
// what people read: report.md, the same as one self-contained report.html, a
// short summary for GITHUB_STEP_SUMMARY, and SVG charts per test. Every
// function here is a reporter over finished metrics: it writes to an
// io.Writer (or a folder, for charts) and reads no clock, so the same inputs
// give byte-identical outputs.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

type area struct {
	name   string
	passed bool
	figure string
}

// areas is the verdict summary: one line per section the run has.
func areas(m *sidecar.Metrics) []area {
	var out []area
	v := m.SectionVerdicts()
	if t := m.ToolCalling; t != nil {
		att, ok := 0, 0
		names := map[string]bool{}
		for _, s := range t.Scenarios {
			att += s.Attempts
			ok += s.Passed
			names[s.Name] = true
		}
		out = append(out, area{"tool calling", v[sidecar.SectionToolCalling], fmt.Sprintf("%d/%d attempts passed in %d scenarios (%d scenario modes); parse %s, JSON-valid %s",
			ok, att, len(names), len(t.Scenarios), optRate(t.ParseSuccessRate), optRate(t.JSONValidRate))})
	}
	if s := m.Stability; s != nil {
		var parts []string
		for _, r := range s.Runs {
			parts = append(parts, fmt.Sprintf("%s: %d/%d completed, TTFT p90 %s, degradation %s", r.Name, r.Completed, r.Requests, units.MsFixed(r.TTFTms.P90), units.PercentFixed(r.Degradation.Value)))
		}
		out = append(out, area{"stability", v[sidecar.SectionStability], strings.Join(parts, "; ")})
	}
	if c := m.Concurrency; c != nil {
		var parts []string
		for _, r := range c.Runs {
			parts = append(parts, fmt.Sprintf("%s: %s, goodput %s", r.Name, units.TokensPerS(r.OutputThroughput), units.PercentFixed(r.GoodputRatio)))
		}
		out = append(out, area{"concurrency", v[sidecar.SectionConcurrency], strings.Join(parts, "; ")})
	}
	if c := m.Conversation; c != nil {
		var parts []string
		for _, r := range c.Runs {
			parts = append(parts, fmt.Sprintf("%s: %d turns, %d errors", r.Name, len(r.Turns), r.Errors))
		}
		out = append(out, area{"conversation", v[sidecar.SectionConversation], strings.Join(parts, "; ")})
	}
	if g := m.GPU; g != nil {
		a := area{name: "GPU", passed: v[sidecar.SectionGPU]}
		if !g.Available {
			a.figure = "skipped: " + noteOr(g.Note, "no local GPU")
		} else {
			var parts []string
			for _, d := range g.Devices {
				parts = append(parts, fmt.Sprintf("GPU %d max %s of %s", d.Index, units.MiB(d.MemUsedMaxMiB), units.MiB(d.MemTotalMiB)))
			}
			a.figure = strings.Join(parts, "; ")
		}
		out = append(out, a)
	}
	out = append(out, capacityArea(m, v)...)
	out = append(out, underLoadArea(m, v)...)
	out = append(out, rooflineArea(m, v)...)
	return out
}

// Options are the report's optional inputs.
type Options struct {
	// Changes is what changed against a baseline run, shown in the summary;
	// nil when no baseline was given.
	Changes *Changes
}

// Markdown writes report.md, what a reader came for first: the verdict,
// the summary (the verdict per area, what failed with its remedy, what
// changed against the baseline when one is given), then one section per
// test with its charts (those Charts writes for the same inputs), and last
// the run's details (target, times, knobs).
func Markdown(w io.Writer, m *sidecar.Metrics, recs []record.Record, opt Options) error {
	var b strings.Builder
	verdict := "FAIL"
	if m.Passed() {
		verdict = "PASS"
	}
	fmt.Fprintf(&b, "# vLLM acceptance report: %s\n\n", verdict)
	fmt.Fprintf(&b, "%s.\n\n", targetLine(m))
	if !m.Complete {
		fmt.Fprintf(&b, "> **Incomplete run** (end_reason `%s`%s): the figures below cover only what finished.\n\n", m.EndReason, detail(m.EndDetail))
	}
	if m.Target.Kind == sidecar.KindSimulator {
		b.WriteString("> This run tested the embedded simulator, not a real server: its figures say nothing about a vLLM deployment.\n\n")
	}

	b.WriteString("## Summary\n\n| area | verdict | key figure |\n| --- | --- | --- |\n")
	as := areas(m)
	if len(as) == 0 {
		b.WriteString("| – | – | no section ran |\n")
	}
	for _, a := range as {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", a.name, passFail(a.passed), cell(a.figure))
	}
	writeWhatWentWrong(&b, m, recs)
	writeChanges(&b, opt.Changes)

	cs := charts(m, recs)
	writeToolCalling(&b, m.ToolCalling)
	writeStability(&b, m.Stability, cs, recs != nil)
	writeConcurrency(&b, m.Concurrency, cs, recs != nil)
	writeServerView(&b, m, cs)
	writeConversation(&b, m.Conversation)
	writeCapacity(&b, m)
	writeUnderLoad(&b, m)
	writeRoofline(&b, m)
	writeGPU(&b, m.GPU, cs)
	writeServerMetrics(&b, m.ServerMetrics, cs)
	writeRunDetails(&b, m)

	_, err := io.WriteString(w, b.String())
	return err
}

// targetLine is the run in one line: model, server, kind, version, times.
func targetLine(m *sidecar.Metrics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` at %s (%s", orDash(m.Target.Model), orDash(m.Target.BaseURL), orDash(m.Target.Kind))
	if m.Target.ServerVersion != "" {
		fmt.Fprintf(&b, " %s", m.Target.ServerVersion)
	}
	fmt.Fprintf(&b, "), %s to %s", ts(m.StartedAt), ts(m.FinishedAt))
	if !m.StartedAt.IsZero() && !m.FinishedAt.IsZero() {
		fmt.Fprintf(&b, " (%s)", m.FinishedAt.Sub(m.StartedAt).Round(time.Second))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// writeRunDetails is the reference part at the end: target, run, knobs.
func writeRunDetails(b *strings.Builder, m *sidecar.Metrics) {
	b.WriteString("\n## Run details\n\n| | |\n| --- | --- |\n")
	row2(b, "base_url", m.Target.BaseURL)
	row2(b, "model", m.Target.Model)
	row2(b, "kind", m.Target.Kind)
	row2(b, "server version", m.Target.ServerVersion)
	if m.Target.Persona != "" {
		row2(b, "simulator persona", m.Target.Persona)
	}
	row2(b, "started", ts(m.StartedAt))
	row2(b, "finished", ts(m.FinishedAt))
	if !m.StartedAt.IsZero() && !m.FinishedAt.IsZero() {
		row2(b, "duration", m.FinishedAt.Sub(m.StartedAt).Round(time.Second).String())
	}
	row2(b, "complete", fmt.Sprint(m.Complete))
	row2(b, "end_reason", m.Ending())
	row2(b, "suite", m.Suite)
	if p := m.Preflight; p != nil {
		pre := "ok"
		if !p.OK {
			pre = "failed: " + p.Diagnosis + " " + p.Message
		}
		row2(b, "preflight", pre)
	}
	b.WriteString("\nKnobs:\n\n| knob | value |\n| --- | --- |\n")
	for _, kv := range knobs(m.Knobs) {
		fmt.Fprintf(b, "| `%s` | %s |\n", kv[0], cell(kv[1]))
	}
}

// scenarioFailed: the scenario mode's verdict is fail (older sidecars
// without a verdict: some attempt failed).
func scenarioFailed(s sidecar.Scenario) bool {
	if s.Verdict != "" {
		return s.Verdict == "fail"
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
		if len(failed) > 0 || (ok && c.Model.Verdict == "fail") {
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
				info := diagnosis.Lookup(diagnosis.Code(code))
				e.message, e.remedy = info.Seen, info.Remedy
			}
			e.where[topTest(r.Test)+"/"+r.Scenario] = true
		}
	}
	b.WriteString("\n### What failed and how to fix it\n\n")
	checks := failedChecks(m)
	if len(byCode) == 0 && len(checks) == 0 {
		b.WriteString("Nothing: no check failed and no request was diagnosed with a problem.\n")
		return
	}
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

func writeStability(b *strings.Builder, s *sidecar.Stability, cs []chart, haveRecs bool) {
	if s == nil {
		return
	}
	b.WriteString("\n## Stability\n")
	for _, r := range s.Runs {
		fmt.Fprintf(b, "\n### %s: %s\n\n", r.Name, verdictWord(r.Verdict))
		fmt.Fprintf(b, "%d requests, %d completed, %d timeouts, success rate %s (needs %s), %s.\n\n",
			r.Requests, r.Completed, r.Timeouts, rate(r.SuccessRate), rate(r.MinSuccessRate), units.Seconds(r.DurationS))
		b.WriteString("| class | figure | n | p50 | p90 | p99 | max |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
		summaryRows(b, "all", "TTFT", r.TTFTms, units.MsFixed)
		summaryRows(b, "all", "TPOT", r.TPOTms, units.MsFixed)
		summaryRows(b, "all", "E2E", r.E2Ems, units.MsFixed)
		summaryRows(b, "all", "output tok/s", r.OutputTokensPerS, units.TokensPerS)
		classes := append([]sidecar.ClassStats(nil), r.Classes...)
		sort.SliceStable(classes, func(i, j int) bool { return classes[i].Name < classes[j].Name })
		for _, c := range classes {
			summaryRows(b, c.Name, "TTFT", c.TTFTms, units.MsFixed)
			summaryRows(b, c.Name, "TPOT", c.TPOTms, units.MsFixed)
			summaryRows(b, c.Name, "E2E", c.E2Ems, units.MsFixed)
			summaryRows(b, c.Name, "output tok/s", c.OutputTokensPerS, units.TokensPerS)
		}
		b.WriteString("\n")
		writeDegradation(b, "Degradation", r.Degradation)
		for _, c := range classes {
			writeDegradation(b, "Degradation of "+c.Name, c.Degradation)
			if c.TTFTDegradation != nil {
				writeDegradation(b, "TTFT degradation of "+c.Name+", not judged", *c.TTFTDegradation)
			}
		}
		if len(r.Errors) > 0 {
			b.WriteString("\nErrors by kind: ")
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
				parts = append(parts, fmt.Sprintf("`%s` ×%d", k, r.Errors[k]))
			}
			b.WriteString(strings.Join(parts, ", ") + ".\n")
		} else {
			b.WriteString("\nNo errors.\n")
		}
		writeChecks(b, r.Checks)
		writeCharts(b, chartsFor(cs, "stability", r.Name), haveRecs)
	}
}

// writeCharts embeds a section's charts, or says why there are none.
func writeCharts(b *strings.Builder, cs []chart, haveRecs bool) {
	switch {
	case len(cs) > 0:
		b.WriteString("\n")
		for _, c := range cs {
			fmt.Fprintf(b, "![%s](%s)\n\n", c.title, c.file)
		}
	case !haveRecs:
		b.WriteString("\nCharts: skipped, no requests.jsonl to draw them from.\n")
	default:
		b.WriteString("\nCharts: skipped, no successful request of this run in requests.jsonl.\n")
	}
}

func writeDegradation(b *strings.Builder, label string, d sidecar.Degradation) {
	metric := d.Metric
	if metric == "" {
		metric = "e2e_ms"
	}
	fmt.Fprintf(b, "- %s (%s): %s against a threshold of %s, %s; method `%s`; window ratio %s, trend %s [%s, %s]",
		label, metric, units.PercentFixed(d.Value), units.PercentFixed(d.Threshold), passFail(d.Passed), d.Method, units.SignedPercentFixed(d.WindowRatio), units.SignedPercentFixed(d.Trend), units.SignedPercentFixed(d.TrendCI.Low), units.SignedPercentFixed(d.TrendCI.High))
	if d.Class != "" {
		fmt.Fprintf(b, "; worst class `%s`", d.Class)
	}
	if d.Detail != "" {
		fmt.Fprintf(b, ". %s", mdText(d.Detail))
	}
	b.WriteString("\n")
}

func summaryRows(b *strings.Builder, class, name string, s stats.Summary, unit func(float64) string) {
	if s.N == 0 {
		fmt.Fprintf(b, "| %s | %s | 0 | – | – | – | – |\n", class, name)
		return
	}
	fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s | %s |\n", class, name, s.N, unit(s.P50), unit(s.P90), unit(s.P99), unit(s.Max))
}

func writeChecks(b *strings.Builder, cs []sidecar.Check) {
	if len(cs) == 0 {
		return
	}
	b.WriteString("\n| check | verdict | value | threshold | detail |\n| --- | --- | ---: | ---: | --- |\n")
	for _, c := range cs {
		// pass, fail or unknown (not measured: preemptions without vllm:
		// metrics, no local GPU, a monitor switched off): an unknown fails
		// the run only where ACCEPTANCE_FAIL_UNKNOWN names it, which
		// failedChecks says.
		v := passFail(c.Result() == sidecar.Pass)
		if c.Result() == sidecar.Unknown {
			v = string(sidecar.Unknown)
		}
		fmt.Fprintf(b, "| %s | %s | %.3f | %.3f | %s |\n", cell(c.Name), v, c.Value, c.Threshold, cell(c.Detail))
	}
}

func writeConcurrency(b *strings.Builder, c *sidecar.Concurrency, cs []chart, haveRecs bool) {
	if c == nil {
		return
	}
	b.WriteString("\n## Concurrency\n\n")
	b.WriteString("| run | mode | load | completed | req/s | output tok/s | goodput (ratio) | TTFT p50 | TTFT p90 | TTFT p99 | TPOT p50 | TPOT p99 | errors | verdict |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for _, r := range c.Runs {
		load := fmt.Sprintf("%d concurrent", r.Concurrency)
		if r.Mode == "open" {
			load = fmt.Sprintf("%.2f req/s", r.RatePerS)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d/%d | %.3f | %.1f | %.3f req/s (%s) | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(r.Name), r.Mode, load, r.Completed, r.Requests, r.RequestThroughput, r.OutputThroughput,
			r.Goodput, units.PercentFixed(r.GoodputRatio), units.MsFixed(r.TTFTms.P50), units.MsFixed(r.TTFTms.P90), units.MsFixed(r.TTFTms.P99), units.MsFixed(r.TPOTms.P50), units.MsFixed(r.TPOTms.P99),
			errorsText(r.Errors), verdictWord(r.Verdict))
	}
	writeWorkload(b, c)
	for _, r := range c.Runs {
		if len(r.Checks) > 0 {
			fmt.Fprintf(b, "\nChecks of %s:\n", r.Name)
			writeChecks(b, r.Checks)
		}
		if g := r.Generator; g != nil && g.Shards > 1 {
			fmt.Fprintf(b, "\n%d shards sent %s together for %s of its window; outside that, fewer shards sent and the offered load was below plan.\n",
				g.Shards, cell(r.Name), units.Percent(g.ShardOverlap))
		}
	}
	for _, r := range c.Runs {
		if ch := chartsFor(cs, "concurrency", r.Name); len(ch) > 0 || !haveRecs {
			writeCharts(b, ch, haveRecs)
		}
	}
}

func writeConversation(b *strings.Builder, c *sidecar.Conversation) {
	if c == nil {
		return
	}
	b.WriteString("\n## Conversation\n")
	for _, r := range c.Runs {
		fmt.Fprintf(b, "\n### %s: %s\n\n%d turns, %d errors, %s over the conversation.\n\n", r.Name, verdictWord(r.Verdict), len(r.Turns), r.Errors, units.TokensPerS(r.OutputTokensPerS))
		b.WriteString("| turn | prompt tokens | completion tokens | TTFT | E2E | error |\n| ---: | ---: | ---: | ---: | ---: | --- |\n")
		for _, t := range r.Turns {
			fmt.Fprintf(b, "| %d | %d | %d | %s | %s | %s |\n", t.Turn, t.PromptTokens, t.CompletionTokens, units.MsFixed(t.TTFTms), units.MsFixed(t.E2Ems), cell(t.Error))
		}
		writeChecks(b, r.Checks)
	}
}

func writeGPU(b *strings.Builder, g *sidecar.GPU, cs []chart) {
	if g == nil {
		return
	}
	b.WriteString("\n## GPU\n\n")
	if !g.Available {
		// The monitor's note often starts with the same words.
		why := noteOr(g.Note, "NVML not available")
		if rest, ok := cutPrefixFold(why, "no local GPU"); ok {
			why = strings.TrimLeft(rest, ":;,. ")
		}
		if why != "" {
			why = ": " + why
		}
		fmt.Fprintf(b, "No local GPU%s. GPU checks were skipped, not failed (the server may run on another host).\n", why)
		return
	}
	b.WriteString("| GPU | name | memory total | first | last | max | util mean | temp max | power max |\n")
	b.WriteString("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, d := range g.Devices {
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %.1f %% | %.0f °C | %.0f W |\n", d.Index, cell(d.Name),
			units.MiB(d.MemTotalMiB), units.MiB(d.MemUsedFirstMiB), units.MiB(d.MemUsedLastMiB), units.MiB(d.MemUsedMaxMiB), d.UtilMeanPct, d.TempMaxC, d.PowerMaxW)
	}
	fmt.Fprintf(b, "\n%d samples.\n", len(g.Samples))
	writeChecks(b, g.Checks)
	writeCharts(b, chartsFor(cs, "gpu", ""), true)
}

// cutPrefixFold is strings.CutPrefix, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func writeServerMetrics(b *strings.Builder, s *sidecar.ServerMetrics, cs []chart) {
	if s == nil {
		return
	}
	b.WriteString("\n## Server /metrics\n\n")
	if !s.Available {
		fmt.Fprintf(b, "Not available: %s.\n", noteOr(s.Note, "the server exposes no vLLM /metrics"))
		return
	}
	if len(s.Series) > 0 {
		kvMax, kvSum, runMax, waitMax := 0.0, 0.0, 0.0, 0.0
		for _, p := range s.Series {
			kvMax = math.Max(kvMax, p.KVCacheUsage)
			kvSum += p.KVCacheUsage
			runMax = math.Max(runMax, p.Running)
			waitMax = math.Max(waitMax, p.Waiting)
		}
		fmt.Fprintf(b, "%d scrapes: KV cache usage max %s, mean %s; running max %s, waiting max %s.\n",
			len(s.Series), units.PercentFixed(kvMax), units.PercentFixed(kvSum/float64(len(s.Series))), num(runMax), num(waitMax))
	}
	if h := s.TTFT; h != nil && h.Count > 0 {
		fmt.Fprintf(b, "\nServer-side TTFT over the run: %s requests, mean %s.\n", num(h.Count), units.MsFixed(h.Sum/h.Count*1000))
	}
	if len(s.Delta) > 0 {
		b.WriteString("\n| counter | before | after | delta |\n| --- | ---: | ---: | ---: |\n")
		for _, k := range slices.Sorted(maps.Keys(s.Delta)) {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", k, optNum(s.Before, k), optNum(s.After, k), num(s.Delta[k]))
		}
	}
	if ch := chartsFor(cs, "server", ""); len(ch) > 0 {
		writeCharts(b, ch, true)
	}
}

// knobs lists the knobs as sorted key/value pairs, through their JSON
// names, so knobs added to the sidecar appear without a change here.
func knobs(k sidecar.Knobs) [][2]string {
	data, _ := json.Marshal(k)
	var raw map[string]any
	_ = json.Unmarshal(data, &raw)
	var out [][2]string
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if key == "extra" {
			continue
		}
		out = append(out, [2]string{key, fmt.Sprint(raw[key])})
	}
	for _, key := range slices.Sorted(maps.Keys(k.Extra)) {
		out = append(out, [2]string{"extra." + key, k.Extra[key]})
	}
	return out
}

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
		fmt.Fprintf(&b, "| %s | %s | %s |\n", a.name, passFail(a.passed), cell(a.figure))
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
	if t := m.ToolCalling; t != nil {
		// Model-check rates: the run's and each category's (a scenario's
		// failure shows in its row and codes).
		if t.Model != nil && t.Model.Verdict == "fail" {
			out = append(out, fmt.Sprintf("- tool calling: model checks %s, below %s beyond chance", rateCI(*t.Model), rate(t.Model.Min)))
		}
		for _, c := range t.Categories {
			if c.Model.Verdict == "fail" {
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

func rate(v float64) string {
	return fmt.Sprintf("%.3f", v)
}
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func optRate(v *float64) string {
	if v == nil {
		return "–"
	}
	return rate(*v)
}

func optNum(m map[string]float64, k string) string {
	if v, ok := m[k]; ok {
		return num(v)
	}
	return "–"
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format(time.RFC3339)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "**FAIL**"
}

func verdictWord(v string) string {
	switch v {
	case "pass":
		return "PASS"
	case "fail":
		return "**FAIL**"
	case "regressed", "refused":
		return "**" + strings.ToUpper(v) + "**"
	case "":
		return "–"
	}
	return v
}

func errorsText(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func noteOr(note, def string) string {
	if note == "" {
		return def
	}
	return strings.TrimSuffix(oneLine(note), ".")
}

func row2(b *strings.Builder, k, v string) { fmt.Fprintf(b, "| %s | %s |\n", k, cell(v)) }

func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}

// mdText is s on one line with "<" escaped, so markup quoted in a message
// (<tool_call>, <think>) shows instead of vanishing as an HTML tag.
func mdText(s string) string {
	return strings.ReplaceAll(oneLine(s), "<", "&lt;")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func topTest(test string) string {
	top, _, _ := strings.Cut(test, "/")
	return top
}
