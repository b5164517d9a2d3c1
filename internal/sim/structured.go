package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Faults of structured outputs and the API contract (issue 27): each
// produces one diagnosis the self-tests assert.
const (
	FaultSONotJSON         Fault = "so_not_json"
	FaultSOSchemaViolation Fault = "so_schema_violation"
	FaultSOFeatureIgnored  Fault = "so_feature_ignored"
	FaultSOInReasoning     Fault = "so_in_reasoning"
	FaultSOServerError     Fault = "so_server_error"
	FaultSOEngineDead      Fault = "so_engine_dead"
	FaultSOTruncated       Fault = "so_truncated"
	FaultSOWrongValues     Fault = "so_wrong_values"
	FaultSOFeatureRefused  Fault = "so_feature_refused"

	FaultPromptMiscount   Fault = "contract_prompt_miscount"
	FaultStreamUsage      Fault = "contract_stream_usage"
	FaultClampTemperature Fault = "contract_clamp_temperature"
	FaultTopP500          Fault = "contract_top_p_500"
)

func init() {
	fault("so_not_json", "structured outputs not applied: under response_format / structured_outputs the answer is prose around the JSON (\"Sure! Here is ...\")")
	fault("so_schema_violation", "structured outputs not enforced: the JSON misses a required field; a choice or regex answer is outside the constraint")
	fault("so_feature_ignored", "the backend accepts the schema but ignores integer/string bounds and enums: one such value is broken (maximum+2, maxLength+5, not an enum member), the rest fits (vLLM #12028)")
	fault("so_in_reasoning", "reasoning parser and structured outputs: the constrained answer is written into reasoning_content, content empty (vLLM #44012)")
	fault("so_server_error", "HTTP 500 \"grammar rejected tokens\" on every structured-output request (vLLM #51693)")
	fault("so_engine_dead", "the first structured-output request is answered, then the engine is dead: HTTP 500 on every later chat completion (vLLM #4070)")
	fault("so_truncated", "the constrained JSON is cut off by max_tokens: half the answer, finish length, completion_tokens == max_tokens")
	fault("so_wrong_values", "structured outputs enforced, model wrong: the answer fits the constraint with another value (another enum member, another name, another choice)")
	fault("so_feature_refused", "the backend refuses schemas with minimum/maximum/minLength/maxLength: HTTP 400 \"The provided JSON schema contains features not supported by xgrammar.\"")

	fault("contract_prompt_miscount", "usage.prompt_tokens is 3 more than /tokenize counts for the same messages")
	fault("contract_stream_usage", "streaming only: usage.completion_tokens is 2 fewer than the token chunks sent")
	fault("contract_clamp_temperature", "temperature -1 is clamped to 0 silently and answered 200 instead of HTTP 400")
	fault("contract_top_p_500", "top_p 2 is answered HTTP 500 instead of 400")
}

var (
	structuredOnce sync.Once
	structuredBy   map[string]*fixture.Structured
)

// structuredScenario is the shipped structured-output scenario whose first
// user message req has, or nil.
func structuredScenario(req *chatRequest) *fixture.Structured {
	structuredOnce.Do(func() {
		structuredBy = map[string]*fixture.Structured{}
		list, _ := fixture.LoadStructuredFS(fixtures.StructuredFS, "structured", "fixtures/structured")
		for _, s := range list {
			if u := firstUser(s.Messages); u != "" {
				structuredBy[u] = s
			}
		}
	})
	for _, m := range req.Messages {
		if m.Role == "user" {
			return structuredBy[m.text()]
		}
	}
	return nil
}

// soSpec is the constraint a request asks for: response_format,
// structured_outputs, or the older guided_* fields.
type soSpec struct {
	format string
	schema map[string]any
	choice []string
	regex  string
}

