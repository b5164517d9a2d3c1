package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// rooflineArea is the roofline's verdict row: only when the roofline is
// judged (ACCEPTANCE_ROOFLINE_BELOW_FAILS, ACCEPTANCE_FAIL_UNKNOWN);
// otherwise it is advice in its own section.
func rooflineArea(m *sidecar.Metrics, v map[sidecar.Section]sidecar.SectionVerdict) []area {
	r := m.Roofline
	if r == nil {
		return nil
	}
	rv, judged := v[sidecar.SectionRoofline]
	if !judged {
		return nil
	}
	return []area{{"roofline", rv, fmt.Sprintf("%s: single-stream decode at %s of the bound (below %s is below_bound)",
		r.Verdict, units.PercentFixed(r.Fraction), units.PercentFixed(r.MinFraction))}}
}

// writeRoofline writes the roofline section: the decode rate against the
// memory-bandwidth bound.
func writeRoofline(b *strings.Builder, m *sidecar.Metrics) {
	if r := m.Roofline; r != nil {
		b.WriteString("\n## Roofline\n\n")
		fmt.Fprintf(b, "%s: %s.\n", r.Verdict, mdText(r.Detail))
		if r.Source != "" {
			fmt.Fprintf(b, "\nBandwidth source: %s.\n", mdText(r.Source))
		}
	}
}
