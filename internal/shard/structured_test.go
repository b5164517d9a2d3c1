package shard

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestStructuredEvents: junit.xml's structured-output and contract cases
// fail exactly where the one judge fails them; an unknown check is green
// unless ACCEPTANCE_FAIL_UNKNOWN names it.
func TestStructuredEvents(t *testing.T) {
	m := &sidecar.Metrics{Complete: true,
		StructuredOutputs: &sidecar.StructuredOutputs{Scenarios: []sidecar.StructuredScenario{
			{Name: "a", Mode: "think_off/plain", Format: "json_schema", Outcome: sidecar.Pass},
			{Name: "a", Mode: "think_off/stream", Format: "json_schema", Outcome: sidecar.Fail, FailedOn: "server", ServerFailures: 1, Attempts: 1,
				Diagnoses: []sidecar.Diagnosis{{Code: "structured_not_json", Kind: "server", Count: 1}}},
		}},
		Contract: &sidecar.Contract{Checks: []sidecar.ContractCheck{{Name: "prompt_tokens", Mode: "plain", Outcome: sidecar.Unknown, Detail: "no /tokenize"}}},
	}
	ev := string(Events(m))
	assert.Contains(t, ev, `"Action":"fail","Package":"`+Package+`","Test":"TestStructuredOutputs/a/think_off/stream"`)
	assert.Contains(t, ev, `"Action":"pass","Package":"`+Package+`","Test":"TestStructuredOutputs/a/think_off/plain"`)
	assert.Contains(t, ev, `"Action":"pass","Package":"`+Package+`","Test":"TestContract/prompt_tokens/plain"`)
	assert.Contains(t, ev, "structured_not_json [server]")

	m.Knobs.FailUnknown = "prompt_tokens"
	ev = string(Events(m))
	assert.Contains(t, ev, `"Action":"fail","Package":"`+Package+`","Test":"TestContract/prompt_tokens/plain"`)
	assert.True(t, strings.Contains(ev, "no /tokenize"))
}
