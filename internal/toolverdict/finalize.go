package toolverdict

import (
	"fmt"
	"sort"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

// Finalize derives the run-wide figures of the tool-calling section from
// its scenario entries: the contract's parse and JSON rates, the figures
// per category, the model-check rate per category (judged against
// th.Scenario, like a scenario: a category holds few attempts, and
// attempts with several calls fail more often) and over the run (against
// th.Rate), the attempts not run, and Passed (sidecar.ToolCallingVerdict
// over the rest). It sorts the scenarios by name and
// mode so that the file diffs well.
func Finalize(tc *sidecar.ToolCalling, th Thresholds) {
	if tc == nil {
		return
	}
	sort.Slice(tc.Scenarios, func(i, j int) bool {
		if tc.Scenarios[i].Name != tc.Scenarios[j].Name {
			return tc.Scenarios[i].Name < tc.Scenarios[j].Name
		}
		return tc.Scenarios[i].Mode < tc.Scenarios[j].Mode
	})
	type acc struct {
		attempts, passed, expect, parsed, withCalls, json, schema, args int
		server, modelN, modelOK                                         int
	}
	total := acc{}
	cats := map[string]*acc{}
	tc.Nondeterministic, tc.NotRun = 0, 0
	for _, s := range tc.Scenarios {
		tc.NotRun += s.NotRun
		if s.Nondeterministic {
			tc.Nondeterministic++
		}
		c := cats[s.Category]
		if c == nil {
			c = &acc{}
			cats[s.Category] = c
		}
		for _, x := range []*acc{c, &total} {
			x.attempts += s.Attempts
			x.passed += s.Passed
			if s.ExpectsCall {
				x.expect += s.Attempts
				x.parsed += s.Checks[toolcheck.Parsed]
			}
			x.withCalls += s.AttemptsWithCalls
			x.json += s.Checks[toolcheck.JSONValid]
			x.schema += s.Checks[toolcheck.SchemaValid]
			x.args += s.Checks[toolcheck.ArgsMatch]
			x.server += s.ServerFailures
			x.modelN += s.Model.Attempts
			x.modelOK += s.Model.Passed
		}
	}
	tc.ParseSuccessRate = ratio(total.parsed, total.expect)
	tc.JSONValidRate = ratio(total.json, total.withCalls)
	tc.ServerFailures = total.server
	all := ModelRate(total.modelOK, total.modelN, th.Rate)
	tc.Model = &all
	names := make([]string, 0, len(cats))
	for n := range cats {
		names = append(names, n)
	}
	sort.Strings(names)
	tc.Categories = nil
	for _, n := range names {
		c := cats[n]
		cat := sidecar.Category{Name: n, Attempts: c.attempts, Passed: c.passed,
			Parsed: ratio(c.parsed, c.expect), JSONValid: ratio(c.json, c.withCalls),
			SchemaValid: ratio(c.schema, c.withCalls), ArgsMatch: ratio(c.args, c.expect),
			ServerFailures: c.server, Model: ModelRate(c.modelOK, c.modelN, th.Scenario)}
		if c.attempts > 0 {
			cat.PassRate = float64(c.passed) / float64(c.attempts)
		}
		tc.Categories = append(tc.Categories, cat)
	}
	// The section's verdict is the judge's, from the facts above.
	tc.Passed = sidecar.ToolCallingVerdict(tc).Passed()
}

// RatesNotRun is why the model-check rates of tc are not a pass, though
// none failed: attempts did not run (the suite's own stop), so the rates
// cover only those that did; "" when every attempt ran.
func RatesNotRun(tc *sidecar.ToolCalling) string {
	if tc == nil || tc.NotRun == 0 {
		return ""
	}
	return fmt.Sprintf("%s%d tool-calling attempts did not run; the rates cover only those that did", sidecar.NotRunPrefix, tc.NotRun)
}

// RateFailure is the failure text of a model-check rate that failed (scope
// is a category name, or "" for all scenarios): the rate with its interval
// and threshold, the model codes seen most with their remedies, and the
// scenarios that pulled it down; "" when the rate passed.
func RateFailure(scope string, r sidecar.Rate, scenarios []sidecar.Scenario) string {
	if r.Verdict != sidecar.VerdictFail {
		return ""
	}
	name, knob := scope, "ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE"
	if name == "" {
		name, knob = "all scenarios", "ACCEPTANCE_MODEL_MIN_PASS_RATE"
	}
	var parts []sidecar.RatePart
	for _, s := range scenarios {
		if scope == "" || s.Category == scope {
			parts = append(parts, sidecar.RatePart{Label: s.Name + " [" + s.Mode + "]", Model: s.Model, Diagnoses: s.Diagnoses})
		}
	}
	return r.FailureLine(name, knob, parts)
}

func ratio(k, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := float64(k) / float64(n)
	return &v
}
