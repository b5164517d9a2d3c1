package sidecar

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// KindModel is the kind of a model-behaviour diagnosis (diagnosis.KindModel,
// as the sidecar stores it).
const KindModel = "model"

// RatePart is one scenario mode behind a pooled model-check rate: its own
// rate and its diagnoses.
type RatePart struct {
	Label     string
	Model     Rate
	Diagnoses []Diagnosis
}

// FailureLine is the failure text of the pooled model-check rate r, named
// name and judged against knob, over parts (tool-calling scenarios, or
// structured-output modes): the rate with its interval and threshold, the
// three model codes seen most with their remedies, and the parts below
// 100 %; "" when r did not fail.
func (r Rate) FailureLine(name, knob string, parts []RatePart) string {
	if r.Verdict != VerdictFail {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: model checks held in %d of %d attempts (%s, 95 %% CI %s–%s), below the %s a healthy model reaches (%s): model behaviour, not a server fault",
		name, r.Passed, r.Attempts, units.Percent(r.Rate), units.Percent(r.CI95.Low), units.Percent(r.CI95.High), units.Percent(r.Min), knob)
	codes := map[string]*Diagnosis{}
	var worst []string
	for _, p := range parts {
		if p.Model.Passed < p.Model.Attempts {
			worst = append(worst, fmt.Sprintf("%s %d/%d", p.Label, p.Model.Passed, p.Model.Attempts))
		}
		for _, d := range p.Diagnoses {
			if d.Kind != KindModel {
				continue
			}
			if c := codes[d.Code]; c != nil {
				c.Count += d.Count
			} else {
				codes[d.Code] = &d
			}
		}
	}
	top := slices.SortedFunc(maps.Values(codes), func(a, b *Diagnosis) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Code, b.Code)
	})
	for _, d := range top[:min(3, len(top))] {
		fmt.Fprintf(&b, "\n  %s ×%d: %s", d.Code, d.Count, d.Message)
		if d.Remedy != "" {
			fmt.Fprintf(&b, " → fix: %s", d.Remedy)
		}
	}
	if len(worst) > 8 {
		worst = append(worst[:8], fmt.Sprintf("and %d more", len(worst)-8))
	}
	if len(worst) > 0 {
		b.WriteString("\n  below 100 %: " + strings.Join(worst, "; "))
	}
	return b.String()
}
