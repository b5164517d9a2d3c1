package sim

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// applyFault turns the healthy answer into the persona's faulty one. Only
// answer-level faults live here; the streaming and transport faults are
// applied where the answer is written.
func (s *Server) applyFault(req *chatRequest, a answer) answer {
	auto := req.choice() == "auto"
	has := len(a.Calls) > 0
	switch s.p.Fault {
	case FaultHermesLeak, FaultXMLLeak:
		// Under required or named, vLLM uses guided decoding and not the
		// tool parser, so those answers stay correct.
		if auto && has {
			if s.p.Fault == FaultHermesLeak {
				a.Content = hermes(a.Calls)
			} else {
				a.Content = qwenXML(a.Calls)
			}
			a.NullContent, a.Calls, a.Finish = false, nil, "stop"
		}
	case FaultReasoningExhausted:
		if has {
			n := req.maxTokens()
			if n == 0 {
				n = 1024
			}
			n = min(n, 8192)
			a = answer{Reasoning: words(reasoningWords, n), NullContent: true, Finish: "length", Tokens: n}
		}
	case FaultThinkLeak:
		// No reasoning parser: the think block stays in content. Shown even
		// when thinking is off, so the fault is visible in every mode.
		think := a.Reasoning
		if think == "" {
			think = words(reasoningWords, s.p.ReasoningTokens)
		}
		a.Reasoning = ""
		a.Content = "<think>\n" + strings.TrimSpace(think) + "\n</think>\n\n" + a.Content
		a.NullContent = false
	case FaultToolCallReasoning:
		if auto && has {
			r := a.Reasoning
			if r == "" {
				r = words(reasoningWords, s.p.ReasoningTokens)
			}
			a.Reasoning = r + "\n" + hermes(a.Calls)
			a.Calls, a.NullContent, a.Finish = nil, true, "stop"
		}
	case FaultProse:
		if auto && has {
			a = answer{Reasoning: a.Reasoning, Content: "You can find that out quickly online; I do not have more details to share.", Finish: "stop"}
		}
	case FaultInvalidJSON:
		for i := range a.Calls {
			a.Calls[i].Args = strings.TrimSuffix(a.Calls[i].Args, "}")
		}
	case FaultDoubleEncoded:
		for i := range a.Calls {
			a.Calls[i].Args = pyJSON(a.Calls[i].Args)
		}
	case FaultUnknownFunction:
		for i := range a.Calls {
			a.Calls[i].Name += "_v2"
		}
	case FaultSchemaViolation:
		for i := range a.Calls {
			a.Calls[i] = breakSchema(a.Calls[i])
		}
	case FaultWrongArgs:
		for i := range a.Calls {
			a.Calls[i] = wrongArgs(a.Calls[i])
		}
	case FaultAlwaysCall:
		if !has && len(req.Tools) > 0 {
			t := req.Tools[0]
			args, _ := genValue(t.Function.Parameters, t.Function.Parameters, 0).(map[string]any)
			if args == nil {
				args = map[string]any{}
			}
			a.Calls = []call{s.newCall(t.Function.Name, args)}
			a.Content, a.NullContent, a.Finish, a.Tokens = "", true, "tool_calls", 0
		}
	case FaultFinishMismatch:
		// Only auto: vLLM itself finishes named calls with "stop".
		if has && auto {
			a.Finish = "stop"
		}
	case FaultNullFunction:
		for i := range a.Calls {
			a.Calls[i].NullFunction = true
		}
	case FaultHugeArguments:
		for i, c := range a.Calls {
			args := copyArgs(c.args)
			key := "padding"
			for _, k := range slices.Sorted(maps.Keys(args)) {
				if _, ok := args[k].(string); ok {
					key = k
					break
				}
			}
			args[key] = strings.Repeat("x", 1<<20)
			a.Calls[i] = c.withArgs(args)
		}
	case FaultTruncatedAuto:
		// hermes_tool_parser.py cannot json.loads the cut block and hands
		// the text back as content; the engine's reason is "length".
		if auto && has {
			a = answer{Reasoning: a.Reasoning, Content: cut(hermes(a.Calls)), Finish: "length", Tokens: budget(req)}
		}
	case FaultTruncatedRequired, FaultTruncatedNamed:
		want := req.choice() == "required"
		if s.p.Fault == FaultTruncatedNamed {
			want = req.named()
		}
		if want && has {
			if req.choice() == "required" && s.p.VLLM == "0.10" && !req.Stream {
				// serving_chat.py validates the cut array with pydantic:
				// a ValueError, answered HTTP 400.
				col := len(requiredJSON(a.Calls)) * 3 / 5
				return answer{Status: 400, ErrMsg: fmt.Sprintf("1 validation error for list[FunctionDefinition]\n  Invalid JSON: EOF while parsing a string at line 1 column %d [type=json_invalid, input_value='%s', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/json_invalid", col, cut(requiredJSON(a.Calls)))}
			}
			last := len(a.Calls) - 1
			a.Calls[last].Args = cut(a.Calls[last].Args)
			a.Finish, a.Tokens = "length", budget(req)
		}
	case FaultMarkupUnderNone:
		// vLLM runs no tool parser under "none"; with the tools still in
		// the prompt the model may write a call anyway.
		if req.choice() == "none" && len(req.Tools) > 0 {
			calls := a.Calls
			if !has {
				t := req.Tools[0]
				args, _ := genValue(t.Function.Parameters, t.Function.Parameters, 0).(map[string]any)
				if args == nil {
					args = map[string]any{}
				}
				calls = []call{s.newCall(t.Function.Name, args)}
			}
			a = answer{Reasoning: a.Reasoning, Content: hermes(calls), Finish: "stop"}
		}
	case FaultThinkEndOnly:
		// The template opened <think> in the prompt; an old qwen3 parser
		// wants both tags and leaves the text, and </think>, in content.
		think := a.Reasoning
		if think == "" {
			think = words(reasoningWords, s.p.ReasoningTokens)
		}
		a.Reasoning = ""
		a.Content = strings.TrimSpace(think) + "\n</think>\n\n" + a.Content
		a.NullContent = false
	case FaultAnswerInReasoning:
		// deepseek_r1's parser returns (model_output, None) when no
		// </think> comes: everything is reasoning.
		r := a.Content
		switch {
		case has && (auto || req.choice() == "none"):
			r = hermes(a.Calls)
		case has && req.choice() == "required":
			r = requiredJSON(a.Calls)
		case has:
			r = a.Calls[0].Args
		}
		if strings.TrimSpace(r) == "" {
			r = prose(nil)
		}
		a = answer{Reasoning: r, NullContent: true, Finish: "stop"}
	case FaultMistralLeak:
		if auto && has {
			var parts []string
			for _, c := range a.Calls {
				parts = append(parts, fmt.Sprintf(`{"name": %s, "arguments": %s}`, pyJSON(c.Name), c.Args))
			}
			a = answer{Reasoning: a.Reasoning, Content: "[TOOL_CALLS][" + strings.Join(parts, ", ") + "]", Finish: "stop"}
		}
	case FaultHarmonyLeak:
		if auto && has {
			var b strings.Builder
			b.WriteString("<|channel|>analysis<|message|>The user needs a tool; call it.<|end|>")
			for _, c := range a.Calls {
				fmt.Fprintf(&b, "<|start|>assistant<|channel|>commentary to=functions.%s <|constrain|>json<|message|>%s<|call|>", c.Name, c.Args)
			}
			a = answer{Content: b.String(), Finish: "stop"}
		}
	case FaultReasoningExhaustedG:
		if req.thinking() && !auto && req.choice() != "none" && has {
			n := budget(req)
			think := words(reasoningWords, n)
			switch {
			case s.p.VLLM == "0.10" && !req.Stream && req.choice() == "required":
				// The qwen3 parser (both tags needed) leaves the unclosed
				// <think> in content, which TypeAdapter rejects: HTTP 400.
				return answer{Status: 400, ErrMsg: "1 validation error for list[FunctionDefinition]\n  Invalid JSON: expected value at line 1 column 1 [type=json_invalid, input_value='<think>\\n" + cut(think) + "', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/json_invalid"}
			case s.p.VLLM == "0.10" && !req.Stream:
				// A named choice's call is FunctionCall(arguments=content):
				// the unclosed <think> becomes the arguments.
				c := a.Calls[0]
				c.Args = "<think>\n" + think
				return answer{Calls: []call{c}, NullContent: false, Finish: "length", Tokens: n}
			}
			return answer{Reasoning: think, NullContent: true, Finish: "length", Tokens: n}
		}
	}
	return a
}

