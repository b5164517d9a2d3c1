//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gate"
)

// TestToolCalling runs every fixture scenario through /v1/chat/completions
// with the scenario's tool_choice, ACCEPTANCE_TOOLCALL_REPEATS times per
// thinking setting and transport. Subtests:
// TestToolCalling/<scenario>/think_<off|on>/<plain|stream>.
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
			for _, think := range r.Cfg.Thinking {
				for _, m := range r.ToolCalling(r.Ctx, t.Name(), sc, think) {
					t.Run(m.Mode.Name(), func(t *testing.T) {
						if !m.Passed() {
							t.Error(gate.FailureMessage(m))
						}
					})
				}
			}
		})
	}
}
