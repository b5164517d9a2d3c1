package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// underLoadArea is TestToolCallingUnderLoad's verdict row, if it ran.
func underLoadArea(m *sidecar.Metrics, v map[sidecar.Section]sidecar.SectionVerdict) []area {
	u := m.ToolCallingUnderLoad
	if u == nil {
		return nil
	}
	fig := fmt.Sprintf("%d scenario modes at %.3g req/s in the background (%.0f %% of capacity), %d new server failures",
		len(u.Scenarios), u.RatePerS, 100*u.Fraction, u.NewServerFailures)
	if mr := u.Model; mr != nil && mr.IsolatedAttempts > 0 {
		fig += fmt.Sprintf("; model checks %s under load vs %s isolated (%s)", units.PercentFixed(mr.Rate), units.PercentFixed(mr.IsolatedRate), mr.Verdict)
	}
	return []area{{"tool calling under load", v[sidecar.SectionToolCallingUnderLoad], withWhy(v[sidecar.SectionToolCallingUnderLoad], fig)}}
}

// writeUnderLoad writes the tool calling under load section.
func writeUnderLoad(b *strings.Builder, m *sidecar.Metrics) {
	if u := m.ToolCallingUnderLoad; u != nil {
		b.WriteString("\n## Tool calling under load\n\n")
		fmt.Fprintf(b, "Background open loop at %.3g req/s (%.0f %% of the capacity %.3g req/s).\n", u.RatePerS, 100*u.Fraction, u.Capacity)
		if bg := u.Background; bg != nil {
			fmt.Fprintf(b, "Background: %d requests, goodput ratio %s, TTFT p99 %s.\n", bg.Requests, units.PercentFixed(bg.GoodputRatio), units.MsFixed(bg.TTFTms.P99))
		}
		if mr := u.Model; mr != nil {
			fmt.Fprintf(b, "Model checks: %d/%d under load (%s) vs %d/%d isolated (%s): difference %s [%s, %s], %s.\n",
				mr.Passed, mr.Attempts, units.PercentFixed(mr.Rate), mr.IsolatedPassed, mr.IsolatedAttempts, units.PercentFixed(mr.IsolatedRate),
				units.SignedPercentFixed(mr.Diff), units.SignedPercentFixed(mr.DiffCI95.Low), units.SignedPercentFixed(mr.DiffCI95.High), mr.Verdict)
		}
		writeUnderLoadScenarios(b, u.Scenarios, u.Note)
	}
}

// writeUnderLoadScenarios writes the table of scenario modes under load
// beside their isolated run, and the section's note: the tool-calling and
// structured-output under-load sections share both.
func writeUnderLoadScenarios(b *strings.Builder, scenarios []sidecar.UnderLoadScenario, note string) {
	b.WriteString("\n| scenario | mode | attempts | server failures under load | in isolation | verdict | codes |\n| --- | --- | ---: | ---: | ---: | --- | --- |\n")
	for _, s := range scenarios {
		iso := fmt.Sprint(s.IsolatedServerFailures)
		if s.IsolatedServerFailures < 0 {
			iso = "not run"
		}
		var codes []string
		for _, d := range s.Diagnoses {
			codes = append(codes, fmt.Sprintf("`%s`×%d", d.Code, d.Count))
		}
		fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s | %s |\n", s.Name, s.Mode, s.Attempts, s.ServerFailures, iso, passFail(!s.NewServerFailure), strings.Join(codes, ", "))
	}
	if note != "" {
		fmt.Fprintf(b, "\n%s\n", mdText(note))
	}
}