// budget is the request's max_tokens, 1024 when it sent none, capped as
// the simulator caps every answer.
func budget(req *chatRequest) int {
	n := req.maxTokens()
	if n == 0 {
		n = 1024
	}
	return min(n, 8192)
}

// cut is the first three fifths of s, on a rune boundary: a call that
// max_tokens stopped half-way.
func cut(s string) string {
	n := len(s) * 3 / 5
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// requiredJSON is what guided decoding makes a model write under
// tool_choice "required": a JSON array of {"name", "parameters"}.
func requiredJSON(calls []call) string {
	var parts []string
	for _, c := range calls {
		parts = append(parts, fmt.Sprintf(`{"name": %s, "parameters": %s}`, pyJSON(c.Name), c.Args))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func copyArgs(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c call) withArgs(args map[string]any) call {
	c.args = args
	c.Args = pyJSON(args)
	return c
}

// breakSchema drops a required parameter the call has; failing that it
// gives a parameter a value of the wrong type.
func breakSchema(c call) call {
	args := copyArgs(c.args)
	for _, r := range required(c.params) {
		if _, ok := args[r]; ok {
			delete(args, r)
			return c.withArgs(args)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(args)) {
		switch args[k].(type) {
		case string:
			args[k] = float64(42)
		default:
			args[k] = "42"
		}
		return c.withArgs(args)
	}
	// No arguments: give the first declared property a value of the wrong
	// type. A tool that declares no properties accepts any object, so there
	// is no schema to break and the call stays healthy.
	props, _ := c.params["properties"].(map[string]any)
	if keys := slices.Sorted(maps.Keys(props)); len(keys) > 0 {
		args[keys[0]] = []any{"wrong", "type"}
		return c.withArgs(args)
	}
	return c
}

// valueMatcher says the matcher pins a value (so changing it is wrong).
func valueMatcher(m fixture.Matcher) bool {
	return m.Equals != nil || m.Exact != nil || m.IEquals != nil || len(m.OneOf) > 0 || m.Number != nil || m.Regex != ""
}

// wrongArgs changes one pinned value to another value of the same type that
// the schema still accepts.
func wrongArgs(c call) call {
	keys := slices.Sorted(maps.Keys(c.args))
	sort.SliceStable(keys, func(i, j int) bool {
		return valueMatcher(c.matchers[keys[i]]) && !valueMatcher(c.matchers[keys[j]])
	})
	for _, k := range keys {
		if v, ok := otherValue(c.args[k], propSchema(c.params, k), c.params, c.matchers[k]); ok {
			args := copyArgs(c.args)
			args[k] = v
			return c.withArgs(args)
		}
	}
	return c
}

func otherValue(v any, ps, root map[string]any, m fixture.Matcher) (any, bool) {
	if ref, ok := ps["$ref"].(string); ok {
		ps = resolveRef(ref, root)
	}
	switch x := v.(type) {
	case string:
		if enum, ok := ps["enum"].([]any); ok {
			for _, e := range enum {
				if e != x && !slices.Contains(m.OneOf, e) {
					return e, true
				}
			}
			return nil, false
		}
		for _, alt := range []string{"Atlantis", "Springfield"} {
			if !strings.EqualFold(alt, x) {
				return alt, true
			}
		}
	case float64:
		return x + 1000, true
	case bool:
		return !x, true
	case map[string]any:
		props, _ := ps["properties"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			sub, _ := props[k].(map[string]any)
			if nv, ok := otherValue(x[k], sub, root, fixture.Matcher{}); ok {
				out := copyArgs(x)
				out[k] = nv
				return out, true
			}
		}
	case []any:
		items, _ := ps["items"].(map[string]any)
		for i, e := range x {
			if nv, ok := otherValue(e, items, root, fixture.Matcher{}); ok {
				out := append([]any(nil), x...)
				out[i] = nv
				return out, true
			}
		}
	}
	return nil, false
}

// streamVariant is what stream_args_differ streams instead of c's
// arguments: the same object with one string's letter case flipped, which
// the scenario's normalising matchers still accept but a parsed-JSON
// comparison with the non-streamed answer does not.
func streamVariant(c call) string {
	keys := slices.Sorted(maps.Keys(c.args))
	for _, k := range keys {
		if !caseSafe(c, k) {
			continue
		}
		if v, ok := flipCase(c.args[k]); ok {
			args := copyArgs(c.args)
			args[k] = v
			return pyJSON(args)
		}
	}
	// Nothing can change unnoticed by the matchers: an extra parameter
	// (the scenario then also sees args_mismatch on the stream).
	args := copyArgs(c.args)
	args["streamed"] = true
	return pyJSON(args)
}

// caseSafe: a letter-case change of parameter k still satisfies its
// matcher (Equals, IEquals and OneOf ignore case) and its schema (no enum).
func caseSafe(c call, k string) bool {
	m := c.matchers[k]
	if m.Exact != nil {
		return false
	}
	if m.Regex != "" {
		re, err := regexp.Compile(m.Regex)
		v, _ := flipCase(c.args[k])
		s, ok := v.(string)
		if err != nil || !ok || !re.MatchString(s) {
			return false
		}
	}
	_, enum := propSchema(c.params, k)["enum"]
	return !enum
}

func flipCase(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if u := strings.ToUpper(x); u != x {
			return u, true
		}
		if l := strings.ToLower(x); l != x {
			return l, true
		}
		if strings.IndexFunc(x, unicode.IsLetter) < 0 {
			return nil, false
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if nv, ok := flipCase(x[k]); ok {
				out := copyArgs(x)
				out[k] = nv
				return out, true
			}
		}
	case []any:
		for i, e := range x {
			if nv, ok := flipCase(e); ok {
				out := append([]any(nil), x...)
				out[i] = nv
				return out, true
			}
		}
	}
	return nil, false
}

// vary applies the healthy variation of the persona to a planned answer:
// with probability Vary, one case-safe string argument of each call takes
// another letter case (every matcher accepts it); with probability
// ModelError per call, a wrong value (wrongArgs). Both draw from
// answerRNG, per request, so identical requests get different answers.
func (s *Server) vary(a answer) answer {
	if s.p.Vary == 0 && s.p.ModelError == 0 {
		return a
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	varied := s.answerRNG.Float64() < s.p.Vary
	for i, c := range a.Calls {
		if s.answerRNG.Float64() < s.p.ModelError {
			a.Calls[i] = wrongArgs(c)
			continue
		}
		if !varied {
			continue
		}
		var keys []string
		for _, k := range slices.Sorted(maps.Keys(c.args)) {
			if _, ok := c.args[k].(string); ok && caseSafe(c, k) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		k := keys[s.answerRNG.IntN(len(keys))]
		x := c.args[k].(string)
		if x == "" {
			continue
		}
		variants := []string{strings.ToLower(x), strings.ToUpper(x), strings.ToUpper(x[:1]) + strings.ToLower(x[1:])}
		args := copyArgs(c.args)
		args[k] = variants[s.answerRNG.IntN(len(variants))]
		a.Calls[i] = c.withArgs(args)
	}
	return a
}