// structured reads the constraint of req; nil when it asks for none.
// Source: vLLM protocol.py ChatCompletionRequest (response_format,
// structured_outputs; guided_json/guided_regex/guided_choice before
// v0.10.2), vllm-project/vllm@ec3b890c.
func (r *chatRequest) structured() *soSpec {
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	}
	if len(r.ResponseFormat) > 0 && json.Unmarshal(r.ResponseFormat, &rf) == nil {
		switch rf.Type {
		case "json_schema":
			if rf.JSONSchema != nil {
				return &soSpec{format: fixture.FormatJSONSchema, schema: rf.JSONSchema.Schema}
			}
		case "json_object":
			return &soSpec{format: fixture.FormatJSONObject}
		}
	}
	var so struct {
		JSON       map[string]any `json:"json"`
		Regex      string         `json:"regex"`
		Choice     []string       `json:"choice"`
		JSONObject bool           `json:"json_object"`
	}
	if len(r.StructuredOutputs) > 0 && json.Unmarshal(r.StructuredOutputs, &so) == nil {
		switch {
		case so.JSON != nil:
			return &soSpec{format: fixture.FormatJSONSchema, schema: so.JSON}
		case len(so.Choice) > 0:
			return &soSpec{format: fixture.FormatChoice, choice: so.Choice}
		case so.Regex != "":
			return &soSpec{format: fixture.FormatRegex, regex: so.Regex}
		case so.JSONObject:
			return &soSpec{format: fixture.FormatJSONObject}
		}
	}
	switch {
	case len(r.GuidedChoice) > 0:
		return &soSpec{format: fixture.FormatChoice, choice: r.GuidedChoice}
	case r.GuidedRegex != "":
		return &soSpec{format: fixture.FormatRegex, regex: r.GuidedRegex}
	case len(r.GuidedJSON) > 0 && string(r.GuidedJSON) != "null":
		// An object, or a string holding one (vLLM accepts both).
		var schema map[string]any
		if json.Unmarshal(r.GuidedJSON, &schema) != nil {
			var text string
			if json.Unmarshal(r.GuidedJSON, &text) == nil {
				_ = json.Unmarshal([]byte(text), &schema)
			}
		}
		return &soSpec{format: fixture.FormatJSONSchema, schema: schema}
	}
	return nil
}

