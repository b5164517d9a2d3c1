package loadmsg

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// UnderLoadTest is TestToolCallingUnderLoad's name in records.
const UnderLoadTest = "TestToolCallingUnderLoad"

// UnderLoadFailure is a scenario mode's failure line: the server codes
// seen under load only, with their remedies.
func UnderLoadFailure(m sidecar.UnderLoadScenario, rate float64) string {
	var codes []string
	for _, d := range m.Diagnoses {
		line := fmt.Sprintf("%s ×%d (%s)", d.Code, d.Count, d.Message)
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
		iso = "TestToolCalling did not run this mode in isolation"
	}
	return fmt.Sprintf("%s/%s: %d of %d attempts failed a server check under a background load of %s (%s): "+
		"a parser or stream serializer broken by concurrency, or KV-cache pressure cutting answers\n  %s",
		m.Name, m.Mode, m.ServerFailures, m.Attempts, units.ReqPerS(rate), iso, strings.Join(codes, "\n  "))
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
