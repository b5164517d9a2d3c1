package loadmsg

import (
	"fmt"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// UnderLoadTest is TestToolCallingUnderLoad's name in records.
const UnderLoadTest = "TestToolCallingUnderLoad"

// underLoadWords are tool calling's words in a mode's failure line under
// load.
var underLoadWords = sidecar.UnderLoadWords{
	Failed:   "failed a server check",
	Isolated: "TestToolCalling",
	Cause:    "a parser or stream serializer broken by concurrency, or KV-cache pressure cutting answers",
}

// UnderLoadFailure is a scenario mode's failure line: the server codes
// seen under load only, with their remedies.
func UnderLoadFailure(m sidecar.UnderLoadScenario, rate float64) string {
	return m.FailureLine(rate, underLoadWords)
}

// BackgroundLine is the background load of TestToolCallingUnderLoad in one
// line, for its log; "" when there was none.
func BackgroundLine(u sidecar.ToolCallingUnderLoad) string {
	b := u.Background
	if b == nil {
		return ""
	}
	return fmt.Sprintf("background: %d requests at %.3g req/s, goodput ratio %s, TTFT p99 %s",
		b.Requests, u.RatePerS, units.Percent(b.GoodputRatio), units.Ms(b.TTFTms.P99))
}
