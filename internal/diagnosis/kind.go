package diagnosis

// Kind says what a failure means, and so how the suite judges it.
//
//   - Server: a server or configuration fault (wire format, markup the
//     parser should have taken, parsing under guided decoding, stream
//     structure, finish reasons, the reasoning split, HTTP and transport
//     failures). It must never happen: one failing attempt fails the case.
//   - Model: the model's behaviour (whether to call under tool_choice auto,
//     argument values, irrelevance, final answers, how long it thinks).
//     A healthy model errs now and then, so these are rates, judged with a
//     Wilson interval against a threshold and against the baseline.
type Kind string

const (
	KindServer Kind = "server"
	KindModel  Kind = "model"
)

// guided reports whether vLLM constrains the output with guided decoding
// (structured outputs) for this tool_choice: "required" (a JSON array of
// {name, parameters} whose schema is the anyOf of the offered tools) and a
// named function (that function's parameters schema). Under "auto" and
// "none" nothing is guided: the model's free text goes to the tool parser
// (auto) or to content (none).
//
// Source: vLLM v0.10.x vllm/entrypoints/openai/protocol.py,
// ChatCompletionRequest._get_guided_json_from_tool, whose schema
// to_sampling_params passes as guided_json (GuidedDecodingParams). Later
// releases, after the structured-outputs rework, name it
// _get_json_schema_from_tool and pass structured_outputs.json, and 2026
// main has it in vllm/entrypoints/openai/chat_completion/protocol.py; the
// rule (required and named guided, auto and none not) is the same. The method returns
// None for "none" (and, by falling through, for "auto"). serving_chat.py's
// chat_completion_full_generator then builds the calls of a named choice
// from the raw output (arguments=content) and, in v0.10, validates the
// "required" output with TypeAdapter(list[FunctionDefinition]).
func guided(toolChoice string) bool {
	switch toolChoice {
	case "", "auto", "none":
		return false
	}
	return true
}

// KindOf classifies a code under the tool_choice the request was sent with.
// What guided decoding makes certain (a call, its name, JSON and schema
// under "required" or a named choice) is the server's to deliver; under
// "auto" the same failures are the model's choice.
func KindOf(c Code, toolChoice string) Kind {
	switch c {
	case NoToolCall, UnknownFunction, InvalidJSONArguments, SchemaViolation:
		if guided(toolChoice) {
			return KindServer
		}
		return KindModel
	case UnexpectedToolCall:
		// vLLM parses nothing under "none": calls there come from the
		// server, not the model (serving_chat.py only runs the tool
		// parser when tool_choice is auto/required/named).
		if toolChoice == "none" {
			return KindServer
		}
		return KindModel
	case ArgsMismatch, AnswerMismatch, ReasoningExhaustedMaxTokens:
		return KindModel
	case ToolCallTruncatedMaxTokens:
		// How long the model writes: the budget ran out inside the call.
		// Its own code all the same, since the remedy is the budget.
		return KindModel
	case TimeoutTooShort:
		// The budget ended a healthy stream: the suite's budget (the
		// remedy names the knob), never a server fault. Judged with the
		// model-kind rates, as the other budget codes are.
		return KindModel
	case StructuredWrongValue, StructuredTruncatedMaxTokens:
		// The values the model chose, and how long it writes (the budget
		// names its own remedy).
		return KindModel
	case ToolMarkupUnderNone:
		// The model wrote a call it was told not to make; vLLM correctly
		// parses nothing under "none".
		return KindModel
	}
	return KindServer
}

// guidedRemedy is the remedy of a code whose kind turns to server under a
// guided tool_choice ("required" or a named function): there the failure
// means the server did not apply guided decoding, whatever the model
// would have chosen (Catalog's remedy is the one for "auto").
var guidedRemedy = map[Code]string{
	NoToolCall:           "the server did not apply guided decoding: under tool_choice required or a named function vLLM must force a call; check the vLLM version, its structured-outputs backend, and any proxy that rewrites tool_choice",
	UnknownFunction:      "the server did not apply guided decoding: under tool_choice required or a named function the name is constrained to the offered tools; check the vLLM version and its structured-outputs backend",
	InvalidJSONArguments: "the server did not apply guided decoding: under tool_choice required or a named function the arguments are constrained to JSON; check the vLLM version and its structured-outputs backend",
	SchemaViolation:      "the server did not apply guided decoding: under tool_choice required or a named function the arguments are constrained to the tool's schema; check the vLLM version and its structured-outputs backend",
}

// noneRemedy is the remedy of a code whose kind turns to server under
// tool_choice "none".
var noneRemedy = map[Code]string{
	UnexpectedToolCall: `the server returned tool_calls under tool_choice "none", where vLLM parses none: check the vLLM version and any proxy that rewrites tool_choice`,
}

// LookupFor is Lookup under the tool_choice the request was sent with: the
// remedy follows the code's kind there (KindOf), so a code that is the
// server's fault under a guided choice never tells the user the model
// chose. Use it wherever a finding's remedy is printed and the
// tool_choice is known.
func LookupFor(c Code, toolChoice string) Info {
	info := Lookup(c)
	if KindOf(c, toolChoice) != KindServer {
		return info
	}
	if rem, ok := guidedRemedy[c]; ok && guided(toolChoice) {
		info.Remedy = rem
	}
	if rem, ok := noneRemedy[c]; ok && toolChoice == "none" {
		info.Remedy = rem
	}
	return info
}
