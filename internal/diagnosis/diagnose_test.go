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
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestTransport(t *testing.T) {
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
