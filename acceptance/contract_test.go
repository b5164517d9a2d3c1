//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/contract"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestContract checks the API contract clients rely on, each check plain
// and streamed: TestContract/<check>/<plain|stream>. prompt_tokens:
// usage.prompt_tokens equals the server's /tokenize for the same messages
// (unknown without /tokenize); stream_usage (streamed only): the streamed
// usage adds up with its chunks and the non-streamed answer; then
// temperature -1, top_p 2, max_tokens 0, n 0, an unknown tool_choice name
// and a malformed response_format must each get HTTP 400 with an
// OpenAI-shaped error naming the parameter, and the server must answer a
// healthy request right after.
func TestContract(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("the API contract"); why != "" {
		t.Skip(why)
	}
	ctx, cancel := r.Context(t.Context())
	defer cancel()
	checks := r.Contract(ctx, t.Name())
	for _, name := range contract.Names() {
		t.Run(name, func(t *testing.T) {
			for _, c := range checks {
				if c.Name != name {
					continue
				}
				t.Run(c.Mode, func(t *testing.T) {
					switch c.Outcome {
					case sidecar.Fail:
						t.Error(contract.FailureMessage(c))
					case sidecar.Unknown:
						t.Skip(contract.FailureMessage(c))
					default:
						t.Log(c.Detail)
					}
				})
			}
		})
	}
}
