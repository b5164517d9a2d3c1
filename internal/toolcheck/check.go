// Package toolcheck judges one attempt of one step of a tool-calling scenario:
// it parses the calls the server returned, validates them against the tools'
// JSON Schemas, matches them against the fixture's expected calls, and folds
// in what package diagnosis reads from the response. Everything here is a
// pure function of the record and the scenario.
package toolcheck

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// Check names, the keys of Result.Checks and of the sidecar's checks counts.
// Declared from internal/checkname's AttemptTable, which docs/reference.md
// lists.
const (
	Parsed       = checkname.Parsed       // calls present, every name offered, every call has a function
	JSONValid    = checkname.JSONValid    // every call's arguments are a JSON object
	SchemaValid  = checkname.SchemaValid  // every call's arguments satisfy its tool's parameters schema
	ArgsMatch    = checkname.ArgsMatch    // the calls match the step's expected calls
	FinishReason = checkname.FinishReason // finish_reason fits the answer (see diagnosis.Response)
	NoCall       = checkname.NoCall       // no_call steps: no call and no call markup
	Answer       = checkname.Answer       // steps with answer_contains: every string is in the content
	// Wire: every tool call keeps the OpenAI wire format (arguments a
	// string, id present and unique, type "function", streamed deltas with
	// index, usage in a stream that asked for it). A server check.
	Wire = checkname.Wire
)

// ParsedCall is one returned call with its arguments decoded.
type ParsedCall struct {
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	// Arguments is the raw string the server sent.
	Arguments string `json:"arguments"`
	// Args is Arguments decoded, nil when they are not a JSON object.
	Args map[string]any `json:"args,omitempty"`
	// Offered: Name is among the scenario's tools.
	Offered bool `json:"offered"`
	// Problem says why Args is nil ("" when it is not).
	Problem string `json:"problem,omitempty"`
}

// Result is the verdict on one step of one attempt.
type Result struct {
	// Checks holds the named checks that apply to the step (see the
	// constants). json_valid and schema_valid appear only when the step
	// produced a call; parsed and args_match only on steps that want one.
	Checks map[string]bool
	// Findings are the diagnoses, most specific first; each is one line.
	Findings []diagnosis.Finding
	// Passed: every check holds and nothing was found.
	Passed bool
	// Calls are the returned calls, decoded.
	Calls []ParsedCall
}

