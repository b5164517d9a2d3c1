package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

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
