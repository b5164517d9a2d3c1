package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// writeWorkload is the trace replay of the concurrency runs
// (ACCEPTANCE_WORKLOAD): the lengths the trace asked for against those the
// server counted, the calibration, and the TTFT of lines at least half of
// whose prompt an earlier line had sent against the other lines (what
// prefix caching bought). Nothing for the synthetic load.
func writeWorkload(b *strings.Builder, c *sidecar.Concurrency) {
	var runs []sidecar.ConcurrencyRun
	for _, r := range c.Runs {
		if r.Workload != nil {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return
	}
	w0 := runs[0].Workload
	fmt.Fprintf(b, "\n### Trace replay\n\n`%s` (%s, sha256 %.12s)", cell(w0.Trace), w0.Format, w0.SHA256)
	if cal := w0.Calibration; cal != nil {
		fmt.Fprintf(b, ", prompts calibrated by %s: %.3f tokens per word, %.0f tokens of chat template", cal.Source, cal.TokensPerWord, cal.Overhead)
	}
	b.WriteString(".\n\n| run | lines | prompt tokens asked / counted | off | answer tokens asked / counted | off | TTFT p50, half the prompt or more sent before | TTFT p50, the other lines |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range runs {
		w := r.Workload
		fmt.Fprintf(b, "| %s | %d | %d / %d | %s | %d / %d | %s | %s (%d lines) | %s (%d lines) |\n",
			cell(r.Name), w.Lines, w.TraceInputTokens, w.InputTokens, units.PercentFixed(w.InputError),
			w.TraceOutputTokens, w.OutputTokens, units.PercentFixed(w.OutputError),
			units.MsFixed(w.SharedPrefixTTFTms.P50), w.SharedPrefixTTFTms.N, units.MsFixed(w.NewPrefixTTFTms.P50), w.NewPrefixTTFTms.N)
	}
}
