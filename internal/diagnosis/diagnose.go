package diagnosis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// Finding is one diagnosis of one request: a code and one short line saying
// what exactly was seen (the leaked markup, the budget that ran out, ...).
type Finding struct {
	Code Code `json:"code"`
	// Detail is a single line, at most about 120 characters of quoted
	// response text plus context; empty when the code says it all.
	Detail string `json:"detail,omitempty"`
}

// Expectation is what the request asked for, so Response can tell a missing
// call from a refusal that was wanted.
type Expectation struct {
	// WantCall: the step expects at least one tool call.
	WantCall bool
	// Offered are the function names sent in tools; empty means "don't check".
	Offered []string
	// ToolChoice as sent: "auto" (or ""), "required", "none", or a function
	// name for a named choice.
	ToolChoice string
	// MaxTokens is the budget sent; 0 falls back to the record's MaxTokens.
	MaxTokens int
}

// detailMax is how much quoted response text a Detail carries.
const detailMax = 120

// Transport classifies a request that produced no usable answer: a non-2xx
// status or a transport ErrorKind. It returns nil for a 2xx record without an
// ErrorKind (use Response for those) and for a run interrupted on purpose
// (record.ErrInterrupted), which is not the server's fault.
func Transport(r *record.Record) []Finding {
	if r == nil {
		return nil
	}
	switch r.ErrorKind {
	case record.ErrTimeout:
		return one(Timeout, firstNonEmpty(r.Error, "no answer within the request timeout"))
	case record.ErrUnreachable:
		return one(Unreachable, r.Error)
	case record.ErrDecode:
		// The client's Error already names what the body was (an HTML
		// page, not JSON, no choices) and quotes its start.
		return one(BadResponse, firstNonEmpty(line(r.Error), snippet(r.Body)))
	case record.ErrStream:
		return one(StreamBroken, r.Error)
	case record.ErrTooLarge:
		return one(ResponseTooLarge, r.Error)
	case record.ErrInterrupted, record.ErrCanceled:
		return nil
	}
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	if r.Status == 0 {
		// No status and no known kind: something failed before an answer.
		if r.ErrorKind == "" && r.Error == "" {
			return nil
		}
		return one(Unreachable, firstNonEmpty(r.Error, string(r.ErrorKind)))
	}
	msg := errorMessage(r.Body)
	detail := fmt.Sprintf("HTTP %d", r.Status)
	if msg != "" {
		detail += ": " + msg
	}
	switch {
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return one(AuthFailed, detail)
	case r.Status == http.StatusNotFound:
		return one(ModelNotFound, detail)
	case r.Status == http.StatusTooManyRequests:
		if r.RetryAfter != "" {
			detail += " (Retry-After " + r.RetryAfter + ")"
		}
		return one(RateLimited, detail)
	case r.Status == http.StatusBadRequest && guidedOutputInvalid(r.Body) && guided(r.ToolChoice):
		// vLLM 0.10 serving_chat.py validates the "required" output with
		// TypeAdapter(list[FunctionDefinition]).validate_json(content); a
		// ValueError there becomes HTTP 400. Guided decoding makes the JSON
		// certain unless the output was cut: by reasoning eating the budget
		// when thinking is on, by max_tokens inside the call otherwise.
		if thinkingOn(r) {
			return one(ReasoningExhaustedMaxTokens, fmt.Sprintf("%s under tool_choice %s with thinking on: %s; vLLM 0.10 answers 400 when reasoning leaves no room for the call (newer versions answer with no call)", budgetName(r), choiceName(r.ToolChoice), detail))
		}
		return one(ToolCallTruncatedMaxTokens, fmt.Sprintf("%s under tool_choice %s: %s; vLLM 0.10 answers 400 when the guided call is cut off", budgetName(r), choiceName(r.ToolChoice), detail))
	case r.Status == http.StatusInternalServerError && bareInternalError(r.Body) && guided(r.ToolChoice) && r.Thinking != nil && *r.Thinking:
		// vLLM 0.10 serving_chat.py asserts "content is not None" on the
		// "required" path; a reasoning parser that found no </think> (the
		// budget ran out while thinking) leaves content None, and the
		// AssertionError escapes as Starlette's plain 500.
		return one(ReasoningExhaustedMaxTokens, fmt.Sprintf("%s under tool_choice %s with thinking on: %s; vLLM 0.10 fails its content assertion when reasoning leaves no content (newer versions answer with no call)", budgetName(r), choiceName(r.ToolChoice), detail))
	case r.Status == http.StatusBadRequest && toolParserMissing(r.Body):
		return one(ToolParserNotEnabled, detail)
	case r.Status == http.StatusBadRequest && contextTooLong(r.Body):
		return one(ContextLengthExceeded, detail)
	case r.Status >= 400 && r.Status < 500:
		return one(BadRequest, detail)
	case r.Status >= 500:
		return one(ServerError, detail)
	}
	return one(BadResponse, detail) // 1xx/3xx reaching here: not an OpenAI answer
}

