package toolcheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

const weatherYAML = `
name: judge_weather
messages: [{role: user, content: "Weather in Paris and Rome in celsius?"}]
tools:
  - type: function
    function:
      name: get_weather
      parameters:
        type: object
        properties:
          location: {type: string}
          unit: {type: string, enum: [celsius, fahrenheit, c]}
        required: [location, unit]
  - type: function
    function:
      name: web_search
      parameters:
        type: object
        properties: {q: {type: string}}
        required: [q]
steps:
  - order: %s
    calls:
      - name: get_weather
        args: {location: Paris, unit: {one_of: [celsius, c]}}
      - name: get_weather
        args: {location: Rome, unit: {one_of: [celsius, c]}}
`

const singleYAML = `
name: judge_single
messages: [{role: user, content: "Weather in Paris?"}]
tool_choice: %s
tools:
  - type: function
    function:
      name: get_weather
      parameters:
        type: object
        properties:
          location: {type: string}
          unit: {type: string, enum: [celsius, fahrenheit, c, kelvin]}
        required: [location]
steps:
  - calls:
      - name: get_weather
        args: {location: Paris, unit: {one_of: [celsius, c]}}
    results: {get_weather: "18 degrees"}
  - no_call: true
    answer_contains: ["18"]
`

func scenario(t *testing.T, tmpl string, arg string) *fixture.Scenario {
	t.Helper()
	s, err := fixture.Parse([]byte(strings.Replace(tmpl, "%s", arg, 1)), "inline.yaml")
	require.NoError(t, err)
	return s
}

