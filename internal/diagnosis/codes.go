// Package diagnosis turns one recorded response into the diagnosis codes
// (docs/reference.md lists them, generated from Catalog), each with a one-line explanation and the remedy to print.
// Everything here is a pure function of its inputs.
package diagnosis

// Code is a diagnosis code. The names are public and fixed (docs/outputs.md).
type Code string

const (
	ToolParserNotEnabled        Code = "tool_parser_not_enabled"
	ParserMismatchHermes        Code = "parser_mismatch_hermes"
	ParserMismatchXML           Code = "parser_mismatch_xml"
	ReasoningExhaustedMaxTokens Code = "reasoning_exhausted_max_tokens"
	ReasoningParserMissing      Code = "reasoning_parser_missing"
	ToolCallInReasoning         Code = "tool_call_in_reasoning"
	NoToolCall                  Code = "no_tool_call"
	UnexpectedToolCall          Code = "unexpected_tool_call"
	UnknownFunction             Code = "unknown_function"
	InvalidJSONArguments        Code = "invalid_json_arguments"
	SchemaViolation             Code = "schema_violation"
	ArgsMismatch                Code = "args_mismatch"
	FinishReasonMismatch        Code = "finish_reason_mismatch"
	StreamMismatch              Code = "stream_mismatch"
	AuthFailed                  Code = "auth_failed"
	ModelNotFound               Code = "model_not_found"
	ContextLengthExceeded       Code = "context_length_exceeded"
	ServerError                 Code = "server_error"
	Timeout                     Code = "timeout"
	Unreachable                 Code = "unreachable"
	// Codes added after the first release (additions are allowed).
	RateLimited      Code = "rate_limited"       // HTTP 429
	BadResponse      Code = "bad_response"       // 2xx whose body is not the expected JSON (HTML page, wrong shape)
	StreamBroken     Code = "stream_broken"      // SSE cut off, no [DONE], undecodable chunk
	StreamMalformed  Code = "stream_malformed"   // stream well-delimited but structurally wrong (name twice, id changed, ...)
	ResponseTooLarge Code = "response_too_large" // body passed ACCEPTANCE_MAX_RESPONSE_BYTES
	AnswerMismatch   Code = "answer_mismatch"    // final answer lacks what the tool result said
	BadRequest       Code = "bad_request"        // other HTTP 4xx
	// MalformedToolCall: a tool_calls entry whose "function" is null or
	// missing (record.ToolCall.NullFunction). It is not invalid_json_arguments
	// (there are no arguments to parse) nor bad_response (the body decoded):
	// the server built a call object without a function, a serializer bug.
	MalformedToolCall Code = "malformed_tool_call"
	// InvalidConfig and InvalidFixture: the run could not start because a
	// knob (environment or ACCEPTANCE_PROFILE) or a scenario file is wrong.
	// Not the server's fault; every case fails at once with the line.
	InvalidConfig  Code = "invalid_config"
	InvalidFixture Code = "invalid_fixture"

	// Codes of issue 10 (docs/diagnosis.md says what vLLM does for each,
	// with the source file and version).

	// ToolCallTruncatedMaxTokens: a tool call cut off by max_tokens
	// (finish_reason length, or completion_tokens at the budget): markup
	// left in content under auto, unterminated arguments under required or
	// a named choice. Checked before any parser code.
	ToolCallTruncatedMaxTokens Code = "tool_call_truncated_max_tokens"
	// ToolMarkupUnderNone: tool-call markup in content under tool_choice
	// "none". vLLM parses nothing there and keeps the tools in the prompt
	// unless --exclude-tools-when-tool-choice-none is set.
	ToolMarkupUnderNone Code = "tool_markup_under_none"
	// ReasoningStartTagInPrompt: "</think>" in content with no "<think>":
	// the chat template opened <think> in the prompt, and a qwen3 reasoning
	// parser that needs both tags left the reasoning in content.
	ReasoningStartTagInPrompt Code = "reasoning_start_tag_in_prompt"
	// AnswerInReasoning: a model that does not think, served with a
	// reasoning parser, whose whole answer (prose or call markup) landed in
	// reasoning: content empty, finish_reason stop, no tool_calls.
	AnswerInReasoning Code = "answer_in_reasoning"
	// ParserMismatchMistral: Mistral's [TOOL_CALLS] markup left in content.
	ParserMismatchMistral Code = "parser_mismatch_mistral"
	// ParserMismatchHarmony: gpt-oss harmony channel markup
	// (<|channel|>commentary to=functions.NAME ... <|message|>) left in content.
	ParserMismatchHarmony Code = "parser_mismatch_harmony"
	// WireFormat: a tool call that breaks the OpenAI wire format (arguments
	// not a string, id missing or repeated, type not "function", a streamed
	// delta without index, usage missing though include_usage was asked).
	WireFormat Code = "wire_format"

	// TimeoutTooShort: the request's time budget ended while the answer
	// was still coming (issue 24): a stream still delivering tokens at a
	// steady rate, or a non-streamed request whose max_tokens needs longer
	// than the budget at the pace the suite measured. The budget was too
	// short for the answer, not the server too slow. Not a server fault;
	// the detail gives the tokens received, the rate and the budget, and
	// the remedy names the knob. A stream that went silent before the
	// budget ended stays Timeout.
	TimeoutTooShort Code = "request_timeout_too_short"
)