// guidedOutputInvalid matches vLLM 0.10's 400 for a "required" output that
// does not parse: pydantic's "1 validation error for
// list[FunctionDefinition] ... Invalid JSON: EOF while parsing ..."
// (type=json_invalid).
func guidedOutputInvalid(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "list[functiondefinition]") ||
		(strings.Contains(b, "validation error") && (strings.Contains(b, "json_invalid") || strings.Contains(b, "invalid json")))
}

// bareInternalError: Starlette's body for an exception no handler caught,
// "Internal Server Error" as plain text (not vLLM's JSON error).
func bareInternalError(body string) bool {
	return strings.EqualFold(strings.TrimSpace(body), "Internal Server Error")
}

// thinkingOn: thinking was asked for, or left to the model's default
// (Qwen3 thinks unless told not to).
func thinkingOn(r *record.Record) bool { return r.Thinking == nil || *r.Thinking }

func budgetName(r *record.Record) string {
	if r.MaxTokens > 0 {
		return fmt.Sprintf("max_tokens=%d", r.MaxTokens)
	}
	return "max_tokens"
}

func choiceName(c string) string {
	if c == "required" {
		return `"required"`
	}
	return fmt.Sprintf("%q (named)", c)
}

// toolParserMissing matches vLLM's validation errors for tool_choice without
// a parser. protocol.py (ChatCompletionRequest.check_tool_usage) raises
// `"auto" tool choice requires --enable-auto-tool-choice and
// --tool-call-parser to be set`; some versions reject tool_choice "required"
// with `tool_choice="required" requires --tool-call-parser to be set`. The
// body may be JSON-escaped (\"auto\"), so only the flag text is matched.
func toolParserMissing(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "requires --enable-auto-tool-choice") ||
		strings.Contains(b, "requires --tool-call-parser")
}

// contextTooLong matches vLLM's context-length errors across versions:
//
//	This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (...)
//	This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens. ...
//	'max_tokens' or 'max_completion_tokens' is too large: 16384. This model's maximum context length is ...
//	The prompt (total length 25938) is too long to fit into the model (context length 4096). ...
//	The decoder prompt (length 5000) is longer than the maximum model length of 4096. ...
//	Input prompt (2664 tokens) is too long and exceeds limit of 2048
func contextTooLong(body string) bool {
	b := strings.ToLower(body)
	for _, s := range []string{
		"maximum context length",
		"is too long to fit into the model",
		"longer than the maximum model length",
		"is too long and exceeds limit",
		"max_model_len",
	} {
		if strings.Contains(b, s) {
			return true
		}
	}
	return strings.Contains(b, "max_tokens") && strings.Contains(b, "is too large")
}

// errorMessage extracts the message of an OpenAI-style error body, in
// either of vLLM's shapes: {"error": {"message": ...}} (newer) or
// {"object": "error", "message": ...} (before ~0.10), or {"detail": ...}
// (FastAPI validation). Anything else is returned trimmed.
func errorMessage(body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return ""
	}
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal([]byte(body), &e) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case len(e.Error) > 0 && json.Unmarshal(e.Error, &inner) == nil && inner.Message != "":
			return snippet(inner.Message)
		case len(e.Error) > 0 && json.Unmarshal(e.Error, &s) == nil && s != "":
			return snippet(s)
		case e.Message != "":
			return snippet(e.Message)
		case len(e.Detail) > 0:
			if json.Unmarshal(e.Detail, &s) == nil {
				return snippet(s)
			}
			return snippet(string(e.Detail))
		}
	}
	return snippet(body)
}