// apiError writes the OpenAI-shaped error vLLM >= 0.10.2 sends for a
// validation error (VLLMValidationError carries the parameter):
// {"error": {"message", "type", "param", "code"}}.
func apiError(w http.ResponseWriter, status int, param, msg string) {
	typ := "BadRequestError"
	if status >= 500 {
		typ = "InternalServerError"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": param, "code": status}})
}

// refuseParams answers the out-of-range parameters vLLM refuses with HTTP
// 400 (vllm/sampling_params.py SamplingParams._verify_args;
// protocol.py check_tool_usage and response_format's model; vLLM
// vllm-project/vllm@ec3b890c) and reports whether it did. The contract
// personas break one each.
func (s *Server) refuseParams(w http.ResponseWriter, req *chatRequest) bool {
	f := s.p.Fault
	switch {
	case req.Temperature != nil && *req.Temperature < 0 && f != FaultClampTemperature:
		apiError(w, http.StatusBadRequest, "temperature", fmt.Sprintf("temperature must be non-negative, got %g.", *req.Temperature))
	case req.TopP != nil && (*req.TopP <= 0 || *req.TopP > 1):
		if f == FaultTopP500 {
			apiError(w, http.StatusInternalServerError, "", "EngineCore encountered an issue. See stack trace (above) for the root cause.")
			return true
		}
		apiError(w, http.StatusBadRequest, "top_p", fmt.Sprintf("top_p must be in (0, 1], got %g.", *req.TopP))
	case req.MaxTokens != nil && *req.MaxTokens < 1:
		apiError(w, http.StatusBadRequest, "max_tokens", fmt.Sprintf("max_tokens must be at least 1, got %d.", *req.MaxTokens))
	case req.N != nil && *req.N < 1:
		apiError(w, http.StatusBadRequest, "n", fmt.Sprintf("n must be at least 1, got %d.", *req.N))
	case req.named() && !slices.ContainsFunc(req.Tools, func(t fixture.Tool) bool { return t.Function.Name == req.choice() }):
		apiError(w, http.StatusBadRequest, "tool_choice", fmt.Sprintf("Tool '%s' has not been passed in `tools`.", req.choice()))
	case len(req.ResponseFormat) > 0 && !validResponseFormat(req.ResponseFormat):
		apiError(w, http.StatusBadRequest, "response_format", "response_format: type must be one of text, json_object, json_schema, structural_tag, and json_schema needs a json_schema object")
	default:
		return false
	}
	return true
}

func validResponseFormat(raw json.RawMessage) bool {
	var rf struct {
		Type       string          `json:"type"`
		JSONSchema json.RawMessage `json:"json_schema"`
	}
	if json.Unmarshal(raw, &rf) != nil {
		return false
	}
	switch rf.Type {
	case "text", "json_object", "structural_tag":
		return true
	case "json_schema":
		var js map[string]any
		return json.Unmarshal(rf.JSONSchema, &js) == nil && js != nil
	}
	return false
}

// structuredAnswer is the answer to a structured-output request, with the
// persona's structured fault applied; status != 0 answers an HTTP error.
func (s *Server) structuredAnswer(req *chatRequest, spec *soSpec) (a answer, status int, msg string) {
	sc := structuredScenario(req)
	text := ""
	switch {
	case sc != nil && sc.Format == spec.format:
		text = sc.AnswerText()
	case spec.format == fixture.FormatChoice:
		text = spec.choice[0]
	case spec.format == fixture.FormatRegex:
		text = "0"
	case spec.schema != nil:
		b, _ := json.Marshal(genValue(spec.schema, spec.schema, 0))
		text = string(b)
	default:
		text = "{}"
	}
	a = answer{Content: text, Finish: "stop"}
	if req.thinking() {
		a.Reasoning = words(reasoningWords, s.p.ReasoningTokens)
	}
	switch s.p.Fault {
	case FaultSOServerError:
		return a, http.StatusInternalServerError, "Failed to advance FSM for request: grammar rejected tokens"
	case FaultSOFeatureRefused:
		if hasKeyword(spec.schema, "minimum", "maximum", "minLength", "maxLength") {
			return a, http.StatusBadRequest, "The provided JSON schema contains features not supported by xgrammar."
		}
	case FaultSONotJSON:
		a.Content = "Sure! Here is the answer you asked for: " + text
	case FaultSOSchemaViolation:
		a.Content = violate(spec, text)
	case FaultSOFeatureIgnored:
		if v, ok := decodeObject(text); ok && breakFeature(v, spec.schema, spec.schema) {
			a.Content = encode(v)
		}
	case FaultSOInReasoning:
		a.Reasoning = strings.TrimSpace(a.Reasoning+"\n") + "\n" + text
		a.Content = ""
	case FaultSOTruncated:
		n := req.maxTokens()
		if n == 0 {
			n = 512
		}
		a.Content, a.Finish, a.Tokens = text[:len(text)/2], "length", n
	case FaultSOWrongValues:
		a.Content = wrongValue(spec, sc, text)
	}
	return a, 0, ""
}

func decodeObject(text string) (map[string]any, bool) {
	var v map[string]any
	return v, json.Unmarshal([]byte(text), &v) == nil && v != nil
}

func encode(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// violate breaks the constraint's shape: a required field dropped, a
// choice or regex answer outside it. Under json_object (no schema
// enforced) the answer stays.
func violate(spec *soSpec, text string) string {
	switch spec.format {
	case fixture.FormatChoice:
		return "maybe " + text
	case fixture.FormatRegex:
		return "about " + text
	}
	v, ok := decodeObject(text)
	if !ok || spec.schema == nil {
		return text
	}
	req := required(spec.schema)
	if len(req) == 0 {
		return text
	}
	slices.Sort(req)
	delete(v, req[0])
	return encode(v)
}

// breakFeature breaks one feature keyword of schema in v (the first
// property, sorted, that has one): maximum+2, maxLength+5 characters, a
// value outside the enum. It reports whether it broke one.
func breakFeature(v map[string]any, schema, root map[string]any) bool {
	props, _ := schema["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ps, _ := props[k].(map[string]any)
		if ref, ok := ps["$ref"].(string); ok {
			ps = resolveRef(ref, root)
		}
		switch {
		case ps["maximum"] != nil:
			m, _ := ps["maximum"].(float64)
			v[k] = m + 2
			return true
		case ps["maxLength"] != nil:
			m, _ := ps["maxLength"].(float64)
			v[k] = strings.Repeat("x", int(m)+5)
			return true
		case ps["enum"] != nil:
			v[k] = "not_a_member"
			return true
		}
		if sub, ok := v[k].(map[string]any); ok && breakFeature(sub, ps, root) {
			return true
		}
	}
	return false
}

// hasKeyword reports whether any of the keywords appears anywhere in schema.
func hasKeyword(schema any, kws ...string) bool {
	switch x := schema.(type) {
	case map[string]any:
		for k, v := range x {
			if slices.Contains(kws, k) || hasKeyword(v, kws...) {
				return true
			}
		}
	case []any:
		for _, v := range x {
			if hasKeyword(v, kws...) {
				return true
			}
		}
	}
	return false
}

// wrongValue keeps the constraint and changes a value the scenario
// expects: another choice, the digits of a regex answer rotated, another
// enum member or another string for the first expected field.
func wrongValue(spec *soSpec, sc *fixture.Structured, text string) string {
	switch spec.format {
	case fixture.FormatChoice:
		i := slices.Index(spec.choice, text)
		return spec.choice[(i+1)%len(spec.choice)]
	case fixture.FormatRegex:
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '0' + (r-'0'+1)%10
			}
			return r
		}, text)
	}
	v, ok := decodeObject(text)
	if !ok || sc == nil || len(sc.Expect) == 0 {
		return text
	}
	keys := make([]string, 0, len(sc.Expect))
	for k := range sc.Expect {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	k := keys[0]
	ps := propSchema(spec.schema, k)
	v[k] = otherOf(v[k], ps, spec.schema)
	return encode(v)
}

