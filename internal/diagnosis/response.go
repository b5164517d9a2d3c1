package diagnosis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

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