var (
	// Qwen3-Coder's XML call: <function=NAME> then <parameter=KEY>. The
	// leading <tool_call> is optional: it is a special token in Qwen
	// tokenizers and disappears when special tokens are skipped.
	xmlCallRe = regexp.MustCompile(`(?s)<function=[^>\n]+>.*?(<parameter=|</function>)`)
	// Hermes: <tool_call> followed by a JSON object with "name".
	hermesCallRe = regexp.MustCompile(`(?s)<tool_call>\s*\{.*?"name"\s*:`)
	// Mistral: the [TOOL_CALLS] control token, then a JSON array of
	// {"name", "arguments"} (tokenizer versions before v11) or NAME[ARGS]{...}
	// (v11 and later); vLLM's mistral_tool_parser.py splits on
	// "[TOOL_CALLS]". It is only left in content when special tokens are
	// kept, which vLLM does for Mistral tokenizers.
	mistralCallRe = regexp.MustCompile(`\[TOOL_CALLS\]\s*(\[|\{|[A-Za-z_][\w.-]*\s*(\[ARGS\]|\[CALL_ID\]|\{))`)
	// gpt-oss harmony: a message to a function recipient, in either order
	// of header fields: "<|channel|>commentary to=functions.NAME" or
	// "to=functions.NAME<|channel|>commentary", then "<|constrain|>json" and
	// "<|message|>{...}<|call|>" (openai_harmony's format, parsed by vLLM's
	// openai_tool_parser.py).
	harmonyCallRe = regexp.MustCompile(`(?s)to=functions\.[A-Za-z0-9_.-]+.{0,80}?<\|(channel|constrain|message)\|>|<\|channel\|>\s*commentary\s+to=functions\.`)
	spaceRe       = regexp.MustCompile(`\s+`)
)

// callMarkup finds tool-call markup in s that a tool parser should have
// turned into tool_calls: the parser it belongs to (ParserMismatch*), where
// it starts, and a detail. Qwen3-Coder XML is looked for before hermes
// (both start with <tool_call>). Code is "" when there is none.
func callMarkup(s string, offered map[string]bool) (Code, int, string) {
	if m := xmlCallRe.FindStringIndex(s); m != nil {
		return ParserMismatchXML, m[0], "content holds " + snippetFrom(s, m[0])
	}
	if m := hermesCallRe.FindStringIndex(s); m != nil {
		return ParserMismatchHermes, m[0], "content holds " + snippetFrom(s, m[0])
	}
	if m := mistralCallRe.FindStringIndex(s); m != nil {
		return ParserMismatchMistral, m[0], "content holds " + snippetFrom(s, m[0])
	}
	if m := harmonyCallRe.FindStringIndex(s); m != nil {
		i := strings.LastIndex(s[:m[0]], "<|")
		if i < 0 || m[0]-i > 40 {
			i = m[0]
		}
		return ParserMismatchHarmony, i, "content holds " + snippetFrom(s, i)
	}
	if name, ok := bareJSONCall(s, offered); ok {
		return ParserMismatchHermes, 0, fmt.Sprintf("content holds a bare JSON call to %s (the <tool_call> tags were stripped): %s", name, snippet(s))
	}
	return "", -1, ""
}