// otherOf is a value of the same type that differs: another enum member,
// a string with " Jr" appended, a number plus one (minus one at a
// maximum), an object with its first string field changed.
func otherOf(x any, ps, root map[string]any) any {
	if ref, ok := ps["$ref"].(string); ok {
		ps = resolveRef(ref, root)
	}
	if enum, ok := ps["enum"].([]any); ok {
		for _, e := range enum {
			if e != x {
				return e
			}
		}
	}
	switch y := x.(type) {
	case string:
		return y + " Jr"
	case float64:
		if m, ok := ps["maximum"].(float64); ok && y+1 > m {
			return y - 1
		}
		return y + 1
	case map[string]any:
		keys := make([]string, 0, len(y))
		for k := range y {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := copyArgs(y)
		for _, k := range keys {
			if _, ok := y[k].(string); ok {
				out[k] = otherOf(y[k], propSchema(ps, k), root)
				return out
			}
		}
	case []any:
		if len(y) > 0 {
			out := slices.Clone(y)
			out[0] = otherOf(y[0], nil, root)
			return out
		}
	}
	return x
}

// tokenizeEndpoint is vLLM's POST /tokenize for chat messages
// (vllm/entrypoints/openai/serving_tokenization.py, vllm@ec3b890c): the
// prompt the chat template renders, counted as usage.prompt_tokens counts
// it. Under contract_prompt_miscount usage says 3 more.
func (s *Server) tokenizeEndpoint(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<20)).Decode(&req); err != nil || len(req.Messages) == 0 {
		apiError(w, http.StatusBadRequest, "messages", "a chat tokenize request needs messages")
		return
	}
	n := req.promptTokens()
	tokens := make([]int, n)
	for i := range tokens {
		tokens[i] = 1000 + i
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n, "max_model_len": 32768, "tokens": tokens, "token_strs": nil})
}
