package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

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
