package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// structuredAreas are the verdict rows of TestStructuredOutputs and
// TestContract, when they ran.
func structuredAreas(m *sidecar.Metrics, v map[sidecar.Section]sidecar.SectionVerdict) []area {
	var out []area
	if so := m.StructuredOutputs; so != nil {
		att, ok, unknown := 0, 0, 0
		names := map[string]bool{}
		for _, s := range so.Scenarios {
			att += s.Attempts
			ok += s.Passed
			names[s.Name] = true
			if s.Outcome == sidecar.Unknown {
				unknown++
			}
		}
		fig := fmt.Sprintf("%d/%d attempts passed in %d scenarios (%d scenario modes), %d server failures", ok, att, len(names), len(so.Scenarios), so.ServerFailures)
		if unknown > 0 {
			fig += fmt.Sprintf(", %d modes not run", unknown)
		}
		if r := so.Model; r != nil && r.Attempts > 0 {
			fig += fmt.Sprintf("; model rate %d/%d (%s)", r.Passed, r.Attempts, r.Verdict)
		}
		out = append(out, area{"structured outputs", v[sidecar.SectionStructuredOutputs], withWhy(v[sidecar.SectionStructuredOutputs], fig)})
	}
	if c := m.Contract; c != nil {
		count := map[sidecar.Outcome]int{}
		for _, x := range c.Checks {
			count[x.Outcome]++
		}
		fig := fmt.Sprintf("%d checks passed, %d failed, %d unknown", count[sidecar.Pass], count[sidecar.Fail], count[sidecar.Unknown])
		if !c.Tokenize {
			fig += " (no /tokenize)"
		}
		out = append(out, area{"API contract", v[sidecar.SectionContract], withWhy(v[sidecar.SectionContract], fig)})
	}
	if u := m.StructuredUnderLoad; u != nil {
		fig := fmt.Sprintf("%d scenario modes at %.3g req/s in the background (%.0f %% of capacity), %d new server failures",
			len(u.Scenarios), u.RatePerS, 100*u.Fraction, u.NewServerFailures)
		if u.DecodeCost != nil {
			fig += fmt.Sprintf("; structured TPOT p50 %+.0f %% against plain", 100**u.DecodeCost)
		}
		out = append(out, area{"structured outputs under load", v[sidecar.SectionStructuredUnderLoad], withWhy(v[sidecar.SectionStructuredUnderLoad], fig)})
	}
	return out
}

// outcomeText is an outcome as the report prints it.
func outcomeText(o sidecar.Outcome) string {
	switch o {
	case sidecar.Pass:
		return "pass"
	case sidecar.Fail:
		return "**FAIL**"
	}
	return "unknown"
}

// writeStructured writes the structured outputs and API contract sections.
func writeStructured(b *strings.Builder, m *sidecar.Metrics) {
	if so := m.StructuredOutputs; so != nil {
		b.WriteString("\n## Structured outputs\n\n")
		if so.API != "" {
			fmt.Fprintf(b, "Choice and regex sent as `%s`. ", so.API)
		}
		fmt.Fprintf(b, "Server failures: %d; canary failures after structured requests: %d.\n", so.ServerFailures, so.CanaryFailures)
		b.WriteString("\n| scenario | format | mode | attempts | passed | server failures | values | verdict | codes |\n| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |\n")
		for _, s := range so.Scenarios {
			var codes []string
			for _, d := range s.Diagnoses {
				codes = append(codes, fmt.Sprintf("`%s` (%s)×%d", d.Code, d.Kind, d.Count))
			}
			values := "–"
			if s.Model.Attempts > 0 {
				values = fmt.Sprintf("%d/%d", s.Model.Passed, s.Model.Attempts)
			}
			verdict := outcomeText(s.Outcome)
			if s.Outcome == sidecar.Unknown && s.Reason != "" {
				verdict += ": " + mdText(s.Reason)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %d | %s | %s | %s |\n", s.Name, s.Format, s.Mode, s.Attempts, s.Passed, s.ServerFailures, values, verdict, strings.Join(codes, ", "))
		}
	}
	if c := m.Contract; c != nil {
		b.WriteString("\n## API contract\n\n| check | mode | HTTP | verdict | seen | code |\n| --- | --- | ---: | --- | --- | --- |\n")
		for _, x := range c.Checks {
			code := "–"
			if x.Code != "" {
				code = fmt.Sprintf("`%s` (%s)", x.Code, x.Kind)
			}
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n", x.Name, x.Mode, x.Status, outcomeText(x.Outcome), cell(mdText(x.Detail)), code)
		}
	}
}

// writeStructuredUnderLoad writes the structured outputs under load section.
func writeStructuredUnderLoad(b *strings.Builder, m *sidecar.Metrics) {
	u := m.StructuredUnderLoad
	if u == nil {
		return
	}
	b.WriteString("\n## Structured outputs under load\n\n")
	fmt.Fprintf(b, "Background open loop at %.3g req/s (%.0f %% of the capacity %.3g req/s).\n", u.RatePerS, 100*u.Fraction, u.Capacity)
	if u.DecodeCost != nil {
		fmt.Fprintf(b, "Decode cost of schema enforcement: TPOT p50 %.3g ms structured vs %.3g ms plain in the same window (%+.0f %%).\n",
			u.StructuredTPOTms.P50, u.PlainTPOTms.P50, 100**u.DecodeCost)
	}
	writeUnderLoadScenarios(b, u.Scenarios, u.Note)
}

// structuredSidecarFindings calls add for each failed contract check and
// each structured_next_request_worse of the structured-output modes.
func structuredSidecarFindings(m *sidecar.Metrics, add func(code, message, remedy, example, where string)) {
	if c := m.Contract; c != nil {
		for _, x := range c.Checks {
			if x.Outcome == sidecar.Fail && x.Code != "" {
				info := diagnosis.Lookup(diagnosis.Code(x.Code))
				add(x.Code, info.Seen, x.Remedy, x.Detail, "TestContract/"+x.Name+"/"+x.Mode)
			}
		}
	}
	if so := m.StructuredOutputs; so != nil {
		for _, s := range so.Scenarios {
			for _, d := range s.Diagnoses {
				if d.Code == string(diagnosis.StructuredNextRequestWorse) {
					add(d.Code, d.Message, d.Remedy, d.Example, "TestStructuredOutputs/"+s.Name+"/"+s.Mode)
				}
			}
		}
	}
}
