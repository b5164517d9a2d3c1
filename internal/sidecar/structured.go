package sidecar

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// StructuredOutputs is TestStructuredOutputs: the structured-output
// scenarios (fixtures/structured), each in every thinking setting and
// transport.
type StructuredOutputs struct {
	Scenarios []StructuredScenario `json:"scenarios"`
	// API is the request field that carried choice and regex:
	// "structured_outputs" (vLLM >= 0.10.2) or "guided" (guided_choice,
	// guided_regex; older vLLM), from ACCEPTANCE_STRUCTURED_API.
	API string `json:"api,omitempty"`
	// ServerFailures counts attempts with a server fault over the section.
	ServerFailures int `json:"server_failures"`
	// Canary is the plain request sent before the section and after each
	// scenario mode: its failures after a success are
	// structured_next_request_worse.
	CanaryFailures int `json:"canary_failures"`
	// Model is the model-check rate over every mode's attempts without a
	// server fault (values, budget), judged against
	// ACCEPTANCE_MODEL_MIN_PASS_RATE as tool calling's run-wide rate is: a
	// mode passes on little data, the section does not when its modes
	// together show a model below the threshold beyond chance (every
	// answer cut by max_tokens, say).
	Model *Rate `json:"model,omitempty"`
	// Passed: no scenario mode failed (unknown ones fail nothing unless
	// ACCEPTANCE_FAIL_UNKNOWN names "structured_outputs").
	Passed bool `json:"passed"`
}

