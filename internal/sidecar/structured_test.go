package sidecar

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStructuredSectionsJudged: the structured-output and contract
// sections go through the one judge: a failed mode or check fails the
// run, an unknown one fails nothing unless ACCEPTANCE_FAIL_UNKNOWN names it.
func TestStructuredSectionsJudged(t *testing.T) {
	m := &Metrics{Complete: true,
		StructuredOutputs: &StructuredOutputs{Scenarios: []StructuredScenario{{Name: "a", Mode: "think_off/plain", Outcome: Pass}, {Name: "a", Mode: "think_off/stream", Outcome: Unknown}}},
		Contract:          &Contract{Checks: []ContractCheck{{Name: "prompt_tokens", Mode: "plain", Outcome: Unknown}, {Name: "n_zero", Mode: "plain", Outcome: Pass}}},
	}
	assert.True(t, m.Passed(), "unknown fails nothing by default")
	v := m.SectionVerdicts()
	assert.True(t, v[SectionStructuredOutputs])
	assert.True(t, v[SectionContract])

	m.Knobs.FailUnknown = "structured_outputs"
	assert.False(t, m.Passed())
	assert.False(t, m.SectionVerdicts()[SectionStructuredOutputs])
	assert.True(t, m.SectionVerdicts()[SectionContract])

	m.Knobs.FailUnknown = "prompt_tokens"
	assert.False(t, m.SectionVerdicts()[SectionContract])
	assert.True(t, m.SectionVerdicts()[SectionStructuredOutputs])

	m.Knobs.FailUnknown = ""
	m.Contract.Checks[1].Outcome = Fail
	assert.False(t, m.Passed(), "a failed contract check fails the run")

	u := &Metrics{Complete: true, StructuredUnderLoad: &StructuredUnderLoad{Passed: false}}
	assert.False(t, u.Passed())
}
