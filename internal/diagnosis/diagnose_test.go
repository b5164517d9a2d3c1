package diagnosis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

func codesOf(fs []Finding) []Code {
	out := []Code{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// TestResponseOnRecordedBodies runs Response over the recorded vLLM bodies in
// testdata (each file names its source in _source).
func TestResponseOnRecordedBodies(t *testing.T) {
	weather := []string{"get_current_weather", "web_search"}
	square := []string{"square_the_number"}
	type testCase struct {
		name   string
		file   string
		want   Expectation
		codes  []Code
		detail string // a piece of the first finding's Detail
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		r, err := loadRecord(tc.file)
		require.NoError(t, err)
		require.True(t, r.OK(), "a 2xx body")
		got := Response(r, tc.want)
		assert.Equal(t, tc.codes, codesOf(got), tc.reason)
		if tc.detail != "" && assert.NotEmpty(t, got) {
			assert.Contains(t, got[0].Detail, tc.detail)
		}
		for _, f := range got {
			assert.NotContains(t, f.Detail, "\n", "a Detail is one line")
			assert.LessOrEqual(t, len([]rune(f.Detail)), 260, "a Detail is short")
			_, known := Catalog[f.Code]
			assert.True(t, known, "%s has catalog text", f.Code)
		}
	}
	for _, tc := range []testCase{
		{name: "hermes tags in content", file: "hermes_leak_tags.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ParserMismatchHermes}, detail: `<tool_call> {"name": "get_current_weather"`,
			reason: "hermes markup left in content with no tool_calls: the server lacks --tool-call-parser hermes"},
		{name: "hermes bare JSON (17161)", file: "hermes_leak_bare_json_17161.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ParserMismatchHermes}, detail: "bare JSON call to get_current_weather",
			reason: "the issue's content is the Hermes JSON without its tags; still a parser mismatch, not prose"},
		{name: "bare JSON naming an unoffered function is prose", file: "hermes_leak_bare_json_17161.json", want: Expectation{WantCall: true, Offered: []string{"lookup"}, ToolChoice: "auto"},
			codes:  []Code{NoToolCall},
			reason: "JSON that does not name an offered tool is not taken for a call"},
		{name: "qwen3-coder XML (21571)", file: "xml_leak_21571.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "auto"},
			codes: []Code{ParserMismatchXML}, detail: "<function=square_the_number>",
			reason: "XML is checked before hermes: both start with <tool_call>"},
		{name: "correct auto call", file: "tool_call_ok_21571.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "auto"},
			codes: []Code{}, reason: "a parsed call with finish_reason tool_calls is healthy"},
		{name: "call not wanted", file: "tool_call_ok_21571.json", want: Expectation{WantCall: false, Offered: square, ToolChoice: "none"},
			codes: []Code{UnexpectedToolCall}, detail: `tool_choice "none"`, reason: "tool_choice none yet a call"},
		{name: "unknown function", file: "tool_call_ok_21571.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{UnknownFunction}, detail: `"square_the_number"`, reason: "the called name was not offered"},
		{name: "named choice answers stop", file: "named_choice_stop.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "square_the_number"},
			codes: []Code{}, reason: "vLLM returns stop for a named tool_choice; not a mismatch"},
		{name: "required answers stop", file: "named_choice_stop.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "required"},
			codes: []Code{}, reason: "vLLM's non-streamed required path keeps the engine's stop"},
		{name: "auto answers stop with calls", file: "auto_calls_with_stop.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "auto"},
			codes: []Code{FinishReasonMismatch}, detail: `"stop" under tool_choice auto`, reason: "under auto vLLM sends tool_calls; stop breaks clients that trust it"},
		{name: "null function", file: "null_function.json", want: Expectation{WantCall: true, Offered: square, ToolChoice: "auto"},
			codes: []Code{MalformedToolCall}, detail: "has no function", reason: "a call object without function"},
		{name: "unclosed think at length", file: "reasoning_exhausted_think.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto", MaxTokens: 256},
			codes: []Code{ReasoningExhaustedMaxTokens}, detail: "max_tokens=256 ran out inside <think> (completion_tokens=256)",
			reason: "the budget ran out while thinking; not reasoning_parser_missing, not no_tool_call"},
		{name: "reasoning field at length, budget from record", file: "reasoning_exhausted_field.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ReasoningExhaustedMaxTokens}, detail: "max_tokens=256 ran out inside reasoning",
			reason: "reasoning present, content empty, finish length; the budget comes from the record when the expectation has none"},
		{name: "tool call in reasoning", file: "tool_call_in_reasoning.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ToolCallInReasoning}, detail: "reasoning holds <tool_call>",
			reason: "the tool parser reads content only, so the call is lost"},
		{name: "think tags in content", file: "think_in_content.json", want: Expectation{WantCall: false, ToolChoice: "auto"},
			codes: []Code{ReasoningParserMissing}, detail: "<think>", reason: "closed think block in content: no reasoning parser"},
		{name: "prose where a call was wanted", file: "prose.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{NoToolCall}, detail: "I don't have real-time weather", reason: "nothing more specific applies"},
		{name: "prose where none was wanted", file: "prose.json", want: Expectation{WantCall: false, Offered: weather, ToolChoice: "auto"},
			codes: []Code{}, reason: "an irrelevance answer in prose is right"},

		// Issue 10: causes the parser codes used to take.
		{name: "hermes call cut by max_tokens under auto", file: "truncated_hermes_auto.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto", MaxTokens: 64},
			codes: []Code{ToolCallTruncatedMaxTokens}, detail: "max_tokens=64 was hit (finish_reason length, completion_tokens=64) inside a tool call left in content: <tool_call>",
			reason: "the hermes parser is on; it cannot decode a cut call. Never parser_mismatch_hermes, which would name a flag already set"},
		{name: "named call cut by max_tokens", file: "truncated_named_args.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "get_current_weather"},
			codes: []Code{ToolCallTruncatedMaxTokens}, detail: `max_tokens=16 was hit (finish_reason length, completion_tokens=16): tool_calls[0] (get_current_weather) arguments end unterminated: {"city": "Berlin", "state": "B`,
			reason: "guided decoding makes the JSON certain unless the budget cuts it; not finish_reason_mismatch, budget from the record"},
		{name: "markup under tool_choice none", file: "markup_under_none.json", want: Expectation{WantCall: false, Offered: weather, ToolChoice: "none"},
			codes: []Code{ToolMarkupUnderNone}, detail: `tool_choice "none", yet content holds <tool_call>`,
			reason: "vLLM parses nothing under none: the model wrote a call it was told not to make; never parser_mismatch_*"},
		{name: "</think> without <think>", file: "think_end_only.json", want: Expectation{WantCall: false, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ReasoningStartTagInPrompt}, detail: "content holds </think> without <think>",
			reason: "the template opened <think> in the prompt; --reasoning-parser qwen3 is already there, deepseek_r1 is the fix"},
		{name: "non-thinking model with a reasoning parser", file: "answer_in_reasoning.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{AnswerInReasoning}, detail: "reasoning holds the whole answer (a tool call)",
			reason: "nothing was thought before the call: the answer itself went to reasoning; not tool_call_in_reasoning, not no_tool_call"},
		{name: "mistral markup", file: "mistral_leak.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ParserMismatchMistral}, detail: "[TOOL_CALLS][{",
			reason: "Mistral's own markup: its own parser code, not no_tool_call"},
		{name: "mistral v11 markup", file: "mistral_leak_v11.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ParserMismatchMistral}, detail: "[TOOL_CALLS]get_current_weather[ARGS]",
			reason: "the newer tokenizer's NAME[ARGS] form"},
		{name: "harmony markup", file: "harmony_leak.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "auto"},
			codes: []Code{ParserMismatchHarmony}, detail: "<|channel|>commentary to=functions.get_current_weather",
			reason: "gpt-oss harmony channels: --tool-call-parser openai"},
		{name: "mistral markup under none", file: "mistral_leak.json", want: Expectation{WantCall: false, Offered: weather, ToolChoice: "none"},
			codes: []Code{ToolMarkupUnderNone}, detail: "[TOOL_CALLS]",
			reason: "any format: under none it is the model's"},
		{name: "required, reasoning exhausted, newer vLLM", file: "required_reasoning_exhausted_newer.json", want: Expectation{WantCall: true, Offered: weather, ToolChoice: "required"},
			codes: []Code{ReasoningExhaustedMaxTokens}, detail: "max_tokens=256 ran out inside reasoning (completion_tokens=256)",
			reason: "newer vLLM answers no call; the budget, not the server, is at fault"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestResponseRules(t *testing.T) {
	type testCase struct {
		name   string
		rec    record.Record
		want   Expectation
		codes  []Code
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		assert.Equal(t, tc.codes, codesOf(Response(&tc.rec, tc.want)), tc.reason)
	}
	call := []record.ToolCall{{Name: "f", Arguments: "{}"}}
	for _, tc := range []testCase{
		{name: "tool_calls without calls", rec: record.Record{Status: 200, Content: "Hello", FinishReason: "tool_calls"}, want: Expectation{},
			codes: []Code{FinishReasonMismatch}, reason: "finish_reason claims calls that are not there"},
		{name: "calls cut by length", rec: record.Record{Status: 200, ToolCalls: call, FinishReason: "length", MaxTokens: 64}, want: Expectation{WantCall: true, Offered: []string{"f"}},
			codes: []Code{FinishReasonMismatch}, reason: "a call under length may be truncated"},
		{name: "streamed required says tool_calls", rec: record.Record{Status: 200, ToolCalls: call, FinishReason: "tool_calls"}, want: Expectation{WantCall: true, ToolChoice: "required"},
			codes: []Code{}, reason: "vLLM's stream sends tool_calls for required; fine"},
		{name: "XML without the tool_call token", rec: record.Record{Status: 200, Content: "<function=f>\n<parameter=x>\n1\n</parameter>\n</function>", FinishReason: "stop"}, want: Expectation{WantCall: true},
			codes: []Code{ParserMismatchXML}, reason: "<tool_call> is a special token and may be stripped; <function=...> remains"},
		{name: "open think without length", rec: record.Record{Status: 200, Content: "<think>\nhmm", FinishReason: "stop"}, want: Expectation{},
			codes: []Code{ReasoningParserMissing}, reason: "unfinished think but the model stopped: not a budget problem"},
		{name: "reasoning at length but content present", rec: record.Record{Status: 200, Reasoning: "thinking", Content: "The answer is", FinishReason: "length"}, want: Expectation{WantCall: true},
			codes: []Code{NoToolCall}, reason: "reasoning finished (content started): the budget did not end inside reasoning"},
		{name: "call in reasoning and budget", rec: record.Record{Status: 200, Reasoning: "<tool_call>\n{\"name\": \"f\"", FinishReason: "length", MaxTokens: 32}, want: Expectation{WantCall: true},
			codes: []Code{ToolCallInReasoning, ReasoningExhaustedMaxTokens}, reason: "both apply and both remedies help"},
		{name: "leak on a no-call step", rec: record.Record{Status: 200, Content: "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", FinishReason: "stop"}, want: Expectation{WantCall: false},
			codes: []Code{ParserMismatchHermes}, reason: "markup is a parser problem whether or not a call was wanted"},
		{name: "cut at the budget, finish stop", rec: record.Record{Status: 200, Content: "<tool_call>\n{\"na", FinishReason: "stop", CompletionTokens: 32, MaxTokens: 32}, want: Expectation{WantCall: true},
			codes: []Code{ToolCallTruncatedMaxTokens}, reason: "completion_tokens == max_tokens: cut, even before \"name\" (the hermes pattern would not match)"},
		{name: "complete hermes call at length", rec: record.Record{Status: 200, Content: "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", FinishReason: "length", CompletionTokens: 20, MaxTokens: 20}, want: Expectation{WantCall: true, ToolChoice: "auto"},
			codes: []Code{ToolCallTruncatedMaxTokens}, reason: "the budget ended right at the call: truncation is checked before the parser"},
		{name: "xml call cut under auto", rec: record.Record{Status: 200, Content: "<tool_call>\n<function=f>\n<parameter=x>\n1", FinishReason: "length", MaxTokens: 12}, want: Expectation{WantCall: true},
			codes: []Code{ToolCallTruncatedMaxTokens}, reason: "any format"},
		{name: "think open at length with markup inside", rec: record.Record{Status: 200, Content: "<think>\nI could use <tool_call> here", FinishReason: "length", MaxTokens: 12}, want: Expectation{WantCall: true},
			codes: []Code{ReasoningExhaustedMaxTokens}, reason: "markup inside an unfinished <think> is reasoning, not a cut call"},
		{name: "valid calls at length", rec: record.Record{Status: 200, ToolCalls: call, FinishReason: "length", MaxTokens: 64}, want: Expectation{WantCall: true, ToolChoice: "f"},
			codes: []Code{FinishReasonMismatch}, reason: "complete arguments: nothing was cut, but length still does not fit calls"},
		{name: "required calls cut", rec: record.Record{Status: 200, ToolCalls: []record.ToolCall{{Name: "f", Arguments: `{"x": "ab`}}, FinishReason: "length", MaxTokens: 8}, want: Expectation{WantCall: true, ToolChoice: "required"},
			codes: []Code{ToolCallTruncatedMaxTokens}, reason: "unterminated arguments under required (a streamed answer)"},
		{name: "0.10 named call whose arguments are the cut reasoning", rec: record.Record{Status: 200, ToolCalls: []record.ToolCall{{Name: "f", Arguments: "<think>\nOkay, the user wants"}}, FinishReason: "length", MaxTokens: 256, CompletionTokens: 256}, want: Expectation{WantCall: true, ToolChoice: "f"},
			codes: []Code{ReasoningExhaustedMaxTokens}, reason: "serving_chat.py's named path makes content the arguments; the budget ran out thinking"},
		{name: "prose in reasoning, content empty", rec: record.Record{Status: 200, Reasoning: "The capital of France is Paris.", FinishReason: "stop"}, want: Expectation{WantCall: false, ToolChoice: "auto"},
			codes: []Code{AnswerInReasoning}, reason: "a non-thinking model's answer taken by the reasoning parser"},
		{name: "thinking, then call in reasoning", rec: record.Record{Status: 200, Reasoning: "Let me think.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", FinishReason: "stop"}, want: Expectation{WantCall: true},
			codes: []Code{ToolCallInReasoning}, reason: "thought came first: a thinking model whose call stayed in reasoning"},
		{name: "call in reasoning under none", rec: record.Record{Status: 200, Reasoning: "Let me think.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", Content: "It is sunny.", FinishReason: "stop"}, want: Expectation{WantCall: false, ToolChoice: "none"},
			codes: []Code{ToolMarkupUnderNone}, reason: "no parser runs under none: the model's call, not the reasoning/tool parser interaction"},
		{name: "healthy thinking answer", rec: record.Record{Status: 200, Reasoning: "hmm", Content: "Paris.", FinishReason: "stop"}, want: Expectation{WantCall: false},
			codes: []Code{}, reason: "reasoning and content both present"},
		{name: "markup under none, cut", rec: record.Record{Status: 200, Content: "<tool_call>\n{\"name\": \"f\", \"argu", FinishReason: "length", MaxTokens: 16}, want: Expectation{WantCall: false, ToolChoice: "none"},
			codes: []Code{ToolMarkupUnderNone}, reason: "under none the model should not write a call at all; nothing to raise"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestTransport(t *testing.T) {
	on, off := true, false
	type testCase struct {
		name   string
		file   string        // a recorded error body, or
		rec    record.Record // a record built here
		code   Code          // "" means no finding
		detail string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		r := &tc.rec
		if tc.file != "" {
			var err error
			r, err = loadRecord(tc.file)
			require.NoError(t, err)
		}
		got := Transport(r)
		if tc.code == "" {
			assert.Empty(t, got, tc.reason)
			return
		}
		require.Len(t, got, 1, tc.reason)
		assert.Equal(t, tc.code, got[0].Code, tc.reason)
		assert.Contains(t, got[0].Detail, tc.detail)
	}
	for _, tc := range []testCase{
		{name: "auto tool choice without parser", file: "tool_parser_not_enabled.json", code: ToolParserNotEnabled,
			detail: `HTTP 400: "auto" tool choice requires --enable-auto-tool-choice`, reason: "current envelope {error:{message}}"},
		{name: "auto tool choice, legacy envelope", file: "tool_parser_not_enabled_legacy.json", code: ToolParserNotEnabled,
			detail: "--tool-call-parser to be set", reason: `vLLM <= 0.10 {"object":"error","message":...}`},
		{name: "required without parser", rec: record.Record{Status: 400, ErrorKind: record.ErrHTTP, Body: `{"error":{"message":"tool_choice=\"required\" requires --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400}}`},
			code: ToolParserNotEnabled, detail: "requires --tool-call-parser", reason: "the same fix for required"},
		{name: "context length, legacy wording", file: "context_length_legacy.json", code: ContextLengthExceeded,
			detail: "maximum context length is 16384", reason: "issue 20409"},
		{name: "context length, max_tokens too large", file: "context_length_max_tokens.json", code: ContextLengthExceeded,
			detail: "'max_tokens' or 'max_completion_tokens' is too large", reason: "newer wording"},
		{name: "prompt too long to fit", rec: record.Record{Status: 400, Body: `{"error":{"message":"The prompt (total length 25938) is too long to fit into the model (context length 4096). Make sure that ` + "`max_model_len`" + ` is no smaller than the number of text tokens plus multimodal tokens.","type":"BadRequestError","param":null,"code":400}}`},
			code: ContextLengthExceeded, detail: "too long to fit", reason: "vLLM issue 12165 wording"},
		{name: "unknown model", file: "model_not_found.json", code: ModelNotFound, detail: "The model `x` does not exist.", reason: "404"},
		{name: "wrong key", file: "unauthorized.json", code: AuthFailed, detail: "HTTP 401: Unauthorized", reason: `{"error": "Unauthorized"}`},
		{name: "forbidden", rec: record.Record{Status: 403, Body: "<html>Forbidden</html>"}, code: AuthFailed, detail: "HTTP 403: <html>Forbidden</html>", reason: "403 from a proxy"},
		{name: "rate limited", file: "rate_limited.json", code: RateLimited, detail: "Max rpm reached", reason: "429"},
		{name: "retry-after kept", rec: record.Record{Status: 429, RetryAfter: "7"}, code: RateLimited, detail: "Retry-After 7", reason: "recorded, never retried"},
		{name: "other 400", rec: record.Record{Status: 400, Body: `{"error":{"message":"temperature must be non-negative","type":"BadRequestError","param":null,"code":400}}`},
			code: BadRequest, detail: "temperature must be non-negative", reason: "not a known 400"},
		{name: "422 validation", rec: record.Record{Status: 422, Body: `{"detail":[{"loc":["body","messages"],"msg":"field required"}]}`}, code: BadRequest, detail: "field required", reason: "FastAPI's detail"},
		{name: "server error", file: "server_error.json", code: ServerError, detail: "HTTP 500: EngineCore", reason: "5xx"},
		{name: "timeout", rec: record.Record{ErrorKind: record.ErrTimeout, Error: "no answer within 120s"}, code: Timeout, detail: "120s", reason: "kind, no status"},
		{name: "unreachable", rec: record.Record{ErrorKind: record.ErrUnreachable, Error: "dial tcp 10.0.0.1:5002: connect: connection refused"}, code: Unreachable, detail: "connection refused", reason: "kind"},
		{name: "decode", rec: record.Record{Status: 200, ErrorKind: record.ErrDecode, Body: "<!doctype html><title>Login</title>"}, code: BadResponse, detail: "Login", reason: "a proxy's HTML page"},
		{name: "stream", rec: record.Record{Status: 200, ErrorKind: record.ErrStream, Error: "stream ended without [DONE]"}, code: StreamBroken, detail: "[DONE]", reason: "kind"},
		{name: "too large", rec: record.Record{Status: 200, ErrorKind: record.ErrTooLarge, Error: "body over 8 MiB"}, code: ResponseTooLarge, detail: "8 MiB", reason: "kind"},
		{name: "canceled", rec: record.Record{ErrorKind: record.ErrCanceled}, reason: "an interrupted run is not a server fault"},

		// vLLM 0.10 under required/named with thinking on (issue 10).
		{name: "0.10 required, reasoning cut, 400", file: "required_invalid_json_400.json", code: ReasoningExhaustedMaxTokens,
			detail: `max_tokens=256 under tool_choice "required" with thinking on: HTTP 400: 1 validation error for list[FunctionDefinition]`,
			reason: "the guided JSON never started: reasoning ate the budget; not bad_request"},
		{name: "0.10 required, reasoning cut, 500", rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: "Internal Server Error", ToolChoice: "required", Thinking: &on, MaxTokens: 256},
			code: ReasoningExhaustedMaxTokens, detail: "content assertion", reason: "assert content is not None escapes as Starlette's plain 500; not server_error"},
		{name: "0.10 named, reasoning cut, 500", rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: "Internal Server Error\n", ToolChoice: "get_forecast", Thinking: &on, MaxTokens: 256},
			code: ReasoningExhaustedMaxTokens, detail: `"get_forecast" (named)`, reason: "named choices too"},
		{name: "0.10 required without thinking, 400", rec: record.Record{Status: 400, ErrorKind: record.ErrHTTP, ToolChoice: "required", Thinking: &off, MaxTokens: 16,
			Body: `{"object":"error","message":"1 validation error for list[FunctionDefinition]\n  Invalid JSON: EOF while parsing a string at line 1 column 40 [type=json_invalid]","type":"BadRequestError","param":null,"code":400}`},
			code: ToolCallTruncatedMaxTokens, detail: "max_tokens=16", reason: "no thinking: the call itself was cut"},
		{name: "500 with thinking off stays server_error", rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: "Internal Server Error", ToolChoice: "required", Thinking: &off},
			code: ServerError, detail: "HTTP 500", reason: "nothing points at the budget"},
		{name: "500 under auto stays server_error", rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: "Internal Server Error", ToolChoice: "auto", Thinking: &on},
			code: ServerError, detail: "HTTP 500", reason: "auto has no guided output to validate"},
		{name: "engine error under required stays server_error", rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: `{"error":{"message":"EngineCore encountered an issue.","type":"InternalServerError","code":500}}`, ToolChoice: "required", Thinking: &on},
			code: ServerError, detail: "EngineCore", reason: "vLLM's own JSON error is a crash, not the assertion"},
		{name: "ok", rec: record.Record{Status: 200}, reason: "nothing to classify"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestSnippetIsOneShortLine(t *testing.T) {
	s := Snippet("a\n\n b\t" + strings.Repeat("é", 200))
	assert.NotContains(t, s, "\n")
	assert.True(t, strings.HasPrefix(s, "a b "))
	assert.True(t, strings.HasSuffix(s, "…"))
	assert.LessOrEqual(t, len(s), detailMax+len("…"))
}

// FuzzResponse feeds arbitrary bytes through the body decoder and both
// classifiers, and as raw content and reasoning: nothing may panic.
func FuzzResponse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(f, err)
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"choices":[{"message":{"tool_calls":[{"function":null},{}]}}]}`))
	f.Add([]byte("<think><tool_call><function=x><parameter="))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := recordFromBody(data)
		if err != nil {
			r = &record.Record{Status: 200, ErrorKind: record.ErrDecode, Body: string(data)}
		}
		for _, want := range []Expectation{{WantCall: true, Offered: []string{"get_current_weather"}, ToolChoice: "auto"}, {ToolChoice: "none"}, {WantCall: true, ToolChoice: "f"}} {
			for _, fd := range append(Transport(r), Response(r, want)...) {
				if strings.Contains(fd.Detail, "\n") {
					t.Fatalf("multi-line detail %q", fd.Detail)
				}
			}
		}
		raw := &record.Record{Status: 200, Content: string(data), Reasoning: string(data), FinishReason: "length", Body: string(data)}
		Response(raw, Expectation{WantCall: true})
		raw.Status = 400
		Transport(raw)
	})
}

// TestKindOfIssue10Codes: the classification of issue 10's codes.
func TestKindOfIssue10Codes(t *testing.T) {
	type testCase struct {
		code   Code
		choice string
		kind   Kind
		reason string
	}
	for _, tc := range []testCase{
		{ToolCallTruncatedMaxTokens, "auto", KindModel, "how long the model writes"},
		{ToolCallTruncatedMaxTokens, "required", KindModel, "the budget, also under guided decoding"},
		{ToolMarkupUnderNone, "none", KindModel, "vLLM parses nothing under none: the model wrote the call"},
		{ReasoningExhaustedMaxTokens, "required", KindModel, "how long the model thinks"},
		{ParserMismatchMistral, "auto", KindServer, "a missing parser flag"},
		{ParserMismatchHarmony, "auto", KindServer, "a missing parser flag"},
		{ReasoningStartTagInPrompt, "auto", KindServer, "the reasoning parser's configuration"},
		{AnswerInReasoning, "auto", KindServer, "a reasoning parser on a model that does not think"},
		{WireFormat, "auto", KindServer, "the serializer"},
		{WireFormat, "none", KindServer, "the serializer"},
	} {
		t.Run(string(tc.code)+"/"+tc.choice, func(t *testing.T) {
			assert.Equal(t, tc.kind, KindOf(tc.code, tc.choice), tc.reason)
			_, known := Catalog[tc.code]
			assert.True(t, known, "catalog text")
		})
	}
}
