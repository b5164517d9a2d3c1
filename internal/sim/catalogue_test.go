package sim

import (
	"encoding/json"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

// wireRequest is the request the suite sends for step msgs of sc.
func wireRequest(sc *fixture.Scenario, msgs []fixture.Message, stream, think bool) map[string]any {
	var ms []any
	for _, m := range msgs {
		w := map[string]any{"role": m.Role, "content": m.Content}
		if m.ToolCallID != "" {
			w["tool_call_id"] = m.ToolCallID
		}
		var calls []any
		for _, c := range m.ToolCalls {
			calls = append(calls, map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": c.Arguments}})
		}
		if calls != nil {
			w["tool_calls"] = calls
		}
		ms = append(ms, w)
	}
	req := map[string]any{
		"model": DefaultModel, "messages": ms, "max_tokens": sc.MaxTokens, "temperature": 0, "stream": stream,
		"chat_template_kwargs": map[string]any{"enable_thinking": think},
	}
	if len(sc.Tools) > 0 {
		req["tools"] = json.RawMessage(sc.ToolsJSON())
	}
	switch sc.ToolChoice {
	case "auto", "required", "none":
		req["tool_choice"] = sc.ToolChoice
	default:
		req["tool_choice"] = map[string]any{"type": "function", "function": map[string]any{"name": sc.ToolChoice}}
	}
	if stream {
		req["stream_options"] = map[string]any{"include_usage": true}
	}
	return req
}

// walk runs sc against url the way the suite does (each step's answer fed
// back with the fixture's results) and returns the diagnosis codes Judge
// finds, stopping at the first failed step.
func walk(t *testing.T, url string, sc *fixture.Scenario, stream, think bool) []string {
	t.Helper()
	msgs := append([]fixture.Message(nil), sc.Messages...)
	for k, st := range sc.Steps {
		req := wireRequest(sc, msgs, stream, think)
		rec := record.Record{Status: 200, Stream: stream, MaxTokens: sc.MaxTokens}
		if stream {
			s := streamReq(t, url, req)
			rec.Content, rec.Reasoning, rec.CompletionTokens = s.content, s.reasoning, s.usage
			if len(s.finishes) > 0 {
				rec.FinishReason = s.finishes[len(s.finishes)-1]
			}
			idx := make([]int, 0, len(s.calls))
			for i := range s.calls {
				idx = append(idx, i)
			}
			sort.Ints(idx)
			for _, i := range idx {
				c := s.calls[i]
				rec.ToolCalls = append(rec.ToolCalls, record.ToolCall{Index: i, ID: c.id, Name: c.name, Arguments: c.args})
			}
		} else {
			c := plain(t, url, req)
			ch := c.Choices[0]
			rec.FinishReason, rec.CompletionTokens = ch.FinishReason, c.Usage.CompletionTokens
			if ch.Message.Content != nil {
				rec.Content = *ch.Message.Content
			}
			if ch.Message.ReasoningContent != nil {
				rec.Reasoning = *ch.Message.ReasoningContent
			}
			for i, tc := range ch.Message.ToolCalls {
				call := record.ToolCall{Index: i, ID: tc.ID, Type: tc.Type}
				if string(tc.Function) == "null" {
					call.NullFunction = true
				} else {
					f := tc.fn(t)
					call.Name, call.Arguments = *f.Name, f.Arguments
				}
				rec.ToolCalls = append(rec.ToolCalls, call)
			}
		}
		res := toolcheck.Evaluate(&rec, sc, k)
		if !res.Passed {
			var codes []string
			for _, f := range res.Findings {
				codes = append(codes, string(f.Code))
			}
			if codes == nil {
				codes = []string{"(failed check, no finding)"}
			}
			return codes
		}
		as := fixture.Message{Role: "assistant", Content: rec.Content}
		for _, c := range rec.ToolCalls {
			as.ToolCalls = append(as.ToolCalls, fixture.CallSpec{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
		}
		msgs = append(msgs, as)
		for _, c := range rec.ToolCalls {
			if r, ok := st.Results[c.Name]; ok {
				msgs = append(msgs, fixture.Message{Role: "tool", ToolCallID: c.ID, Content: r})
			}
		}
	}
	return nil
}

// TestCatalogueVerdicts answers the whole embedded catalogue with each
// answer-level persona and judges every answer with internal/toolcheck, as the
// live suite does: affected scenarios fail with exactly the persona's code,
// every other scenario passes. Streaming-only faults must leave the
// reassembled stream passing Judge (the suite catches them by structure and
// by comparison with the plain twin, which TestToolFaults covers).
func TestCatalogueVerdicts(t *testing.T) {
	t.Parallel()
	cat, err := fixture.LoadFS(fixtures.FS, ".", "fixtures")
	require.NoError(t, err)
	require.NotEmpty(t, cat)
	firstCalls := func(s *fixture.Scenario) bool { return len(s.Steps[0].Calls) > 0 }
	autoCalls := func(s *fixture.Scenario) bool { return firstCalls(s) && s.ToolChoice == "auto" }
	// withArgs: the first call takes arguments. A tool that declares no
	// properties accepts any object, so there is no value to get wrong and
	// no schema to break: schema_violation and wrong_args leave it healthy.
	withArgs := func(s *fixture.Scenario) bool { return firstCalls(s) && len(s.Steps[0].Calls[0].Args) > 0 }
	noCallStep := func(s *fixture.Scenario) bool {
		for _, st := range s.Steps {
			if len(st.Calls) == 0 {
				return len(s.Tools) > 0
			}
		}
		return false
	}
	type testCase struct {
		persona  string
		affected func(s *fixture.Scenario) bool
		code     diagnosis.Code
		// streamLoose: streamed answers of affected scenarios need only
		// fail, not with code first (null_function: a streamed
		// "function": null reassembles to a call with no name).
		streamLoose bool
		// streamExtra: codes a streamed answer may show as a consequence
		// (stream_args_differ where no value can change unnoticed by the
		// matchers, e.g. exact strings or no parameters).
		streamExtra []string
	}
	for _, tc := range []testCase{
		{persona: "healthy"},
		{persona: "healthy?style=llmd&reasoning_field=both"},
		{persona: "noisy"},
		{persona: "hermes_leak", affected: autoCalls, code: diagnosis.ParserMismatchHermes},
		{persona: "xml_leak", affected: autoCalls, code: diagnosis.ParserMismatchXML},
		{persona: "prose", affected: autoCalls, code: diagnosis.NoToolCall},
		{persona: "tool_call_in_reasoning", affected: autoCalls, code: diagnosis.ToolCallInReasoning},
		{persona: "finish_mismatch", affected: autoCalls, code: diagnosis.FinishReasonMismatch},
		{persona: "reasoning_exhausted", affected: firstCalls, code: diagnosis.ReasoningExhaustedMaxTokens},
		{persona: "invalid_json", affected: firstCalls, code: diagnosis.InvalidJSONArguments},
		{persona: "double_encoded", affected: firstCalls, code: diagnosis.WireFormat},
		{persona: "unknown_function", affected: firstCalls, code: diagnosis.UnknownFunction},
		{persona: "schema_violation", affected: withArgs, code: diagnosis.SchemaViolation},
		{persona: "wrong_args", affected: withArgs, code: diagnosis.ArgsMismatch},
		{persona: "null_function", affected: firstCalls, code: diagnosis.MalformedToolCall, streamLoose: true},
		{persona: "always_call", affected: noCallStep, code: diagnosis.UnexpectedToolCall},
		{persona: "think_leak", affected: func(*fixture.Scenario) bool { return true }, code: diagnosis.ReasoningParserMissing},
		{persona: "stream_name_repeat"},
		{persona: "stream_id_change"},
		{persona: "stream_double_finish"},
		{persona: "stream_markup_delta"},
		{persona: "stream_args_differ", streamExtra: []string{string(diagnosis.ArgsMismatch)}},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			p, err := Lookup(tc.persona)
			require.NoError(t, err)
			p.TTFT, p.ITL = 0, 0
			ts := httptest.NewServer(New(p, nil))
			defer ts.Close()
			for _, sc := range cat {
				for _, mode := range []struct{ stream, think bool }{{false, false}, {false, true}, {true, true}} {
					codes := walk(t, ts.URL, sc, mode.stream, mode.think)
					switch {
					case mode.stream && tc.streamExtra != nil:
						for _, c := range codes {
							assert.Contains(t, tc.streamExtra, c, "%s %+v", sc.Name, mode)
						}
					case mode.stream && tc.streamLoose && tc.affected(sc):
						assert.NotEmpty(t, codes, "%s %+v", sc.Name, mode)
					case tc.affected != nil && tc.affected(sc):
						assert.Contains(t, codes, string(tc.code), "%s %+v", sc.Name, mode)
						// The fault's own code first: nothing else may
						// cause the failure, though it may add consequences.
						if len(codes) > 0 {
							assert.Equal(t, string(tc.code), codes[0], "%s %+v: %v", sc.Name, mode, codes)
						}
					default:
						assert.Empty(t, codes, "%s %+v is not affected by %s", sc.Name, mode, tc.persona)
					}
				}
			}
		})
	}
}
