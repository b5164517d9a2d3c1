//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/structured"
)

// TestStructuredOutputs runs every structured-output scenario
// (fixtures/structured: response_format json_schema and json_object,
// vLLM's structured_outputs choice and regex) ACCEPTANCE_STRUCTURED_REPEATS
// times per thinking setting and transport. Subtests:
// TestStructuredOutputs/<scenario>/think_<off|on>/<plain|stream>. A
// subtest fails on any server fault (not JSON, schema broken or a feature
// ignored under enforcement, the answer in the reasoning, a 5xx, a refused
// feature, the server worse afterwards) or when the values' rate is below
// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE beyond chance; a mode that never
// ran is skipped as not run (unknown), never passed.
func TestStructuredOutputs(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("structured outputs"); why != "" {
		t.Skip(why)
	}
	if len(r.Structured) == 0 {
		t.Skip("no structured-output scenario: the structured/ folder of ACCEPTANCE_FIXTURES is empty")
	}
	for _, sc := range r.Structured {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			r.Acquire()
			defer r.Release()
			ctx, cancel := r.Context(t.Context())
			defer cancel()
			for _, m := range r.StructuredOutputs(ctx, t.Name(), sc) {
				t.Run(m.Mode, func(t *testing.T) {
					switch m.Outcome {
					case sidecar.Fail:
						t.Error(structured.FailureMessage(m))
					case sidecar.Unknown:
						t.Skip(structured.FailureMessage(m))
					}
				})
			}
		})
	}
}
