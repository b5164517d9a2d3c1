//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/verdict"
)

// TestToolCalling runs every fixture scenario through /v1/chat/completions
// with the scenario's tool_choice, ACCEPTANCE_TOOLCALL_REPEATS times per
// thinking setting and transport. Subtests:
// TestToolCalling/<scenario>/think_<off|on>/<plain|stream>. A subtest
// fails on any server fault in its mode, or when the scenario's model-check
// rate over all its modes is below ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE
// beyond chance.
func TestToolCalling(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("tool calling"); why != "" {
		t.Skip(why)
	}
	for _, sc := range r.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			r.Acquire()
			defer r.Release()
			ctx, cancel := r.Context(t.Context())
			defer cancel()
			for _, m := range r.ToolCalling(ctx, t.Name(), sc) {
				t.Run(m.Mode.Name(), func(t *testing.T) {
					for _, n := range verdict.Notes(m.Result) {
						t.Log(n)
					}
					if !m.Passed() {
						t.Error(verdict.FailureMessage(m.Result))
					}
				})
			}
		})
	}
}

// TestToolCallingModelRates judges the model-check rates of the scenarios
// TestToolCalling ran (it runs after them): each category in a subtest
// (TestToolCallingModelRates/<category>, against
// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE), all scenarios together in the
// test itself (against ACCEPTANCE_MODEL_MIN_PASS_RATE).
func TestToolCallingModelRates(t *testing.T) {
	r := live(t)
	tc := r.ToolCallingSummary()
	if tc == nil {
		t.Skip("no tool-calling scenario ran")
	}
	for _, c := range tc.Categories {
		t.Run(c.Name, func(t *testing.T) {
			if msg := verdict.RateFailure(c.Name, c.Model, tc.Scenarios); msg != "" {
				t.Error(msg)
			}
		})
	}
	// The run-wide rate is judged in the test itself, not a subtest, so
	// that it holds whatever -run selected (a subtest named "all" would be
	// filtered out by -run TestToolCalling/<scenario>).
	if msg := verdict.RateFailure("", *tc.Model, tc.Scenarios); msg != "" {
		t.Error(msg)
	}
}
