package diagnosis

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// A timed-out stream: the shape the client records when the request's
// context deadline ends a body still being read (issue 24: a thinking
// model streaming at 27-43 tok/s cut by a 2-minute budget, 456 KB in).
func TestTransportTimeoutTooShort(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  record.Record
		code Code
		want []string
	}{
		{name: "steady stream cut by the knob", code: TimeoutTooShort,
			rec: record.Record{Stream: true, ErrorKind: record.ErrTimeout, Error: "response not finished within 15s (9000 bytes received)",
				TTFTms: 200, TokenChunks: 741, LastTokenMs: 14_980, E2Ems: 15_000, TimeoutMs: 15_000, TimeoutFrom: "ACCEPTANCE_REQUEST_TIMEOUT", MaxTokens: 8192},
			want: []string{"ACCEPTANCE_REQUEST_TIMEOUT=15s", "741 tokens received", "50.1 tok/s", "max_tokens=8192", "not a server fault"}},
		{name: "steady stream cut by the derived budget", code: TimeoutTooShort,
			rec: record.Record{Stream: true, ErrorKind: record.ErrTimeout, TTFTms: 150, TokenChunks: 100, LastTokenMs: 3_120, E2Ems: 3_150, TimeoutMs: 3_150,
				TimeoutFrom: "max_tokens=100 at 33 tok/s, margin x1.5"},
			want: []string{"the request budget 3.2s (max_tokens=100 at 33 tok/s, margin x1.5; ACCEPTANCE_REQUEST_TIMEOUT overrides it)", "100 tokens received"}},
		{name: "stream that went silent stays timeout", code: Timeout,
			rec: record.Record{Stream: true, ErrorKind: record.ErrTimeout, Error: "response not finished within 15s", TTFTms: 200, TokenChunks: 100, LastTokenMs: 2_200, E2Ems: 15_000, TimeoutMs: 15_000}},
		{name: "no token at all stays timeout", code: Timeout,
			rec: record.Record{Stream: true, ErrorKind: record.ErrTimeout, Error: "no answer within 15s", E2Ems: 15_000, TimeoutMs: 15_000}},
		{name: "a trickle below one token a second stays timeout", code: Timeout,
			rec: record.Record{Stream: true, ErrorKind: record.ErrTimeout, TTFTms: 200, TokenChunks: 5, LastTokenMs: 14_900, E2Ems: 15_000, TimeoutMs: 15_000}},
		{name: "a plain request without a measured pace: timeout", code: Timeout,
			rec: record.Record{ErrorKind: record.ErrTimeout, Error: "no answer within 15s", E2Ems: 15_000, TimeoutMs: 15_000}},
		{name: "a plain request whose max_tokens fits the budget at the pace: timeout", code: Timeout,
			rec: record.Record{ErrorKind: record.ErrTimeout, E2Ems: 15_000, TimeoutMs: 15_000, NeedMs: 9_000, PaceTPS: 33, MaxTokens: 300}},
		{name: "a plain request whose max_tokens needs more than the budget at the pace", code: TimeoutTooShort,
			rec:  record.Record{ErrorKind: record.ErrTimeout, E2Ems: 120_000, TimeoutMs: 120_000, NeedMs: 264_200, PaceTPS: 31, MaxTokens: 8192, TimeoutFrom: "ACCEPTANCE_REQUEST_TIMEOUT"},
			want: []string{"ACCEPTANCE_REQUEST_TIMEOUT=2m0s", "max_tokens=8192 needs about 4m24.2s at the measured 31 tok/s", "not a server fault"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Transport(&tc.rec)
			require.Len(t, fs, 1)
			assert.Equal(t, tc.code, fs[0].Code)
			for _, w := range tc.want {
				assert.Contains(t, fs[0].Detail, w)
			}
			if tc.code == TimeoutTooShort {
				for _, choice := range toolChoices {
					assert.NotEqual(t, KindServer, KindOf(tc.code, choice), "a budget that ends a healthy stream is never a server fault (tool_choice %q)", choice)
				}
			}
		})
	}
}

var toolChoices = []string{"", "auto", "none", "required", "get_weather"}

// Phrases that blame one side. A remedy must not blame the model for a
// code that is the server's fault under that tool_choice, nor the server
// for one that is the model's.
var (
	blamesModel  = []string{"the model chose", "the model invents", "the model over-calls", "model quality", "consider \"strict\""}
	blamesServer = []string{"the server did not", "serializer bug", "parser bug", "server returned"}
)

// TestRemedyFollowsKind checks the remedy wording of every code against
// its kind under every tool_choice (issue 24: under "required" an answer
// without a call is a server fault, yet its remedy read "the model chose
// not to call").
func TestRemedyFollowsKind(t *testing.T) {
	for c := range Catalog {
		for _, choice := range toolChoices {
			info := LookupFor(c, choice)
			rem := strings.ToLower(info.Remedy)
			switch KindOf(c, choice) {
			case KindServer:
				for _, p := range blamesModel {
					assert.NotContains(t, rem, strings.ToLower(p), "%s under tool_choice %q is a server fault; its remedy must not blame the model", c, choice)
				}
			case KindModel:
				for _, p := range blamesServer {
					assert.NotContains(t, rem, strings.ToLower(p), "%s under tool_choice %q is the model's; its remedy must not blame the server", c, choice)
				}
			}
		}
	}
	assert.Contains(t, LookupFor(NoToolCall, "required").Remedy, "did not apply guided decoding")
	assert.Contains(t, LookupFor(NoToolCall, "get_weather").Remedy, "did not apply guided decoding")
	assert.Contains(t, LookupFor(NoToolCall, "auto").Remedy, "the model chose not to call")
	assert.Equal(t, Lookup(ArgsMismatch), LookupFor(ArgsMismatch, "required"), "a code whose kind does not move keeps its remedy")
}
