package sidecar

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// UnderLoadWords are what one area's failure line of a scenario mode under
// load says in its own words (tool calling, structured outputs); the rest
// of the line is FailureLine's, the same for both.
type UnderLoadWords struct {
	// Failed is what the failing attempts did ("failed a server check").
	Failed string
	// Isolated is the test that runs the mode in isolation.
	Isolated string
	// Cause is what concurrency is suspected of breaking.
	Cause string
	// Kinds writes each code's kind beside it ("code [server] ×2").
	Kinds bool
}

// FailureLine is the failure text of scenario mode m, which had a server
// fault under a background load of rate req/s that the isolated run did
// not show: the count, the area's words, then each code under load with
// its example and remedy, one an indented line.
func (m UnderLoadScenario) FailureLine(rate float64, w UnderLoadWords) string {
	var codes []string
	for _, d := range m.Diagnoses {
		kind := ""
		if w.Kinds {
			kind = " [" + d.Kind + "]"
		}
		line := fmt.Sprintf("%s%s ×%d (%s)", d.Code, kind, d.Count, d.Message)
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
		iso = w.Isolated + " did not run this mode in isolation"
	}
	return fmt.Sprintf("%s/%s: %d of %d attempts %s under a background load of %s (%s): %s\n  %s",
		m.Name, m.Mode, m.ServerFailures, m.Attempts, w.Failed, units.ReqPerS(rate), iso, w.Cause, strings.Join(codes, "\n  "))
}
