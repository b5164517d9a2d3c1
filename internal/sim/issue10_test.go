package sim

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIssue10Signatures checks the exact wire signature of each issue-10
// persona on the test scenario, in vLLM's format (docs/diagnosis.md gives
// the vLLM source of each).
func TestIssue10Signatures(t *testing.T) {
	t.Parallel()
	named := func(m map[string]any) {
		m["tool_choice"] = map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	}
	required := func(m map[string]any) { m["tool_choice"] = "required" }
	thinkingRequired := func(m map[string]any) {
		m["tool_choice"] = "required"
		m["chat_template_kwargs"] = map[string]any{"enable_thinking": true}
		m["max_tokens"] = 64
	}
	budget := func(n int) func(m map[string]any) { return func(m map[string]any) { m["max_tokens"] = n } }
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	type testCase struct {
		name    string
		persona string
		mod     func(m map[string]any)
		check   func(t *testing.T, c completion, raw string)
		reason  string
	}
	run := func(t *testing.T, tc testCase) {
		_, url := serve(t, tc.persona)
		resp := post(t, url, body(t, false, tc.mod))
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var c completion
		if resp.StatusCode == 200 {
			require.NoError(t, json.Unmarshal(b, &c))
			require.Len(t, c.Choices, 1)
		} else {
			c.Usage.PromptTokens = -resp.StatusCode // the status, for checks on errors
		}
		tc.check(t, c, string(b))
	}
	for _, tc := range []testCase{
		{name: "truncated under auto", persona: "truncated_auto", mod: budget(64), reason: "hermes cannot decode the cut call: content, length, tokens at the budget",
			check: func(t *testing.T, c completion, _ string) {
				m := c.Choices[0].Message
				assert.True(t, strings.HasPrefix(str(m.Content), "<tool_call>\n{\"name\": \"get_weather\""), str(m.Content))
				assert.NotContains(t, str(m.Content), "</tool_call>", "cut before the end")
				assert.Empty(t, m.ToolCalls)
				assert.Equal(t, "length", c.Choices[0].FinishReason)
				assert.Equal(t, 64, c.Usage.CompletionTokens)
			}},
		{name: "truncated named", persona: "truncated_named", mod: named, reason: "arguments=content, cut",
			check: func(t *testing.T, c completion, _ string) {
				require.Len(t, c.Choices[0].Message.ToolCalls, 1)
				assert.False(t, json.Valid([]byte(c.Choices[0].Message.ToolCalls[0].fn(t).Arguments)))
				assert.Equal(t, "length", c.Choices[0].FinishReason)
				assert.Equal(t, 1024, c.Usage.CompletionTokens)
			}},
		{name: "truncated required, 0.10 plain", persona: "truncated_required?vllm=0.10", mod: required, reason: "pydantic rejects the cut array: 400, legacy envelope",
			check: func(t *testing.T, c completion, raw string) {
				assert.Equal(t, -400, c.Usage.PromptTokens)
				assert.Contains(t, raw, `"object":"error"`)
				assert.Contains(t, raw, "validation error for list[FunctionDefinition]")
				assert.Contains(t, raw, "json_invalid")
			}},
		{name: "markup under none", persona: "markup_under_none", mod: func(m map[string]any) { m["tool_choice"] = "none" }, reason: "no parser under none",
			check: func(t *testing.T, c completion, _ string) {
				assert.True(t, strings.HasPrefix(str(c.Choices[0].Message.Content), "<tool_call>\n{\"name\": "))
				assert.Empty(t, c.Choices[0].Message.ToolCalls)
				assert.Equal(t, "stop", c.Choices[0].FinishReason)
			}},
		{name: "</think> only", persona: "think_end_only", reason: "the prompt opened <think>",
			check: func(t *testing.T, c completion, _ string) {
				content := str(c.Choices[0].Message.Content)
				assert.Contains(t, content, "</think>")
				assert.NotContains(t, content, "<think>")
				assert.Nil(t, c.Choices[0].Message.ReasoningContent)
			}},
		{name: "answer in reasoning", persona: "answer_in_reasoning", reason: "deepseek_r1 without </think>: all reasoning",
			check: func(t *testing.T, c completion, _ string) {
				assert.Nil(t, c.Choices[0].Message.Content)
				assert.True(t, strings.HasPrefix(str(c.Choices[0].Message.ReasoningContent), "<tool_call>"))
				assert.Empty(t, c.Choices[0].Message.ToolCalls)
				assert.Equal(t, "stop", c.Choices[0].FinishReason)
			}},
		{name: "mistral leak", persona: "mistral_leak", reason: "[TOOL_CALLS] JSON array",
			check: func(t *testing.T, c completion, _ string) {
				content := str(c.Choices[0].Message.Content)
				require.True(t, strings.HasPrefix(content, "[TOOL_CALLS]["), content)
				var calls []map[string]any
				require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(content, "[TOOL_CALLS]")), &calls))
				assert.Equal(t, "get_weather", calls[0]["name"])
			}},
		{name: "harmony leak", persona: "harmony_leak", reason: "commentary channel to functions.NAME",
			check: func(t *testing.T, c completion, _ string) {
				assert.Contains(t, str(c.Choices[0].Message.Content), "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{")
				assert.True(t, strings.HasSuffix(str(c.Choices[0].Message.Content), "<|call|>"))
			}},
		{name: "object arguments", persona: "object_arguments", reason: "arguments as an object",
			check: func(t *testing.T, c completion, _ string) {
				var fn map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(c.Choices[0].Message.ToolCalls[0].Function, &fn))
				assert.True(t, strings.HasPrefix(string(fn["arguments"]), "{"), string(fn["arguments"]))
			}},
		{name: "missing ids", persona: "missing_ids", reason: "no id key at all",
			check: func(t *testing.T, _ completion, raw string) { assert.NotContains(t, raw, `"id":"chatcmpl-tool-`) }},
		{name: "wrong type", persona: "wrong_type", reason: `type "tool"`,
			check: func(t *testing.T, c completion, _ string) {
				assert.Equal(t, "tool", c.Choices[0].Message.ToolCalls[0].Type)
			}},
		{name: "exhausted required, 0.10", persona: "reasoning_exhausted_guided?vllm=0.10", mod: thinkingRequired, reason: "the unclosed <think> reaches TypeAdapter: 400",
			check: func(t *testing.T, c completion, raw string) {
				assert.Equal(t, -400, c.Usage.PromptTokens)
				assert.Contains(t, raw, "list[FunctionDefinition]")
			}},
		{name: "exhausted required, 0.11", persona: "reasoning_exhausted_guided?vllm=0.11", mod: thinkingRequired, reason: "no call, reasoning to the budget, field reasoning",
			check: func(t *testing.T, c completion, _ string) {
				m := c.Choices[0].Message
				assert.Empty(t, m.ToolCalls)
				assert.Nil(t, m.ReasoningContent, "0.11 names the field reasoning")
				assert.Len(t, strings.Fields(str(m.Reasoning)), 64)
				assert.Equal(t, "length", c.Choices[0].FinishReason)
				assert.Equal(t, 64, c.Usage.CompletionTokens)
			}},
		{name: "exhausted named, 0.10", persona: "reasoning_exhausted_guided?vllm=0.10", mod: func(m map[string]any) { named(m); m["max_tokens"] = 64 }, reason: "arguments=content: the cut <think>",
			check: func(t *testing.T, c completion, _ string) {
				require.Len(t, c.Choices[0].Message.ToolCalls, 1)
				assert.True(t, strings.HasPrefix(c.Choices[0].Message.ToolCalls[0].fn(t).Arguments, "<think>\n"))
				assert.Equal(t, "length", c.Choices[0].FinishReason)
			}},
		{name: "healthy 0.10 required finishes stop", persona: "healthy?vllm=0.10", mod: required, reason: "the engine's reason in 0.10's non-streamed required path",
			check: func(t *testing.T, c completion, _ string) {
				assert.Equal(t, "stop", c.Choices[0].FinishReason)
				assert.Len(t, c.Choices[0].Message.ToolCalls, 1)
			}},
		{name: "healthy 0.11 required finishes tool_calls", persona: "healthy?vllm=0.11", mod: required, reason: "later versions answer tool_calls",
			check: func(t *testing.T, c completion, _ string) { assert.Equal(t, "tool_calls", c.Choices[0].FinishReason) }},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestIssue10StreamSignatures: the streaming-only wire faults.
func TestIssue10StreamSignatures(t *testing.T) {
	t.Parallel()
	t.Run("no index", func(t *testing.T) {
		_, url := serve(t, "stream_no_index")
		resp := post(t, url, body(t, true, nil))
		cs, done := sse(t, resp.Body)
		assert.True(t, done)
		seen := false
		for _, c := range cs {
			for _, ch := range c.Choices {
				for _, tc := range ch.Delta.ToolCalls {
					seen = true
					assert.Nil(t, tc.Index, "no index on any tool-call delta")
				}
			}
		}
		assert.True(t, seen)
	})
	t.Run("no usage", func(t *testing.T) {
		_, url := serve(t, "stream_no_usage")
		s := streamReq(t, url, body(t, true, nil))
		assert.True(t, s.done)
		assert.Zero(t, s.usage, "include_usage was sent, no usage chunk came")
	})
}