// StructuredScenario is one structured-output scenario in one mode.
type StructuredScenario struct {
	Name   string `json:"name"`
	Mode   string `json:"mode"`
	Test   string `json:"test,omitempty"`
	Format string `json:"format"`
	// Purpose says what the scenario proves.
	Purpose string `json:"purpose,omitempty"`
	// Attempts sent; Passed held every check; NotRun were never sent (the
	// run's stop, a budget): they make the mode unknown, never passed.
	Attempts int `json:"attempts"`
	Passed   int `json:"passed"`
	NotRun   int `json:"not_run,omitempty"`
	// ServerFailures counts attempts with a server-kind finding; any
	// fails the mode.
	ServerFailures int `json:"server_failures"`
	// Model is the rate of attempts whose model checks held (values,
	// budget), over attempts without a server fault, judged against
	// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE (Wilson interval).
	Model Rate `json:"model"`
	// Checks counts attempts that passed each check: answered, json,
	// constraint, content_channel, values, stream.
	Checks map[string]int `json:"checks"`
	// CheckKinds says whether each check is a "server" or "model" check.
	CheckKinds map[string]string `json:"check_kinds"`
	// Outcome is pass, fail or unknown (nothing measured: every attempt
	// not run); FailedOn says why a fail: "server", "model" or both.
	Outcome   Outcome     `json:"outcome"`
	FailedOn  string      `json:"failed_on,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	Diagnoses []Diagnosis `json:"diagnoses"`
}

// CheckStructuredOutputs is the name a structured-output scenario mode
// counts under (ACCEPTANCE_FAIL_UNKNOWN=structured_outputs makes an
// unknown mode fail).
const CheckStructuredOutputs = checkname.StructuredOutputs

// Check is the mode as the judge counts it: named "structured_outputs".
func (s StructuredScenario) Check() Check {
	c := Check{Name: CheckStructuredOutputs, Passed: s.Outcome == Pass, Skipped: s.Outcome == Unknown,
		Detail: s.Name + "/" + s.Mode + " " + s.FailedOn, Outcome: s.Outcome}
	if s.Outcome != Fail && s.NotRun > 0 {
		// Attempts the suite's own stop cut (or never sent): not run,
		// never a pass on the attempts that did run.
		c.Passed, c.Skipped, c.NotRun, c.Outcome = false, true, true, Unknown
		c.Detail = fmt.Sprintf("%s%s/%s: %d of %d attempts did not run", NotRunPrefix, s.Name, s.Mode, s.NotRun, s.NotRun+s.Attempts)
		if s.Reason != "" {
			c.Detail += " (" + s.Reason + ")"
		}
	}
	return c
}

// Contract is TestContract: what an OpenAI-compatible server promises
// about usage and parameter validation, each check plain and streamed.
type Contract struct {
	Checks []ContractCheck `json:"checks"`
	// Tokenize says whether the server has vLLM's /tokenize (prompt_tokens
	// is unknown without it).
	Tokenize bool `json:"tokenize"`
	Passed   bool `json:"passed"`
}

// ContractCheck is one TestContract/<check>/<plain|stream>.
type ContractCheck struct {
	// Name is the check ("prompt_tokens", "stream_usage", "temperature_negative",
	// "top_p_above_one", "max_tokens_zero", "n_zero", "tool_choice_unknown",
	// "response_format_malformed"); Mode is "plain" or "stream".
	Name    string  `json:"name"`
	Mode    string  `json:"mode"`
	Outcome Outcome `json:"outcome"`
	// Status is the HTTP status the probe got (0: none).
	Status int `json:"status,omitempty"`
	// Value and Expected are the figures compared (prompt tokens, usage),
	// where the check compares figures.
	Value    float64 `json:"value,omitempty"`
	Expected float64 `json:"expected,omitempty"`
	// Detail is one line of what was seen; Code, Kind and Remedy name the
	// diagnosis of a failed check.
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Remedy string `json:"remedy,omitempty"`
}

// Check is the contract check as the judge counts it, under its name
// (ACCEPTANCE_FAIL_UNKNOWN=prompt_tokens makes an unknown one fail).
func (c ContractCheck) Check() Check {
	out := Check{Name: c.Name, Passed: c.Outcome == Pass, Skipped: c.Outcome == Unknown, Detail: c.Mode + ": " + c.Detail,
		Value: c.Value, Threshold: c.Expected, Outcome: c.Outcome}
	if c.Outcome == Unknown && strings.HasPrefix(c.Detail, NotRunPrefix) {
		// The suite stopped the probe: not run, not "no /tokenize".
		out.NotRun, out.Detail = true, NotRunPrefix+c.Name+" ["+c.Mode+"]: "+strings.TrimPrefix(c.Detail, NotRunPrefix)
	}
	return out
}

// AllChecks is every contract check as the judge counts it.
func (c *Contract) AllChecks() []Check {
	out := make([]Check, len(c.Checks))
	for i, x := range c.Checks {
		out[i] = x.Check()
	}
	return out
}

// AllChecks is every structured-output scenario mode as the judge counts
// it, and the run-wide model rate (when any attempt judged the model) as
// one more check of the same name.
func (s *StructuredOutputs) AllChecks() []Check {
	out := make([]Check, 0, len(s.Scenarios)+1)
	for _, x := range s.Scenarios {
		out = append(out, x.Check())
	}
	if m := s.Model; m != nil && m.Attempts > 0 {
		out = append(out, Check{Name: CheckStructuredOutputs, Passed: m.Verdict != VerdictFail, Value: m.Rate, Threshold: m.Min,
			Detail: fmt.Sprintf("all modes: model checks held in %d of %d attempts", m.Passed, m.Attempts)})
	}
	return out
}

// StructuredUnderLoad is TestStructuredOutputsUnderLoad: the
// structured-output scenarios again while a background open loop runs at
// a fraction of the capacity, beside the isolated run, and what schema
// enforcement costs in decode time against the plain background requests
// of the same window.
type StructuredUnderLoad struct {
	RatePerS float64 `json:"rate_per_s"`
	Fraction float64 `json:"fraction"`
	Capacity float64 `json:"capacity"`
	// Background is the background open loop's own figures.
	Background *ConcurrencyRun     `json:"background,omitempty"`
	Scenarios  []UnderLoadScenario `json:"scenarios"`
	// NewServerFailures counts scenario modes with a server fault under
	// load that the isolated run did not show: each fails the test.
	NewServerFailures int `json:"new_server_failures"`
	// StructuredTPOTms is the TPOT of the streamed structured answers
	// under load; PlainTPOTms the background's (plain requests, same
	// window). DecodeCost is StructuredTPOTms.P50 / PlainTPOTms.P50 − 1
	// (0.25: structured requests decode 25 % slower), nil without both.
	StructuredTPOTms stats.Summary `json:"structured_tpot_ms,omitzero"`
	PlainTPOTms      stats.Summary `json:"plain_tpot_ms,omitzero"`
	DecodeCost       *float64      `json:"decode_cost,omitempty"`
	Passed           bool          `json:"passed"`
	Note             string        `json:"note,omitempty"`
}
