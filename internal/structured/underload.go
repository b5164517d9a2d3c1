package structured

import (
	"fmt"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// underLoadWords are structured outputs' words in a mode's failure line
// under load.
var underLoadWords = sidecar.UnderLoadWords{
	Failed:   "had a server fault",
	Isolated: "TestStructuredOutputs",
	Cause:    "structured outputs broken by concurrency (a grammar backend under batching, KV-cache pressure cutting answers)",
	Kinds:    true,
}

// UnderLoadFailure is the failure text of a structured-output mode with a
// server fault under load that the isolated run did not show.
func UnderLoadFailure(m sidecar.UnderLoadScenario, rate float64) string {
	return m.FailureLine(rate, underLoadWords)
}

// DecodeLine says what schema enforcement cost in decode time under load.
func DecodeLine(u sidecar.StructuredUnderLoad) string {
	if u.DecodeCost == nil {
		return "decode cost of structured outputs: unknown (no streamed structured answer or no plain background TPOT)"
	}
	return fmt.Sprintf("decode cost of structured outputs: TPOT p50 %.3g ms structured vs %.3g ms plain in the same window (%+.0f %%)",
		u.StructuredTPOTms.P50, u.PlainTPOTms.P50, 100**u.DecodeCost)
}
