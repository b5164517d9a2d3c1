package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestStructuredSections: report.md shows both areas in the summary and
// their sections, and a failed contract check reaches "What failed" with
// its remedy.
func TestStructuredSections(t *testing.T) {
	code := diagnosis.ContractParamAccepted
	m := &sidecar.Metrics{Complete: true,
		StructuredOutputs: &sidecar.StructuredOutputs{API: "structured_outputs", Scenarios: []sidecar.StructuredScenario{
			{Name: "choice_sentiment", Mode: "think_off/plain", Format: "choice", Attempts: 3, Passed: 3, Outcome: sidecar.Pass, Model: sidecar.Rate{Attempts: 3, Passed: 3}},
		}},
		Contract: &sidecar.Contract{Tokenize: true, Checks: []sidecar.ContractCheck{
			{Name: "temperature_negative", Mode: "plain", Status: 200, Outcome: sidecar.Fail, Code: string(code), Kind: "server", Remedy: diagnosis.Lookup(code).Remedy, Detail: "temperature=-1 answered HTTP 200"},
		}},
	}
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, m, nil, Options{}))
	md := b.String()
	assert.Contains(t, md, "| structured outputs | PASS |")
	assert.Contains(t, md, "| API contract | **FAIL** |")
	assert.Contains(t, md, "## Structured outputs")
	assert.Contains(t, md, "## API contract")
	assert.Contains(t, md, "`"+string(code)+"`")
	assert.Contains(t, md, diagnosis.Lookup(code).Remedy)
	assert.Contains(t, md, "# vLLM acceptance report: FAIL")
}
