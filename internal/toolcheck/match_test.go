package toolcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

func TestStandardize(t *testing.T) {
	type testCase struct {
		name, in, want, reason string
	}
	run := func(t *testing.T, tc testCase) { assert.Equal(t, tc.want, Standardize(tc.in), tc.reason) }
	for _, tc := range []testCase{
		{name: "date forms", in: "April 1, 2024", want: "april12024", reason: "BFCL: 'April 1, 2024' vs 'April 1 2024'"},
		{name: "punctuation", in: "San_Francisco-CA./*^", want: "sanfranciscoca", reason: "the removed set is space , . / - _ * ^"},
		{name: "quotes", in: "James's", want: `james"s`, reason: "BFCL turns ' into \" rather than dropping it"},
		{name: "other punctuation kept", in: "a+b(c)", want: "a+b(c)", reason: "only BFCL's set is removed"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func ptr[T any](v T) *T { return &v }

func TestMatchValue(t *testing.T) {
	type testCase struct {
		name   string
		m      fixture.Matcher
		got    any
		want   string // "" = matches
		reason string
	}
	run := func(t *testing.T, tc testCase) { assert.Equal(t, tc.want, matchValue(tc.m, tc.got), tc.reason) }
	for _, tc := range []testCase{
		{name: "equals normalised", m: fixture.Matcher{Equals: "San Francisco"}, got: "san francisco", reason: "case and spaces ignored"},
		{name: "equals wrong value", m: fixture.Matcher{Equals: "Dallas"}, got: "Houston", want: "want Dallas, got Houston", reason: "value"},
		{name: "equals wrong type", m: fixture.Matcher{Equals: "Dallas"}, got: 3.0, want: "want string, got number", reason: "type before value"},
		{name: "equals int vs float", m: fixture.Matcher{Equals: 3}, got: 3.0, reason: "3 equals 3.0"},
		{name: "equals number exact", m: fixture.Matcher{Equals: 7.0}, got: 7.5, want: "want 7, got 7.5", reason: "numbers are not normalised"},
		{name: "equals string number", m: fixture.Matcher{Equals: 7.0}, got: "7", want: "want number, got string", reason: `"7" is not 7`},
		{name: "equals object recursive", m: fixture.Matcher{Equals: map[string]any{"building": "B2", "floor": 3.0}}, got: map[string]any{"floor": 3.0, "building": "b2"}, reason: "recursive, strings normalised"},
		{name: "equals object extra key", m: fixture.Matcher{Equals: map[string]any{"a": 1.0}}, got: map[string]any{"a": 1.0, "b": 2.0}, want: `want {"a":1}, got {"a":1,"b":2}`, reason: "objects compare key sets"},
		{name: "equals array order", m: fixture.Matcher{Equals: []any{"lab", "humidity"}}, got: []any{"humidity", "lab"}, want: `want ["lab","humidity"], got ["humidity","lab"]`, reason: "arrays keep order"},
		{name: "equals null", m: fixture.Matcher{Type: "null"}, got: nil, reason: "null via type"},
		{name: "exact bytes", m: fixture.Matcher{Exact: "She said \"hi\"\ndone"}, got: "She said \"hi\"\ndone", reason: "escapes intact"},
		{name: "exact differs in case", m: fixture.Matcher{Exact: "Zürich"}, got: "zürich", want: `want exactly "Zürich", got "zürich"`, reason: "no normalisation"},
		{name: "exact unicode vs ascii", m: fixture.Matcher{Exact: "José"}, got: "Jose", want: `want exactly "José", got "Jose"`, reason: "unicode kept"},
		{name: "iequals", m: fixture.Matcher{IEquals: ptr("ORD-99812")}, got: "ord-99812", reason: "case-insensitive"},
		{name: "iequals keeps punctuation", m: fixture.Matcher{IEquals: ptr("ORD-99812")}, got: "ORD99812", want: "want ORD-99812 (any case), got ORD99812", reason: "only case is ignored"},
		{name: "iequals wrong type", m: fixture.Matcher{IEquals: ptr("x")}, got: true, want: "want string, got boolean", reason: "type"},
		{name: "one of", m: fixture.Matcher{OneOf: []any{"celsius", "c"}}, got: "C", reason: "normalised like equals"},
		{name: "one of miss", m: fixture.Matcher{OneOf: []any{"celsius", "c"}}, got: "kelvin", want: "want one of [celsius c], got kelvin", reason: "lists the options"},
		{name: "number in tolerance", m: fixture.Matcher{Number: ptr(2.5), Tolerance: 0.001}, got: 2.5004, reason: "|got-want| <= tolerance"},
		{name: "number out of tolerance", m: fixture.Matcher{Number: ptr(2.5), Tolerance: 0.001}, got: 2.6, want: "want 2.5±0.001, got 2.6", reason: "outside"},
		{name: "number wrong type", m: fixture.Matcher{Number: ptr(2.5)}, got: "2.5", want: "want number, got string", reason: "a string is not a number"},
		{name: "regex", m: fixture.Matcher{Regex: `(?i)space\s*needle`}, got: "the Space Needle", reason: "matches"},
		{name: "regex miss", m: fixture.Matcher{Regex: `^\d+$`}, got: "12a", want: `want a match for /^\d+$/, got 12a`, reason: "no match"},
		{name: "regex bad", m: fixture.Matcher{Regex: `(`}, got: "x", want: "fixture regex \"(\" does not compile: error parsing regexp: missing closing ): `(`", reason: "a fixture bug is named"},
		{name: "type integer", m: fixture.Matcher{Type: "integer"}, got: 12.0, reason: "12.0 is an integer"},
		{name: "type integer fraction", m: fixture.Matcher{Type: "integer"}, got: 12.5, want: "want integer, got number", reason: "12.5 is not"},
		{name: "type object", m: fixture.Matcher{Type: "object"}, got: []any{}, want: "want object, got array", reason: "type names"},
		{name: "no form", m: fixture.Matcher{}, got: "anything", reason: "a matcher with no form only asks for presence"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestArgProblems(t *testing.T) {
	type testCase struct {
		name   string
		e      fixture.ExpectedCall
		args   map[string]any
		want   []string
		reason string
	}
	run := func(t *testing.T, tc testCase) { assert.Equal(t, tc.want, argProblems(tc.e, tc.args), tc.reason) }
	e := fixture.ExpectedCall{Name: "get_weather", Args: map[string]fixture.Matcher{
		"location": {Equals: "Paris"}, "unit": {OneOf: []any{"celsius", "c"}}, "days": {Absent: true},
	}}
	for _, tc := range []testCase{
		{name: "match", e: e, args: map[string]any{"location": "paris", "unit": "celsius"}, want: nil, reason: "all fine"},
		{name: "each problem on its own line", e: e, args: map[string]any{"location": 75.0, "unit": "kelvin", "days": 3.0, "foo": 1.0},
			want:   []string{"unexpected parameter days (want it absent), got 3", "location: want string, got number", "unit: want one of [celsius c], got kelvin", "unexpected parameter foo"},
			reason: "absent, wrong type, wrong value and extra are separate lines"},
		{name: "missing", e: e, args: map[string]any{"location": "Paris"}, want: []string{"missing parameter unit"}, reason: "required by the fixture"},
		{name: "allow extra", e: fixture.ExpectedCall{Name: "f", Args: map[string]fixture.Matcher{"a": {Equals: 1.0}}, AllowExtra: true}, args: map[string]any{"a": 1.0, "b": 2.0}, want: nil, reason: "extras allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