// callStart finds where a tool call begins in s, complete or not: the
// opening markup of any format above. A call cut off by max_tokens may
// end before the parts the full patterns need ("name", <parameter=).
func callStart(s string) int {
	first := -1
	for _, tag := range []string{"<tool_call>", "<function=", "[TOOL_CALLS]", "to=functions."} {
		if i := strings.Index(s, tag); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// Response classifies a 2xx chat completion: what its content, reasoning,
// tool_calls and finish_reason show. The most specific code wins: no_tool_call
// is reported only when no markup, reasoning or budget explains the missing
// call.
//
// Order (docs/diagnosis.md gives vLLM's side of each):
//  1. A call cut off by max_tokens (finish_reason length, or
//     completion_tokens at the budget) is tool_call_truncated_max_tokens,
//     before any parser code: hermes_tool_parser.py cannot decode an
//     unterminated call and leaves it in content under auto; under required
//     or a named choice the arguments end unterminated.
//  2. Call markup in content with no tool_calls: under tool_choice "none"
//     the model's (tool_markup_under_none: serving_chat.py parses nothing
//     there), otherwise the parser's (parser_mismatch_xml, _hermes,
//     _mistral, _harmony).
//  3. Reasoning: the budget running out inside it
//     (reasoning_exhausted_max_tokens), "</think>" without "<think>"
//     (reasoning_start_tag_in_prompt), think tags in content
//     (reasoning_parser_missing), the whole answer in reasoning
//     (answer_in_reasoning), a call inside reasoning (tool_call_in_reasoning).
//
// finish_reason rule (vLLM serving_chat.py, chat_completion_full_generator
// and the stream generator): vLLM answers "tool_calls" when the tool parser
// extracted calls under tool_choice auto (streamed: auto or required; newer
// releases also for a non-streamed required), and the engine's own reason
// ("stop", or "length") otherwise, so a named tool_choice legitimately
// returns calls with "stop", and so does "required" when not streamed in
// v0.10. Hence:
//   - calls with "tool_calls": fine, whatever the tool_choice (llm-d's simulator
//     does it for named choices too);
//   - calls with "stop": fine for tool_choice required or named, a mismatch
//     under auto (a client that trusts finish_reason will not run the calls);
//   - calls with "length": a mismatch, the calls may be cut off (or
//     tool_call_truncated_max_tokens when their arguments are unterminated);
//   - no call with "tool_calls": a mismatch.
func Response(r *record.Record, want Expectation) []Finding {
	if r == nil {
		return nil
	}
	var out []Finding
	hasCalls := len(r.ToolCalls) > 0
	offered := map[string]bool{}
	for _, n := range want.Offered {
		offered[n] = true
	}
	none := want.ToolChoice == "none"
	budget := want.MaxTokens
	if budget == 0 {
		budget = r.MaxTokens
	}

	for _, c := range r.ToolCalls {
		switch {
		case c.NullFunction:
			out = append(out, Finding{Code: MalformedToolCall, Detail: fmt.Sprintf("tool_calls[%d] has no function (id %q)", c.Index, c.ID)})
		case len(offered) > 0 && !offered[c.Name]:
			out = append(out, Finding{Code: UnknownFunction, Detail: fmt.Sprintf("called %q, offered %s", c.Name, strings.Join(want.Offered, ", "))})
		}
	}

	content := r.Content
	leaked := false

	// 1. Truncation, before any parser code.
	truncated := false
	if cut := r.FinishReason == "length" || (budget > 0 && r.CompletionTokens >= budget); cut {
		openThink := strings.Contains(content, "<think>") && !strings.Contains(content, "</think>")
		if !hasCalls && !none && !openThink {
			if i := callStart(content); i >= 0 {
				out = append(out, Finding{Code: ToolCallTruncatedMaxTokens, Detail: budgetHit(r, budget) + " inside a tool call left in content: " + snippetFrom(content, i)})
				truncated = true
			}
		}
		var cutCalls []string
		for _, c := range r.ToolCalls {
			if !c.NullFunction && strings.HasPrefix(strings.TrimSpace(c.Arguments), "<think>") {
				// vLLM 0.10, named tool_choice, thinking on: the qwen3
				// parser (both tags needed) left the unclosed <think> in
				// content, and serving_chat.py made it the arguments
				// (FunctionCall(arguments=content)).
				out = append(out, Finding{Code: ReasoningExhaustedMaxTokens, Detail: fmt.Sprintf("%s inside <think>: tool_calls[%d] (%s) arguments hold the unfinished reasoning: %s", budgetHit(r, budget), c.Index, c.Name, snippet(c.Arguments))})
				truncated = true
				continue
			}
			if !c.NullFunction && !json.Valid([]byte(c.Arguments)) {
				cutCalls = append(cutCalls, fmt.Sprintf("tool_calls[%d] (%s) arguments end unterminated: %s", c.Index, c.Name, snippet(tail(c.Arguments, 60))))
			}
		}
		if len(cutCalls) > 0 {
			out = append(out, Finding{Code: ToolCallTruncatedMaxTokens, Detail: budgetHit(r, budget) + ": " + strings.Join(cutCalls, "; ")})
			truncated = true
		}
	}
	leaked = truncated

	// 2. Markup the tool parser should have taken (or, under none, the
	// model should not have written).
	if !hasCalls && !truncated {
		if code, _, d := callMarkup(content, offered); code != "" {
			if none {
				out = append(out, Finding{Code: ToolMarkupUnderNone, Detail: `tool_choice "none", yet ` + d})
			} else {
				out = append(out, Finding{Code: code, Detail: d})
			}
			leaked = true
		}
	}

	// 3. Reasoning.
	reasoning := strings.TrimSpace(r.Reasoning)
	emptyContent := strings.TrimSpace(content) == ""
	if !hasCalls {
		i := strings.Index(r.Reasoning, "<tool_call>")
		if m := xmlCallRe.FindStringIndex(r.Reasoning); m != nil && (i < 0 || m[0] < i) {
			i = m[0]
		}
		if j := callStart(r.Reasoning); i < 0 && j >= 0 {
			if code, _, _ := callMarkup(r.Reasoning[j:], offered); code != "" {
				i = j
			}
		}
		answerInReasoning := emptyContent && reasoning != "" && r.FinishReason != "length" &&
			(i < 0 || strings.TrimSpace(r.Reasoning[:i]) == "")
		switch {
		case answerInReasoning:
			// Nothing was thought before the answer: the model does not
			// think, and the reasoning parser took all of it.
			d := "content is empty, reasoning holds the whole answer"
			if i >= 0 {
				d += " (a tool call)"
			}
			out = append(out, Finding{Code: AnswerInReasoning, Detail: d + ": " + snippet(r.Reasoning)})
			leaked = true
		case i >= 0 && none:
			// No tool parser runs under "none", in reasoning or content:
			// the model wrote a call it was told not to make.
			out = append(out, Finding{Code: ToolMarkupUnderNone, Detail: `tool_choice "none", yet reasoning holds ` + snippetFrom(r.Reasoning, i)})
			leaked = true
		case i >= 0:
			out = append(out, Finding{Code: ToolCallInReasoning, Detail: "reasoning holds " + snippetFrom(r.Reasoning, i)})
			leaked = true
		}
	}

	openThink := strings.Contains(content, "<think>") && !strings.Contains(content, "</think>")
	unfinished := openThink || (reasoning != "" && emptyContent)
	switch {
	case r.FinishReason == "length" && !hasCalls && unfinished && !truncated:
		where := "reasoning"
		if openThink {
			where = "<think>"
		}
		d := fmt.Sprintf("max_tokens=%d ran out inside %s", budget, where)
		if r.CompletionTokens > 0 {
			d += fmt.Sprintf(" (completion_tokens=%d", r.CompletionTokens)
			if r.ReasoningTokens > 0 {
				d += fmt.Sprintf(", reasoning_tokens=%d", r.ReasoningTokens)
			}
			d += ")"
		}
		out = append(out, Finding{Code: ReasoningExhaustedMaxTokens, Detail: d + ", no tool call"})
		leaked = true
	case strings.Contains(content, "</think>") && !strings.Contains(content, "<think>"):
		// The chat template opened <think> in the prompt; the model wrote
		// only the closing tag, and a qwen3 parser that needs both tags
		// (vLLM v0.10 and earlier) left everything in content.
		out = append(out, Finding{Code: ReasoningStartTagInPrompt, Detail: "content holds </think> without <think>: " + snippet(content)})
	case strings.Contains(content, "<think>"):
		out = append(out, Finding{Code: ReasoningParserMissing, Detail: "content holds " + snippetFrom(content, strings.Index(content, "<think>"))})
	}

	if want.WantCall && !hasCalls && !leaked {
		d := "no tool_calls"
		if s := snippet(content); s != "" {
			d += "; content: " + s
		}
		if r.FinishReason != "" {
			d += " (finish_reason " + r.FinishReason + ")"
		}
		out = append(out, Finding{Code: NoToolCall, Detail: d})
	}
	if !want.WantCall && hasCalls {
		names := make([]string, 0, len(r.ToolCalls))
		for _, c := range r.ToolCalls {
			names = append(names, c.Name)
		}
		d := "called " + strings.Join(names, ", ")
		if none {
			d += ` under tool_choice "none"`
		}
		out = append(out, Finding{Code: UnexpectedToolCall, Detail: d})
	}
	if f, ok := finishReasonMismatch(r, want.ToolChoice); ok && !truncated {
		out = append(out, f)
	}
	return out
}

// budgetHit says which limit was hit and how it shows, e.g.
// "max_tokens=1024 was hit (finish_reason length, completion_tokens=1024)".
func budgetHit(r *record.Record, budget int) string {
	var why []string
	if r.FinishReason != "" {
		why = append(why, "finish_reason "+r.FinishReason)
	}
	if r.CompletionTokens > 0 {
		why = append(why, fmt.Sprintf("completion_tokens=%d", r.CompletionTokens))
	}
	lim := "max_tokens"
	if budget > 0 {
		lim = fmt.Sprintf("max_tokens=%d", budget)
	}
	return fmt.Sprintf("%s was hit (%s)", lim, strings.Join(why, ", "))
}

// tail is the last n bytes of s (on a rune boundary), with "…" in front
// when cut: where an unterminated string shows that it was cut.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8Start(s[i]) {
		i++
	}
	return "…" + s[i:]
}