// Evaluate checks the response r to step (0-based) of s. r must be a 2xx
// record; for failed requests use diagnosis.Transport.
//
// On a step with calls: parsed, json_valid, schema_valid, args_match and
// finish_reason. With order "exact" the calls are compared position by
// position; with "any" (the default) Judge finds the pairing of expected
// and returned calls with the fewest problems, so a perfect match is found
// whenever one exists. On a step without calls (no_call, or only
// answer_contains): no_call (no call, no markup leak), finish_reason,
// answer when answer_contains is set, and json_valid/schema_valid when an
// unexpected call came anyway. On every step: wire (the calls keep the
// OpenAI wire format; each breach the client recorded is a wire_format
// finding naming the field).
func Evaluate(r *record.Record, s *fixture.Scenario, step int) Result {
	res := Result{Checks: map[string]bool{}}
	if r == nil || s == nil || step < 0 || step >= len(s.Steps) {
		res.Findings = []diagnosis.Finding{{Code: diagnosis.ArgsMismatch, Detail: fmt.Sprintf("no step %d in the scenario", step)}}
		return res
	}
	st := s.Steps[step]
	offered := make([]string, 0, len(s.Tools))
	for _, t := range s.Tools {
		offered = append(offered, t.Function.Name)
	}
	wantCall := len(st.Calls) > 0
	// The budget is what the request sent (thinking-on attempts get
	// ACCEPTANCE_THINKING_MAX_TOKENS), else the scenario's.
	budget := r.MaxTokens
	if budget == 0 {
		budget = s.MaxTokens
	}
	res.Findings = diagnosis.Response(r, diagnosis.Expectation{
		WantCall: wantCall, Offered: offered, ToolChoice: s.ToolChoice, MaxTokens: budget,
	})
	has := func(c diagnosis.Code) bool {
		for _, f := range res.Findings {
			if f.Code == c {
				return true
			}
		}
		return false
	}
	// A call cut off by the budget (or holding the reasoning the budget
	// cut) has its own code; invalid_json_arguments and args_mismatch on
	// the same arguments would blame the model's JSON or values.
	truncated := has(diagnosis.ToolCallTruncatedMaxTokens) || has(diagnosis.ReasoningExhaustedMaxTokens)
	for _, w := range r.WireIssues {
		res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.WireFormat, Detail: w})
	}
	res.Checks[Wire] = len(r.WireIssues) == 0
	multi := len(r.ToolCalls) > 1 || len(st.Calls) > 1
	label := func(c ParsedCall, line string) string {
		if multi {
			return fmt.Sprintf("%s[%d]: %s", c.Name, c.Index, line)
		}
		return line
	}

	// Decode every call; json_valid and schema_valid are over all of them.
	jsonOK, schemaOK, allOffered, allFunctions := true, true, true, true
	for _, tc := range r.ToolCalls {
		c := ParsedCall{Index: tc.Index, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments}
		tool, ok := s.Tool(tc.Name)
		c.Offered = ok || len(s.Tools) == 0
		allOffered = allOffered && c.Offered
		if tc.NullFunction {
			allFunctions, jsonOK, schemaOK = false, false, false
			c.Problem = "no function"
			res.Calls = append(res.Calls, c)
			continue
		}
		c.Args, c.Problem = decodeArgs(tc.Arguments)
		if c.Args == nil {
			jsonOK, schemaOK = false, false
			if !truncated {
				// A call cut off by max_tokens is not invalid JSON of the
				// model's or the parser's making; its own code says so.
				code := diagnosis.InvalidJSONArguments
				if strings.HasPrefix(c.Problem, doubleEncoded) {
					// A string holding a JSON string: the wire format wants
					// a string holding a JSON object, and every client's
					// json.loads gets a str. Double encoding is a parser
					// or serializer bug, not the model's JSON.
					code = diagnosis.WireFormat
				}
				res.Findings = append(res.Findings, diagnosis.Finding{Code: code, Detail: label(c, c.Problem)})
			}
		} else if ok {
			sch, err := toolSchema(s, tool)
			if err != nil {
				schemaOK = false
				res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.SchemaViolation, Detail: label(c, err.Error())})
			} else {
				for _, line := range schemaProblems(sch, c.Args) {
					schemaOK = false
					res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.SchemaViolation, Detail: label(c, line)})
				}
			}
		} else {
			schemaOK = false // no schema to satisfy: unknown_function says why
		}
		res.Calls = append(res.Calls, c)
	}
	if len(r.ToolCalls) > 0 {
		res.Checks[JSONValid] = jsonOK
		res.Checks[SchemaValid] = schemaOK
	}
	res.Checks[FinishReason] = !has(diagnosis.FinishReasonMismatch)

	if wantCall {
		res.Checks[Parsed] = len(r.ToolCalls) > 0 && allOffered && allFunctions
		lines := matchCalls(st, res.Calls)
		if !truncated {
			for _, l := range lines {
				res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.ArgsMismatch, Detail: l})
			}
		}
		res.Checks[ArgsMatch] = len(r.ToolCalls) > 0 && len(lines) == 0 && allFunctions && jsonOK
	} else {
		leak := false
		for _, c := range []diagnosis.Code{
			diagnosis.ParserMismatchHermes, diagnosis.ParserMismatchXML, diagnosis.ParserMismatchMistral,
			diagnosis.ParserMismatchHarmony, diagnosis.ToolCallInReasoning, diagnosis.ToolMarkupUnderNone,
			diagnosis.ToolCallTruncatedMaxTokens,
		} {
			leak = leak || has(c)
		}
		res.Checks[NoCall] = len(r.ToolCalls) == 0 && !leak
	}
	if len(st.AnswerContains) > 0 {
		var missing []string
		low := strings.ToLower(r.Content)
		for _, want := range st.AnswerContains {
			if !strings.Contains(low, strings.ToLower(want)) {
				missing = append(missing, fmt.Sprintf("%q", want))
			}
		}
		res.Checks[Answer] = len(missing) == 0
		if len(missing) > 0 {
			d := "answer lacks " + strings.Join(missing, ", ")
			if c := diagnosis.Snippet(r.Content); c != "" {
				d += ": " + c
			}
			res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.AnswerMismatch, Detail: d})
		}
	}

	res.Passed = len(res.Findings) == 0
	for _, ok := range res.Checks {
		res.Passed = res.Passed && ok
	}
	return res
}

// decodeArgs parses a call's arguments as a JSON object. A JSON string that
// itself holds JSON (double encoding, as some vLLM parsers have produced) is
// reported as such rather than as plain invalid JSON.
// doubleEncoded starts the problem of arguments that are a JSON string
// holding JSON.
const doubleEncoded = "function.arguments is double-encoded (a JSON string wrapping JSON, not a JSON object): "

func decodeArgs(s string) (map[string]any, string) {
	if strings.TrimSpace(s) == "" {
		return nil, `arguments are empty (want a JSON object, "{}" when there are none)`
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Sprintf("arguments are not JSON (%v): %s", err, diagnosis.Snippet(s))
	}
	switch x := v.(type) {
	case map[string]any:
		return x, ""
	case string:
		var inner any
		if json.Unmarshal([]byte(x), &inner) == nil {
			return nil, doubleEncoded + diagnosis.Snippet(s)
		}
	}
	return nil, fmt.Sprintf("arguments are a JSON %s, not an object: %s", jsonType(v), diagnosis.Snippet(s))
}

// Message is the one line a JUnit failure carries for a finding:
// "<what was seen> [code] → fix: <remedy>". The finding's Detail is what was
// seen when it has one, else the catalog's text; the fix part is left out
// for codes without a remedy.
func Message(f diagnosis.Finding) string { return MessageFor(f, "auto") }

// MessageFor is Message with the remedy for the tool_choice the request
// was sent with (diagnosis.LookupFor).
func MessageFor(f diagnosis.Finding, toolChoice string) string {
	info := diagnosis.LookupFor(f.Code, toolChoice)
	seen := f.Detail
	if seen == "" {
		seen = info.Seen
	}
	seen = strings.Join(strings.Fields(seen), " ")
	msg := fmt.Sprintf("%s [%s]", seen, f.Code)
	if info.Remedy != "" {
		msg += " → fix: " + info.Remedy
	}
	return msg
}