func catalogue(t *testing.T, name string) *fixture.Scenario {
	t.Helper()
	ss, err := fixture.LoadFS(fixtures.FS, ".", "fixtures")
	require.NoError(t, err)
	for _, s := range ss {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return nil
}

func calls(nameArgs ...string) []record.ToolCall {
	var out []record.ToolCall
	for i := 0; i+1 < len(nameArgs); i += 2 {
		out = append(out, record.ToolCall{Index: i / 2, ID: "chatcmpl-tool-x", Type: "function", Name: nameArgs[i], Arguments: nameArgs[i+1]})
	}
	return out
}

func TestEvaluate(t *testing.T) {
	parAny := scenario(t, weatherYAML, "any")
	parExact := scenario(t, weatherYAML, "exact")
	auto := scenario(t, singleYAML, "auto")
	named := scenario(t, singleYAML, "get_weather")
	shipment := catalogue(t, "types_defs_ref_addresses")
	type testCase struct {
		name     string
		s        *fixture.Scenario
		step     int
		rec      record.Record
		passed   bool
		checks   map[string]bool // the checks asserted (others ignored)
		findings []string        // "code: detail" exactly, in order; nil = none
		reason   string
	}
	run := func(t *testing.T, tc testCase) {
		tc.rec.Status = 200
		res := Evaluate(&tc.rec, tc.s, tc.step)
		assert.Equal(t, tc.passed, res.Passed, tc.reason)
		for k, v := range tc.checks {
			got, ok := res.Checks[k]
			if assert.True(t, ok, "check %s present", k) {
				assert.Equal(t, v, got, "check %s: %s", k, tc.reason)
			}
		}
		var fs []string
		for _, f := range res.Findings {
			fs = append(fs, string(f.Code)+": "+f.Detail)
			assert.NotContains(t, f.Detail, "\n")
		}
		assert.Equal(t, tc.findings, fs, tc.reason)
		if tc.passed {
			assert.Empty(t, res.Findings, "a pass has no findings")
		}
	}
	paris, rome := `{"location": "Paris", "unit": "celsius"}`, `{"location": "rome", "unit": "c"}`
	for _, tc := range []testCase{
		{name: "parallel in order", s: parAny, rec: record.Record{ToolCalls: calls("get_weather", paris, "get_weather", rome), FinishReason: "tool_calls"},
			passed: true, checks: map[string]bool{Parsed: true, JSONValid: true, SchemaValid: true, ArgsMatch: true, FinishReason: true}, reason: "both calls, right values"},
		{name: "parallel any order", s: parAny, rec: record.Record{ToolCalls: calls("get_weather", rome, "get_weather", paris), FinishReason: "tool_calls"},
			passed: true, checks: map[string]bool{ArgsMatch: true}, reason: "order any finds the perfect pairing"},
		{name: "parallel exact order reversed", s: parExact, rec: record.Record{ToolCalls: calls("get_weather", rome, "get_weather", paris), FinishReason: "tool_calls"},
			checks:   map[string]bool{ArgsMatch: false, SchemaValid: true},
			findings: []string{"args_mismatch: get_weather[0]: location: want Paris, got rome", "args_mismatch: get_weather[1]: location: want Rome, got Paris"},
			reason:   "order exact compares by position"},
		{name: "parallel one missing", s: parAny, rec: record.Record{ToolCalls: calls("get_weather", rome), FinishReason: "tool_calls"},
			checks:   map[string]bool{Parsed: true, ArgsMatch: false},
			findings: []string{`args_mismatch: missing call get_weather(location=Paris, unit=one of ["celsius","c"])`},
			reason:   "Rome pairs with Rome; Paris is reported missing"},
		{name: "parallel one extra", s: parAny, rec: record.Record{ToolCalls: calls("get_weather", paris, "web_search", `{"q": "rome weather"}`, "get_weather", rome), FinishReason: "tool_calls"},
			checks:   map[string]bool{ArgsMatch: false, SchemaValid: true},
			findings: []string{`args_mismatch: unexpected call web_search({"q": "rome weather"})`},
			reason:   "an extra call fails the match"},
		{name: "wrong type, wrong value, extra, missing", s: parAny, rec: record.Record{ToolCalls: calls("get_weather", `{"location": 48.85, "unit": "kelvin", "foo": 1}`, "get_weather", `{"location": "Rome"}`), FinishReason: "tool_calls"},
			checks: map[string]bool{JSONValid: true, SchemaValid: false, ArgsMatch: false},
			findings: []string{
				"schema_violation: get_weather[0]: location: want string, got number",
				"schema_violation: get_weather[0]: unit: want one of [celsius fahrenheit c], got kelvin",
				"schema_violation: get_weather[1]: missing parameter unit",
				"args_mismatch: get_weather[0]: location: want string, got number",
				"args_mismatch: get_weather[0]: unit: want one of [celsius c], got kelvin",
				"args_mismatch: get_weather[0]: unexpected parameter foo",
				"args_mismatch: get_weather[1]: missing parameter unit",
			},
			reason: "each problem on its own line; schema problems as schema_violation, fixture problems as args_mismatch"},
		{name: "double-encoded arguments", s: auto, rec: record.Record{ToolCalls: calls("get_weather", `"{\"location\": \"Paris\", \"unit\": \"celsius\"}"`), FinishReason: "tool_calls"},
			checks: map[string]bool{Parsed: true, JSONValid: false, SchemaValid: false, ArgsMatch: false},
			findings: []string{
				`wire_format: function.arguments is double-encoded (a JSON string wrapping JSON, not a JSON object): "{\"location\": \"Paris\", \"unit\": \"celsius\"}"`,
				"args_mismatch: arguments are not a JSON object",
			},
			reason: "a JSON string holding JSON is named as double encoding"},
		{name: "truncated JSON", s: auto, rec: record.Record{ToolCalls: calls("get_weather", `{"location": "Par`), FinishReason: "tool_calls"},
			checks:   map[string]bool{JSONValid: false},
			findings: []string{`invalid_json_arguments: arguments are not JSON (unexpected end of JSON input): {"location": "Par`, "args_mismatch: arguments are not a JSON object"},
			reason:   "plain invalid JSON"},
		{name: "empty arguments", s: auto, rec: record.Record{ToolCalls: calls("get_weather", ``), FinishReason: "tool_calls"},
			checks:   map[string]bool{JSONValid: false},
			findings: []string{`invalid_json_arguments: arguments are empty (want a JSON object, "{}" when there are none)`, "args_mismatch: arguments are not a JSON object"},
			reason:   "clients json.loads the arguments; an empty string breaks them"},
		{name: "hermes leak is named, not no_tool_call", s: auto, rec: record.Record{Content: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>", FinishReason: "stop"},
			checks:   map[string]bool{Parsed: false, ArgsMatch: false, FinishReason: true},
			findings: []string{`parser_mismatch_hermes: content holds <tool_call> {"name": "get_weather", "arguments": {"location": "Paris"}} </tool_call>`},
			reason:   "the diagnosis says why there is no call"},
		{name: "prose where a call was wanted", s: auto, rec: record.Record{Content: "It is probably mild.", FinishReason: "stop"},
			checks: map[string]bool{Parsed: false}, findings: []string{"no_tool_call: no tool_calls; content: It is probably mild. (finish_reason stop)"},
			reason: "nothing more specific"},
		{name: "unknown function", s: auto, rec: record.Record{ToolCalls: calls("get_forecast", `{"location": "Paris"}`), FinishReason: "tool_calls"},
			checks:   map[string]bool{Parsed: false, JSONValid: true, SchemaValid: false, ArgsMatch: false},
			findings: []string{`unknown_function: called "get_forecast", offered get_weather`, "args_mismatch: want call get_weather, got get_forecast"},
			reason:   "a name that was not offered"},
		{name: "null function", s: auto, rec: record.Record{ToolCalls: []record.ToolCall{{ID: "x", NullFunction: true}}, FinishReason: "tool_calls"},
			checks:   map[string]bool{Parsed: false, JSONValid: false},
			findings: []string{`malformed_tool_call: tool_calls[0] has no function (id "x")`, "args_mismatch: want call get_weather, got "},
			reason:   "a call object without function"},
		{name: "auto with stop", s: auto, rec: record.Record{ToolCalls: calls("get_weather", paris), FinishReason: "stop"},
			checks:   map[string]bool{ArgsMatch: true, FinishReason: false},
			findings: []string{`finish_reason_mismatch: tool calls with finish_reason "stop" under tool_choice auto (vLLM sends "tool_calls")`},
			reason:   "vLLM sends tool_calls under auto"},
		{name: "named with stop", s: named, rec: record.Record{ToolCalls: calls("get_weather", paris), FinishReason: "stop"},
			passed: true, checks: map[string]bool{FinishReason: true}, reason: "vLLM's named tool_choice legitimately answers stop"},
		{name: "no-call step answers from the result", s: auto, step: 1, rec: record.Record{Content: "It is 18 °C in Paris.", FinishReason: "stop"},
			passed: true, checks: map[string]bool{NoCall: true, Answer: true, FinishReason: true}, reason: "prose with the tool's value"},
		{name: "no-call step misses the value", s: auto, step: 1, rec: record.Record{Content: "It is warm in Paris.", FinishReason: "stop"},
			checks: map[string]bool{NoCall: true, Answer: false}, findings: []string{`answer_mismatch: answer lacks "18": It is warm in Paris.`},
			reason: "answer_contains is checked case-insensitively"},
		{name: "no-call step calls again", s: auto, step: 1, rec: record.Record{ToolCalls: calls("get_weather", paris), FinishReason: "tool_calls"},
			checks:   map[string]bool{NoCall: false, JSONValid: true, SchemaValid: true, Answer: false},
			findings: []string{"unexpected_tool_call: called get_weather", `answer_mismatch: answer lacks "18"`},
			reason:   "a call where prose was wanted"},
		{name: "no-call step with leaked markup", s: auto, step: 1, rec: record.Record{Content: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call> 18", FinishReason: "stop"},
			checks:   map[string]bool{NoCall: false},
			findings: []string{`parser_mismatch_hermes: content holds <tool_call> {"name": "get_weather", "arguments": {}} </tool_call> 18`},
			reason:   "markup is a leaked call even on a no-call step"},
		{name: "$defs/$ref schema ok", s: shipment, rec: record.Record{ToolCalls: calls("create_shipment",
			`{"sender": {"name": "Ada Lovelace", "street": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}, "recipient": {"name": "Grace Hopper", "street": "1 Navy Way", "city": "Arlington", "postal_code": "22202", "country": "US"}, "weight_kg": 2.5}`), FinishReason: "tool_calls"},
			passed: true, checks: map[string]bool{SchemaValid: true, ArgsMatch: true}, reason: "refs resolve inside parameters"},
		{name: "$defs/$ref schema violated", s: shipment, rec: record.Record{ToolCalls: calls("create_shipment",
			`{"sender": {"name": "Ada Lovelace", "street": "12 St James's Square", "city": "London", "country": "GB"}, "recipient": {"name": "Grace Hopper", "street": "1 Navy Way", "city": "Arlington", "postal_code": 22202, "country": "US"}, "weight_kg": 2.5}`), FinishReason: "tool_calls"},
			checks: map[string]bool{SchemaValid: false, ArgsMatch: false},
			findings: []string{
				"schema_violation: recipient.postal_code: want string, got number",
				"schema_violation: sender: missing parameter postal_code",
				`args_mismatch: recipient: want {"city":"Arlington","country":"US","name":"Grace Hopper","postal_code":"22202","street":"1 Navy Way"}, got {"city":"Arlington","country":"US","name":"Grace Hopper","postal_code":22202,"street":"1 Navy Way"}`,
				`args_mismatch: sender: want {"city":"London","country":"GB","name":"Ada Lovelace","postal_code":"SW1Y 4JH","street":"12 St James's Square"}, got {"city":"London","country":"GB","name":"Ada Lovelace","street":"12 St James's Square"}`,
			},
			reason: "the Address definition applies to both references"},
		{name: "wire issues are findings", s: auto, rec: record.Record{ToolCalls: calls("get_weather", paris), FinishReason: "tool_calls",
			WireIssues: []string{"tool_calls[0].function.arguments is a JSON object, not a string holding JSON: {\"location\":\"Paris\"}", "tool_calls[0].id is missing: a client has no tool_call_id to send the result back with"}},
			checks: map[string]bool{Wire: false, Parsed: true, ArgsMatch: true},
			findings: []string{
				"wire_format: tool_calls[0].function.arguments is a JSON object, not a string holding JSON: {\"location\":\"Paris\"}",
				"wire_format: tool_calls[0].id is missing: a client has no tool_call_id to send the result back with",
			},
			reason: "a server check: the values are right, the wire format is not"},
		{name: "clean wire", s: auto, rec: record.Record{ToolCalls: calls("get_weather", paris), FinishReason: "tool_calls"},
			passed: true, checks: map[string]bool{Wire: true}, reason: "no issue recorded"},
		{name: "cut call is not invalid JSON too", s: named, rec: record.Record{ToolCalls: calls("get_weather", `{"location": "Par`), FinishReason: "length", MaxTokens: 16},
			checks:   map[string]bool{JSONValid: false, ArgsMatch: false},
			findings: []string{`tool_call_truncated_max_tokens: max_tokens=16 was hit (finish_reason length): tool_calls[0] (get_weather) arguments end unterminated: {"location": "Par`},
			reason:   "one code for the cut: json_valid fails, but invalid_json_arguments would blame the model's JSON"},
		{name: "markup on a no-call step fails no_call", s: auto, step: 1, rec: record.Record{Content: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call> 18", FinishReason: "stop"},
			checks: map[string]bool{NoCall: false}, findings: []string{`parser_mismatch_hermes: content holds <tool_call> {"name": "get_weather", "arguments": {}} </tool_call> 18`},
			reason: "markup on a no-call step is no clean answer"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestJudgeStepOutOfRange(t *testing.T) {
	res := Evaluate(&record.Record{Status: 200}, scenario(t, singleYAML, "auto"), 5)
	assert.False(t, res.Passed)
	require.Len(t, res.Findings, 1)
}

func TestSchemaCompiledOnce(t *testing.T) {
	s := scenario(t, singleYAML, "auto")
	tool, _ := s.Tool("get_weather")
	a, err := toolSchema(s, tool)
	require.NoError(t, err)
	b, err := toolSchema(s, tool)
	require.NoError(t, err)
	assert.Same(t, a, b, "cached by scenario, tool and parameters")
	s2 := scenario(t, singleYAML, "auto")
	s2.Tools[0].Function.Parameters["required"] = []any{"location", "unit"}
	tool2, _ := s2.Tool("get_weather")
	c, err := toolSchema(s2, tool2)
	require.NoError(t, err)
	assert.NotSame(t, a, c, "same scenario name, other parameters: another schema")
}

func TestMessage(t *testing.T) {
	type testCase struct {
		name   string
		f      diagnosis.Finding
		want   string
		reason string
	}
	run := func(t *testing.T, tc testCase) { assert.Equal(t, tc.want, Message(tc.f), tc.reason) }
	for _, tc := range []testCase{
		{name: "detail and remedy", f: diagnosis.Finding{Code: diagnosis.ParserMismatchHermes, Detail: `content holds <tool_call> {"name": "f"`},
			want:   `content holds <tool_call> {"name": "f" [parser_mismatch_hermes] → fix: start vLLM with --tool-call-parser hermes (Qwen2.5/Qwen3, Hermes-style models)`,
			reason: "detail first, then code, then fix"},
		{name: "catalog text without detail", f: diagnosis.Finding{Code: diagnosis.AuthFailed},
			want: "HTTP 401/403: the server refused the key [auth_failed] → fix: check VLLM_API_KEY against the server's --api-key", reason: "Seen stands in"},
		{name: "unknown code", f: diagnosis.Finding{Code: "made_up", Detail: "x\ny"}, want: "x y [made_up]", reason: "one line, no fix to print"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