// finishReasonMismatch applies the rule documented on Response.
func finishReasonMismatch(r *record.Record, choice string) (Finding, bool) {
	hasCalls := len(r.ToolCalls) > 0
	switch {
	case hasCalls && r.FinishReason == "stop" && (choice == "" || choice == "auto"):
		return Finding{Code: FinishReasonMismatch, Detail: `tool calls with finish_reason "stop" under tool_choice auto (vLLM sends "tool_calls")`}, true
	case hasCalls && r.FinishReason == "length":
		return Finding{Code: FinishReasonMismatch, Detail: fmt.Sprintf(`tool calls with finish_reason "length": the calls may be cut off (max_tokens=%d)`, r.MaxTokens)}, true
	case hasCalls && r.FinishReason != "tool_calls" && r.FinishReason != "stop" && r.FinishReason != "":
		return Finding{Code: FinishReasonMismatch, Detail: fmt.Sprintf("tool calls with finish_reason %q", r.FinishReason)}, true
	case !hasCalls && r.FinishReason == "tool_calls":
		return Finding{Code: FinishReasonMismatch, Detail: `finish_reason "tool_calls" but no tool_calls`}, true
	}
	return Finding{}, false
}

// bareJSONCall reports content that is nothing but a Hermes-style call
// object, {"name": ..., "arguments": ...}, as vLLM issue 17161 shows when the
// <tool_call> special tokens are stripped from the output. The name must be
// offered (when offers are known), so an answer that merely is JSON does not
// count.
func bareJSONCall(content string, offered map[string]bool) (string, bool) {
	s := strings.TrimSpace(content)
	if !strings.HasPrefix(s, "{") {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	var obj map[string]json.RawMessage
	if dec.Decode(&obj) != nil {
		return "", false
	}
	var name string
	if json.Unmarshal(obj["name"], &name) != nil || name == "" {
		return "", false
	}
	_, args := obj["arguments"]
	_, params := obj["parameters"]
	if !args && !params {
		return "", false
	}
	if len(offered) > 0 && !offered[name] {
		return "", false
	}
	return name, true
}

func one(c Code, detail string) []Finding { return []Finding{{Code: c, Detail: detail}} }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// snippet is s on one line (whitespace runs collapsed), cut to detailMax.
func snippet(s string) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if len(s) <= detailMax {
		return s
	}
	cut := detailMax
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// line is s on one line, capped at twice detailMax: a message the client
// already wrote, which quotes at most detailMax of the body itself.
func line(s string) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if len(s) <= 2*detailMax {
		return s
	}
	cut := 2 * detailMax
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// snippetFrom is snippet of s starting at byte i.
func snippetFrom(s string, i int) string {
	if i < 0 || i > len(s) {
		i = 0
	}
	return snippet(s[i:])
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Snippet is the one-line, length-capped form used in Details, for callers
// that quote response text next to a Finding.
func Snippet(s string) string { return snippet(s) }
