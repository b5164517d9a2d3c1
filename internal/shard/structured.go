package shard

import (
	"github.com/vllm-acceptance/vllm-acceptance/internal/contract"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/structured"
)

// structuredCases are TestStructuredOutputs and TestContract as the live
// suite ran them, each subtest failing where the judge fails its check
// (an unknown one logs its reason and fails only when
// ACCEPTANCE_FAIL_UNKNOWN names it), with the live test's failure text.
func structuredCases(j sidecar.Judge, m *sidecar.Metrics) []*testCase {
	var out []*testCase
	if so := m.StructuredOutputs; so != nil && len(so.Scenarios) > 0 {
		root := &testCase{name: "TestStructuredOutputs", failure: structured.RateFailure(so)}
		root.subs = modeCases(j, root.name, so.Scenarios, func(s sidecar.StructuredScenario) (string, string, sidecar.Check) {
			return s.Name, s.Mode, s.Check()
		}, structured.FailureMessage)
		out = append(out, root)
	}
	if ct := m.Contract; ct != nil && len(ct.Checks) > 0 {
		root := &testCase{name: "TestContract"}
		root.subs = modeCases(j, root.name, ct.Checks, func(x sidecar.ContractCheck) (string, string, sidecar.Check) {
			return x.Name, x.Mode, x.Check()
		}, contract.FailureMessage)
		out = append(out, root)
	}
	if u := m.StructuredUnderLoad; u != nil {
		root := &testCase{name: "TestStructuredOutputsUnderLoad", logs: []string{structured.DecodeLine(*u), u.Note}}
		for _, s := range u.Scenarios {
			c := &testCase{name: root.name + "/" + s.Name + "/" + s.Mode}
			if s.NewServerFailure {
				c.failure = structured.UnderLoadFailure(s, u.RatePerS)
			}
			root.subs = append(root.subs, c)
		}
		if len(u.Scenarios) == 0 {
			root.failure = "no structured-output scenario ran under load"
		}
		out = append(out, root)
	}
	return out
}

// modeCases are the subtests of a test whose results are one per scenario
// and mode (TestStructuredOutputs, TestContract): a subtest per name, in
// the order first seen, holding a subtest per mode that fails where the
// judge fails its check and logs its message where the check is unknown.
// of gives a result's name, mode and check; msg its failure text.
func modeCases[T any](j sidecar.Judge, test string, results []T, of func(T) (name, mode string, check sidecar.Check), msg func(T) string) []*testCase {
	var subs []*testCase
	by := map[string]*testCase{}
	for _, r := range results {
		name, mode, check := of(r)
		parent := by[name]
		if parent == nil {
			parent = &testCase{name: test + "/" + name}
			by[name] = parent
			subs = append(subs, parent)
		}
		c := &testCase{name: parent.name + "/" + mode}
		switch j.Check(check) {
		case sidecar.Fail:
			c.failure = msg(r)
		case sidecar.Unknown:
			c.logs = append(c.logs, msg(r))
		}
		parent.subs = append(parent.subs, c)
	}
	return subs
}
