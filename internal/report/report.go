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
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

type area struct {
	name   string
	v      sidecar.SectionVerdict
	figure string
}

// areas is the verdict summary: one line per section the run has.
func areas(m *sidecar.Metrics) []area {
	var out []area
	v := m.SectionOutcomes()
	out = append(out, expectedArea(m, v)...)
	if t := m.ToolCalling; t != nil {
		att, ok, notRun := 0, 0, 0
		names := map[string]bool{}
		for _, s := range t.Scenarios {
			att += s.Attempts
			ok += s.Passed
			notRun += s.NotRun
			names[s.Name] = true
		}
		fig := fmt.Sprintf("%d/%d attempts passed in %d scenarios (%d scenario modes); parse %s, JSON-valid %s",
			ok, att, len(names), len(t.Scenarios), optRate(t.ParseSuccessRate), optRate(t.JSONValidRate))
		if notRun > 0 {
			fig = fmt.Sprintf("%d attempts not run; %s", notRun, fig)
		}
		out = append(out, area{"tool calling", v[sidecar.SectionToolCalling], withWhy(v[sidecar.SectionToolCalling], fig)})
	}
	if s := m.Stability; s != nil {
		var parts []string
		for _, r := range s.Runs {
			parts = append(parts, fmt.Sprintf("%s: %d/%d completed, TTFT p90 %s, degradation %s", r.Name, r.Completed, r.Requests, units.MsFixed(r.TTFTms.P90), units.PercentFixed(r.Degradation.Value)))
		}
		out = append(out, area{"stability", v[sidecar.SectionStability], withWhy(v[sidecar.SectionStability], strings.Join(parts, "; "))})
	}
	if c := m.Concurrency; c != nil {
		var parts []string
		for _, r := range c.Runs {
			parts = append(parts, fmt.Sprintf("%s: %s, goodput %s", r.Name, units.TokensPerS(r.OutputThroughput), units.PercentFixed(r.GoodputRatio)))
		}
		out = append(out, area{"concurrency", v[sidecar.SectionConcurrency], withWhy(v[sidecar.SectionConcurrency], strings.Join(parts, "; "))})
	}
	if c := m.Conversation; c != nil {
		var parts []string
		for _, r := range c.Runs {
			parts = append(parts, fmt.Sprintf("%s: %d turns, %d errors", r.Name, len(r.Turns), r.Errors))
		}
		out = append(out, area{"conversation", v[sidecar.SectionConversation], withWhy(v[sidecar.SectionConversation], strings.Join(parts, "; "))})
	}
	if g := m.GPU; g != nil {
		a := area{name: "GPU", v: v[sidecar.SectionGPU]}
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
	out = append(out, structuredAreas(m, v)...)
	out = append(out, capacityArea(m, v)...)
	out = append(out, underLoadArea(m, v)...)
	out = append(out, rooflineArea(m, v)...)
	if len(out) == 0 {
		return nil // the summary says no section ran
	}
	return append(out, notReached(m)...)
}

// notReached is a row for each of the gate's first areas an incomplete
// run has no section for: the run stopped before it began (a process
// killed hard leaves no not-run record of its own).
func notReached(m *sidecar.Metrics) []area {
	if m.Complete {
		return nil
	}
	var out []area
	for _, a := range []struct {
		s   sidecar.Section
		has bool
	}{{sidecar.SectionToolCalling, m.ToolCalling != nil}, {sidecar.SectionStability, m.Stability != nil},
		{sidecar.SectionConcurrency, m.Concurrency != nil}, {sidecar.SectionConversation, m.Conversation != nil}} {
		if !a.has {
			const why = "not reached: the run stopped before it (or go test -run did not select it)"
			out = append(out, area{string(a.s), sidecar.SectionVerdict{Outcome: sidecar.Unknown, NotRun: why}, why})
		}
	}
	return out
}

// withWhy opens a section's key figure with why its work did not all run.
func withWhy(v sidecar.SectionVerdict, fig string) string {
	if v.NotRun == "" || v.Outcome == sidecar.Fail {
		return fig
	}
	return v.NotRun + "; " + fig
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
		fmt.Fprintf(&b, "| %s | %s | %s |\n", a.name, sectionWord(a.v), cell(a.figure))
	}
	writeWhatWentWrong(&b, m, recs)
	writeChanges(&b, opt.Changes)

	cs := charts(m, recs)
	writeExpected(&b, m)
	writeToolCalling(&b, m.ToolCalling)
	writeStructured(&b, m)
	writeStability(&b, m.Stability, cs, recs != nil)
	writeConcurrency(&b, m.Concurrency, cs, recs != nil)
	writeServerView(&b, m, cs)
	writeConversation(&b, m.Conversation)
	writeCapacity(&b, m)
	writeEnergy(&b, m, cs)
	writeUnderLoad(&b, m)
	writeStructuredUnderLoad(&b, m)
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
