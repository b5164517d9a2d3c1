package structured

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// UnderLoadFailure is the failure text of a structured-output mode with a
// server fault under load that the isolated run did not show.
func UnderLoadFailure(m sidecar.UnderLoadScenario, rate float64) string {
	var codes []string
	for _, d := range m.Diagnoses {
		line := fmt.Sprintf("%s [%s] ×%d (%s)", d.Code, d.Kind, d.Count, d.Message)
		if d.Example != "" {
			line += ": " + d.Example
		}
		if d.Remedy != "" {
			line += " → fix: " + d.Remedy
		}
		codes = append(codes, line)
	}
	iso := "the isolated run had none"
	if m.IsolatedServerFailures < 0 {
		iso = "TestStructuredOutputs did not run this mode in isolation"
	}
	return fmt.Sprintf("%s/%s: %d of %d attempts had a server fault under a background load of %.3g req/s (%s): "+
		"structured outputs broken by concurrency (a grammar backend under batching, KV-cache pressure cutting answers)\n  %s",
		m.Name, m.Mode, m.ServerFailures, m.Attempts, rate, iso, strings.Join(codes, "\n  "))
}

// DecodeLine says what schema enforcement cost in decode time under load.
func DecodeLine(u sidecar.StructuredUnderLoad) string {
	if u.DecodeCost == nil {
		return "decode cost of structured outputs: unknown (no streamed structured answer or no plain background TPOT)"
	}
	return fmt.Sprintf("decode cost of structured outputs: TPOT p50 %.3g ms structured vs %.3g ms plain in the same window (%+.0f %%)",
		u.StructuredTPOTms.P50, u.PlainTPOTms.P50, 100**u.DecodeCost)
}