// Info is what the suite prints for a code.
type Info struct {
	// Seen says what was observed, in words a user recognises.
	Seen string
	// Remedy says what to do; empty where there is nothing to change.
	Remedy string
}

// Catalog holds the text for every code. It is the one source of the
// wording: docs/reference.md is generated from it (go test ./internal/docs
// -update).
var Catalog = map[Code]Info{
	ToolParserNotEnabled: {
		Seen:   `HTTP 400 "auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set`,
		Remedy: "start vLLM with --enable-auto-tool-choice --tool-call-parser <parser> (hermes for Qwen2.5/Qwen3)",
	},
	ParserMismatchHermes: {
		Seen:   `<tool_call>{"name": ...}</tool_call> JSON markup left in content, no tool_calls`,
		Remedy: "start vLLM with --tool-call-parser hermes (Qwen2.5/Qwen3, Hermes-style models)",
	},
	ParserMismatchXML: {
		Seen:   "<tool_call><function=...><parameter=...> XML markup left in content, no tool_calls",
		Remedy: "start vLLM with --tool-call-parser qwen3_coder (or qwen3_xml)",
	},
	ReasoningExhaustedMaxTokens: {
		Seen:   "finish_reason length inside unfinished reasoning, no tool call",
		Remedy: "raise max_tokens, or disable thinking (chat_template_kwargs.enable_thinking=false)",
	},
	ReasoningParserMissing: {
		Seen:   "<think> / </think> tags in content",
		Remedy: "start vLLM with --reasoning-parser qwen3 (or the model's reasoning parser)",
	},
	ToolCallInReasoning: {
		Seen:   "<tool_call> inside reasoning / reasoning_content, so the tool parser never saw it",
		Remedy: "known reasoning/tool parser interaction: pin a vLLM version without it, or disable thinking",
	},
	NoToolCall: {
		Seen:   "plain prose, no tool-call markup and no tool_calls",
		Remedy: "the model chose not to call: check the prompt, tool_choice and the chat template",
	},
	UnexpectedToolCall: {
		Seen:   "a tool call where none was wanted (irrelevant request, or tool_choice none)",
		Remedy: "check the chat template and tool_choice handling; the model over-calls",
	},
	UnknownFunction: {
		Seen:   "called a function name that is not among the offered tools",
		Remedy: "check the tool parser and chat template; the model invents tool names",
	},
	InvalidJSONArguments: {
		Seen:   "tool-call arguments do not parse as a JSON object",
		Remedy: `consider "strict": true or structured outputs (guided decoding) for tool arguments`,
	},
	SchemaViolation: {
		Seen:   "arguments parse but break the tool's JSON Schema",
		Remedy: `consider "strict": true or structured outputs so arguments follow the schema`,
	},
	ArgsMismatch: {
		Seen:   "a valid call with the wrong values for this scenario",
		Remedy: "model quality: compare with another model or prompt; the parser is working",
	},
	FinishReasonMismatch: {
		Seen:   `finish_reason does not fit the answer (calls with "stop", or "tool_calls" with no calls)`,
		Remedy: "check the vLLM version and tool parser; clients that trust finish_reason will break",
	},
	StreamMismatch: {
		Seen:   "streamed deltas do not reassemble into the non-streamed call",
		Remedy: "streaming tool parser bug: pin a vLLM version whose streamed calls match, or do not stream tool calls",
	},
	AuthFailed: {
		Seen:   "HTTP 401/403: the server refused the key",
		Remedy: "check VLLM_API_KEY against the server's --api-key",
	},
	ModelNotFound: {
		Seen:   "HTTP 404 for the model (or /v1/models lists no such model)",
		Remedy: "check VLLM_MODEL against GET /v1/models, and VLLM_BASE_URL ends in /v1",
	},
	ContextLengthExceeded: {
		Seen:   "HTTP 400 about the maximum context length",
		Remedy: "raise --max-model-len on the server, or lower max_tokens / the prompt size in the scenario file",
	},
	ServerError: {
		Seen:   "HTTP 5xx from the server",
		Remedy: "read the vLLM server log around this time; the engine may have crashed or run out of memory",
	},
	Timeout: {
		Seen:   "no answer within ACCEPTANCE_REQUEST_TIMEOUT",
		Remedy: "check the server is not stuck or overloaded; raise ACCEPTANCE_REQUEST_TIMEOUT for slow models",
	},
	Unreachable: {
		Seen:   "could not connect: connection refused, DNS or TLS failure",
		Remedy: "check VLLM_BASE_URL (scheme, host, port, /v1) and that the server is up",
	},
	RateLimited: {
		Seen:   "HTTP 429: the server or a gateway in front of it rate-limited the request",
		Remedy: "raise the gateway's limit for the test client, or lower concurrency; the suite records 429s and never retries",
	},
	BadResponse: {
		Seen:   "the body is not an OpenAI-style JSON response (an HTML page from a proxy, or the wrong shape)",
		Remedy: "check VLLM_BASE_URL points at the vLLM server itself (ending in /v1), not at a proxy or login page",
	},
	StreamBroken: {
		Seen:   "the SSE stream broke: cut off mid-chunk, no [DONE], or an undecodable chunk",
		Remedy: "check the server log and any proxy buffering or timeouts on streamed responses",
	},
	StreamMalformed: {
		Seen:   "the SSE stream is complete but breaks the OpenAI streaming format",
		Remedy: "streaming serializer bug: pin a vLLM version whose streams are well formed",
	},
	ResponseTooLarge: {
		Seen:   "the response body passed ACCEPTANCE_MAX_RESPONSE_BYTES and was cut",
		Remedy: "check max_tokens and the server; raise ACCEPTANCE_MAX_RESPONSE_BYTES if the size is expected",
	},
	AnswerMismatch: {
		Seen:   "the final answer does not use the tool result it was given",
		Remedy: "model quality or chat template: the tool message may not reach the model",
	},
	MalformedToolCall: {
		Seen:   `a tool_calls entry whose "function" is null or missing`,
		Remedy: "tool parser / response serializer bug: pin a vLLM version whose tool_calls carry a function, and report it upstream",
	},
	InvalidConfig: {
		Seen:   "a knob (environment variable or ACCEPTANCE_PROFILE settings file) has a bad value",
		Remedy: "correct the variable or settings key named in the message; it shows an example of a valid value",
	},
	InvalidFixture: {
		Seen:   "a scenario file in ACCEPTANCE_FIXTURES does not parse or breaks the fixture format",
		Remedy: "correct the file named in the message (YAML syntax, required fields), or point ACCEPTANCE_FIXTURES at the repository's fixtures/",
	},
	ToolCallTruncatedMaxTokens: {
		Seen:   "a tool call cut off by max_tokens (finish_reason length or completion_tokens at the limit): markup left in content, or unterminated arguments",
		Remedy: "raise max_tokens (the limit that was hit is in the message; ACCEPTANCE_THINKING_MAX_TOKENS for thinking-on attempts); the parser is not at fault",
	},
	ToolMarkupUnderNone: {
		Seen:   `tool-call markup in content under tool_choice "none" (vLLM parses nothing there, but keeps the tools in the prompt)`,
		Remedy: "start vLLM with --exclude-tools-when-tool-choice-none so the model does not see tools it may not call; the tool parser is not at fault",
	},
	ReasoningStartTagInPrompt: {
		Seen:   "</think> in content without <think>: the chat template opens <think> in the prompt and the reasoning parser needs both tags",
		Remedy: "start vLLM with --reasoning-parser deepseek_r1 (it accepts a missing <think>), or use a vLLM version whose qwen3 parser does",
	},
	AnswerInReasoning: {
		Seen:   "the whole answer landed in reasoning (content empty, finish_reason stop): a model that does not think, served with a reasoning parser",
		Remedy: "serve a non-thinking model without --reasoning-parser, or send chat_template_kwargs.enable_thinking=false to a vLLM whose qwen3 parser honours it",
	},
	ParserMismatchMistral: {
		Seen:   "[TOOL_CALLS] markup left in content, no tool_calls",
		Remedy: "start vLLM with --enable-auto-tool-choice --tool-call-parser mistral (Mistral models; with --tokenizer-mode mistral)",
	},
	ParserMismatchHarmony: {
		Seen:   "gpt-oss harmony markup (<|channel|>commentary to=functions.NAME ... <|message|>) left in content, no tool_calls",
		Remedy: "start vLLM with --enable-auto-tool-choice --tool-call-parser openai (gpt-oss)",
	},
	WireFormat: {
		Seen:   "a tool call breaks the OpenAI wire format (the field is named in the message)",
		Remedy: "response serializer bug: clients break on it (json.loads on an object, no tool_call_id to answer with); pin a vLLM version whose tool calls are well formed, or fix the proxy that rewrites them",
	},
	TimeoutTooShort: {
		Seen:   "the request's time budget ended while the answer was still coming: a stream still delivering tokens at a steady rate, or a non-streamed answer whose max_tokens needs longer than the budget at the measured pace (tokens, rate and budget in the message)",
		Remedy: "raise ACCEPTANCE_REQUEST_TIMEOUT to fit max_tokens at the server's decode rate, or unset it so the suite derives each request's budget from max_tokens at the measured pace; lower ACCEPTANCE_THINKING_MAX_TOKENS for thinking-on attempts",
	},
	BadRequest: {
		Seen:   "HTTP 4xx: the server rejected the request",
		Remedy: "read the error body: a request option may be unsupported by this server version",
	},
}

// Lookup returns the text for c, with a generic line for unknown codes.
func Lookup(c Code) Info {
	if i, ok := Catalog[c]; ok {
		return i
	}
	return Info{Seen: string(c)}
}
