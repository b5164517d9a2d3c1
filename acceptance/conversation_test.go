//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/area"
)

// TestConversation holds one ACCEPTANCE_CONVERSATION_TURNS-turn
// conversation whose context grows each turn, and fails on any error or on
// TTFT growing beyond what the prompt length explains.
func TestConversation(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("the conversation"); why != "" {
		t.Skip(why)
	}
	for _, name := range r.ConversationRuns() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := r.Context(t.Context())
			defer cancel()
			res := r.Conversation(ctx, name)
			if u := area.UnknownLine(r.Judge(), res); u != "" {
				t.Log(u)
			}
			if note := area.ColdStartNote(res.Name, res.ColdStart); note != "" && res.Verdict == "pass" {
				t.Log(note)
			}
			if res.Verdict != "pass" {
				t.Error(area.LoadFailure(r.Judge(), res))
			}
		})
	}
}
