package sim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// chatRequest is the part of an OpenAI chat completion request the
// simulator reads.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []reqMessage    `json:"messages"`
	Tools               []fixture.Tool  `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ChatTemplateKwargs map[string]any `json:"chat_template_kwargs"`
	// Structured outputs and the parameters the contract checks (structured.go).
	ResponseFormat    json.RawMessage `json:"response_format"`
	StructuredOutputs json.RawMessage `json:"structured_outputs"`
	GuidedJSON        json.RawMessage `json:"guided_json"`
	GuidedRegex       string          `json:"guided_regex"`
	GuidedChoice      []string        `json:"guided_choice"`
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	N                 *int            `json:"n"`
}

type reqMessage struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	ToolCalls []struct {
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// text is the message content: a string, or the text parts of a list.
func (m reqMessage) text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(m.Content, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		return b.String()
	}
	return ""
}

// choice returns tool_choice as "auto", "required", "none" or the forced
// function's name. Absent with tools is "auto", as in vLLM; absent without
// tools is "none".
func (r *chatRequest) choice() string {
	var s string
	if len(r.ToolChoice) == 0 || string(r.ToolChoice) == "null" {
		if len(r.Tools) > 0 {
			return "auto"
		}
		return "none"
	}
	if json.Unmarshal(r.ToolChoice, &s) == nil {
		return s
	}
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(r.ToolChoice, &named) == nil && named.Function.Name != "" {
		return named.Function.Name
	}
	return "auto"
}

func (r *chatRequest) named() bool {
	c := r.choice()
	return c != "auto" && c != "required" && c != "none"
}

func (r *chatRequest) thinking() bool {
	if v, ok := r.ChatTemplateKwargs["enable_thinking"].(bool); ok {
		return v
	}
	return true
}

// maxTokens is max_completion_tokens or max_tokens, 0 when neither is set.
func (r *chatRequest) maxTokens() int {
	if r.MaxCompletionTokens != nil && *r.MaxCompletionTokens > 0 {
		return *r.MaxCompletionTokens
	}
	if r.MaxTokens != nil && *r.MaxTokens > 0 {
		return *r.MaxTokens
	}
	return 0
}

// promptTokens is a rough prompt size: words in every message, plus a few
// per message for the chat template, so it grows with the conversation.
func (r *chatRequest) promptTokens() int {
	n := 0
	for _, m := range r.Messages {
		n += 4 + len(strings.Fields(m.text()))
		for _, c := range m.ToolCalls {
			n += 2 + len(strings.Fields(c.Function.Arguments))
		}
	}
	for _, t := range r.Tools {
		n += 10 + len(strings.Fields(t.Function.Description))
	}
	return n
}

func (r *chatRequest) tool(name string) (fixture.Tool, bool) {
	for _, t := range r.Tools {
		if t.Function.Name == name {
			return t, true
		}
	}
	return fixture.Tool{}, false
}

// call is one tool call of an answer.
type call struct {
	ID   string
	Name string
	// Args is the arguments string as sent; args the value it encodes.
	Args string
	args map[string]any
	// NullFunction sends "function": null.
	NullFunction bool
	// matchers and params are the scenario's expectations and the tool's
	// schema, for the faults that bend arguments; nil for generic calls.
	matchers map[string]fixture.Matcher
	params   map[string]any
}

// answer is what the model "generated", before it is written out.
type answer struct {
	Reasoning string
	Content   string
	// NullContent sends "content": null (when there are calls and no text).
	NullContent bool
	Calls       []call
	Finish      string
	// Tokens overrides the completion token count when > 0.
	Tokens int
	// Status, when not 0, answers the request with this HTTP error and
	// ErrMsg instead (vLLM 0.10's 400 for an unparsable "required" output).
	Status int
	ErrMsg string
}

// tokenize splits s into tokens, each a run of non-space followed by its
// trailing spaces; the pieces concatenate back to s exactly.
func tokenize(s string) []string {
	var out []string
	start := 0
	inSpace := true
	for i, r := range s {
		sp := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !sp && inSpace && i > start && strings.TrimSpace(s[start:i]) != "" {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// completionTokens counts the answer's tokens the way it is streamed: one
// per reasoning or content token, one per call header and one per argument
// piece.
func (a *answer) completionTokens() int {
	if a.Tokens > 0 {
		return a.Tokens
	}
	n := len(tokenize(a.Reasoning)) + len(tokenize(a.Content))
	for _, c := range a.Calls {
		n += 1 + len(tokenize(c.Args))
	}
	return n
}

var proseWords = strings.Fields("the quick brown fox jumps over the lazy dog while a steady stream of tokens flows from the simulated model to the client under test")

var reasoningWords = strings.Fields("Okay, let me think about what the user is asking and which tool fits best before I answer.")

// words returns n tokens of filler text, each a word and a space.
func words(list []string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(list[i%len(list)])
		b.WriteByte(' ')
	}
	return b.String()
}

// plan decides the healthy answer to req: the scenario's expected calls or
// answer when req belongs to a known scenario, otherwise a generic answer.
func (s *Server) plan(req *chatRequest) answer {
	var a answer
	if sc, step := s.scenario(req); sc != nil {
		a = s.scenarioAnswer(req, sc, sc.Steps[step])
	} else {
		a = s.genericAnswer(req)
	}
	if req.thinking() && a.Tokens == 0 {
		a.Reasoning = words(reasoningWords, s.p.ReasoningTokens)
	}
	return a
}

// scenario finds the fixture scenario req belongs to and the step it is at:
// the first user message matches and the step is the number of assistant
// messages beyond the fixture's own.
func (s *Server) scenario(req *chatRequest) (*fixture.Scenario, int) {
	first := ""
	assistants := 0
	for _, m := range req.Messages {
		if m.Role == "user" && first == "" {
			first = m.text()
		}
		if m.Role == "assistant" {
			assistants++
		}
	}
	for _, sc := range s.byUser[first] {
		own := 0
		for _, m := range sc.Messages {
			if m.Role == "assistant" {
				own++
			}
		}
		if k := assistants - own; k >= 0 && k < len(sc.Steps) {
			return sc, k
		}
	}
	return nil, 0
}

func (s *Server) scenarioAnswer(req *chatRequest, sc *fixture.Scenario, st fixture.Step) answer {
	if st.NoCall || len(st.Calls) == 0 {
		return answer{Content: prose(st.AnswerContains), Finish: "stop"}
	}
	a := answer{NullContent: true, Finish: "tool_calls"}
	for _, c := range st.Calls {
		var params map[string]any
		if t, ok := sc.Tool(c.Name); ok {
			params = t.Function.Parameters
		} else if t, ok := req.tool(c.Name); ok {
			params = t.Function.Parameters
		}
		nc := s.newCall(c.Name, argsFor(c, params))
		nc.matchers, nc.params = c.Args, params
		a.Calls = append(a.Calls, nc)
	}
	a.Finish = s.guidedFinish(req, a.Finish)
	return a
}

// guidedFinish is the finish_reason of calls under tool_choice required or
// named: a named choice finishes "stop" (like OpenAI); vLLM 0.10's
// non-streamed "required" keeps the engine's "stop" too (serving_chat.py
// chat_completion_full_generator sets "tool_calls" only when auto tools
// were called), while later versions and every streamed "required" answer
// "tool_calls".
func (s *Server) guidedFinish(req *chatRequest, finish string) string {
	switch {
	case req.named():
		return "stop"
	case req.choice() == "required" && s.p.VLLM == "0.10" && !req.Stream:
		return "stop"
	}
	return finish
}

// prose is a final answer that contains every wanted string.
func prose(contains []string) string {
	if len(contains) == 0 {
		return "I can answer this directly, without calling a tool."
	}
	return "Based on the information I have, the answer is: " + strings.Join(contains, ", ") + "."
}

func (s *Server) genericAnswer(req *chatRequest) answer {
	choice := req.choice()
	if len(req.Tools) > 0 && choice != "none" {
		t := req.Tools[0]
		if nt, ok := req.tool(choice); ok {
			t = nt
		}
		args, _ := genValue(t.Function.Parameters, t.Function.Parameters, 0).(map[string]any)
		if args == nil {
			args = map[string]any{}
		}
		nc := s.newCall(t.Function.Name, args)
		nc.params = t.Function.Parameters
		a := answer{NullContent: true, Finish: "tool_calls", Calls: []call{nc}}
		a.Finish = s.guidedFinish(req, a.Finish)
		return a
	}
	if len(req.Tools) > 0 {
		return answer{Content: prose(nil), Finish: "stop"}
	}
	// No tools: exactly max_tokens tokens (thinking included), so load
	// tests get deterministic token counts.
	n, finish := req.maxTokens(), "length"
	if n == 0 {
		n, finish = 16, "stop"
	}
	n = min(n, 8192)
	a := answer{Finish: finish, Tokens: n}
	r := 0
	if req.thinking() {
		r = min(s.p.ReasoningTokens, n/2)
		a.Reasoning = words(reasoningWords, r)
	}
	a.Content = words(proseWords, n-r)
	return a
}

func (s *Server) newCall(name string, args map[string]any) call {
	return call{ID: "chatcmpl-tool-" + s.hexID(), Name: name, Args: pyJSON(args), args: args}
}

// hermes renders calls as Hermes/Qwen markup, as the model writes them.
func hermes(calls []call) string {
	var parts []string
	for _, c := range calls {
		parts = append(parts, fmt.Sprintf("<tool_call>\n{\"name\": %s, \"arguments\": %s}\n</tool_call>", pyJSON(c.Name), c.Args))
	}
	return strings.Join(parts, "\n")
}

// qwenXML renders calls as Qwen3-Coder's XML markup.
func qwenXML(calls []call) string {
	var parts []string
	for _, c := range calls {
		var b strings.Builder
		fmt.Fprintf(&b, "<tool_call>\n<function=%s>\n", c.Name)
		keys := slices.Sorted(maps.Keys(c.args))
		for _, k := range keys {
			v, ok := c.args[k].(string)
			if !ok {
				v = pyJSON(c.args[k])
			}
			fmt.Fprintf(&b, "<parameter=%s>\n%s\n</parameter>\n", k, v)
		}
		b.WriteString("</function>\n</tool_call>")
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "\n")
}
