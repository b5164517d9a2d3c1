package gate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestCallsDiffer(t *testing.T) {
	type testCase struct {
		name           string
		plain, stream  []record.ToolCall
		differ, reason string
	}
	run := func(t *testing.T, tc testCase) {
		d := callsDiffer(tc.plain, tc.stream)
		if tc.differ == "" {
			assert.Empty(t, d, tc.reason)
			return
		}
		assert.Contains(t, d, tc.differ, tc.reason)
	}
	c := func(name, args string) record.ToolCall { return record.ToolCall{Name: name, Arguments: args} }
	for _, tc := range []testCase{
		{"same JSON, other spacing and key order", []record.ToolCall{c("f", `{"a": 1, "b": [1,2]}`)}, []record.ToolCall{c("f", `{"b":[1,2],"a":1}`)}, "", "compared as parsed JSON, not text"},
		{"other value", []record.ToolCall{c("f", `{"a": 1}`)}, []record.ToolCall{c("f", `{"a": 2}`)}, `non-streamed [f{"a":1}] vs streamed [f{"a":2}]`, "both sides are shown"},
		{"other name", []record.ToolCall{c("f", `{}`)}, []record.ToolCall{c("g", `{}`)}, "vs streamed [g{}]", "names are compared"},
		{"one call missing", []record.ToolCall{c("f", `{}`), c("g", `{}`)}, []record.ToolCall{c("f", `{}`)}, "vs streamed [f{}]", "count matters"},
		{"both invalid, same text", []record.ToolCall{c("f", `{"a"`)}, []record.ToolCall{c("f", `{"a"`)}, "", "unparseable arguments compare as text"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestFailureMessageListsEveryFailedAttemptWithRemedy(t *testing.T) {
	m := ModeResult{
		Mode: Mode{Think: "off", Stream: true},
		Attempts: []Attempt{
			{N: 1, Passed: true},
			{N: 2, Findings: []diagnosis.Finding{{Code: diagnosis.ParserMismatchHermes, Detail: "content holds <tool_call>"}}},
			{N: 3, Findings: []diagnosis.Finding{{Code: diagnosis.Timeout}, {Code: diagnosis.StreamMalformed, Detail: "2 finish chunks"}}},
		},
		Scenario: sidecar.Scenario{Name: "simple", Mode: "think_off/stream", Attempts: 3, Passed: 1, PassRate: 1.0 / 3, MinPassRate: 1},
	}
	msg := FailureMessage(m)
	lines := strings.Split(msg, "\n")
	require.Len(t, lines, 4, "a headline and one line per finding of a failed attempt:\n%s", msg)
	assert.Equal(t, "simple [think_off/stream]: 1/3 attempts passed (33%, need 100%)", lines[0])
	assert.Contains(t, lines[1], "attempt 2: content holds <tool_call> [parser_mismatch_hermes] → fix: start vLLM with --tool-call-parser hermes")
	assert.Contains(t, lines[2], "attempt 3:")
	assert.Contains(t, lines[2], "[timeout] → fix:")
	assert.Contains(t, lines[3], "2 finish chunks [stream_malformed]")
}

func TestFinalizeToolCallingRates(t *testing.T) {
	m := &sidecar.Metrics{ToolCalling: &sidecar.ToolCalling{Scenarios: []sidecar.Scenario{
		{Name: "b", Category: "simple", Attempts: 4, Passed: 2, ExpectsCall: true, AttemptsWithCalls: 3, Verdict: "fail",
			Checks: map[string]int{"parsed": 3, "json_valid": 2, "schema_valid": 2, "args_match": 2}},
		{Name: "a", Category: "irrelevance", Attempts: 2, Passed: 2, Verdict: "pass", Checks: map[string]int{}},
	}}}
	finalizeToolCalling(m)
	tc := m.ToolCalling
	assert.Equal(t, "a", tc.Scenarios[0].Name, "scenarios are sorted so the sidecar diffs well")
	require.NotNil(t, tc.ParseSuccessRate)
	assert.InDelta(t, 3.0/4, *tc.ParseSuccessRate, 1e-9, "parse rate over attempts that expected a call only")
	require.NotNil(t, tc.JSONValidRate)
	assert.InDelta(t, 2.0/3, *tc.JSONValidRate, 1e-9, "JSON-valid rate over attempts that produced a call")
	assert.False(t, tc.Passed, "one failing scenario fails the area")
	require.Len(t, tc.Categories, 2)
	assert.Equal(t, "irrelevance", tc.Categories[0].Name)
	assert.Nil(t, tc.Categories[0].Parsed, "no call expected: the rate is null, not 0 or 1")
	assert.InDelta(t, 0.5, *tc.Categories[1].ArgsMatch, 1e-9)

	empty := &sidecar.Metrics{ToolCalling: &sidecar.ToolCalling{}}
	finalizeToolCalling(empty)
	assert.Nil(t, empty.ToolCalling.ParseSuccessRate, "no attempts: null, never a made-up 0 or 1")
}
