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
		by := map[string]*testCase{}
		for _, s := range so.Scenarios {
			parent := by[s.Name]
			if parent == nil {
				parent = &testCase{name: root.name + "/" + s.Name}
				by[s.Name] = parent
				root.subs = append(root.subs, parent)
			}
			c := &testCase{name: parent.name + "/" + s.Mode}
			switch j.Check(s.Check()) {
			case sidecar.Fail:
				c.failure = structured.FailureMessage(s)
			case sidecar.Unknown:
				c.logs = append(c.logs, structured.FailureMessage(s))
			}
			parent.subs = append(parent.subs, c)
		}
		out = append(out, root)
	}
	if ct := m.Contract; ct != nil && len(ct.Checks) > 0 {
		root := &testCase{name: "TestContract"}
		by := map[string]*testCase{}
		for _, x := range ct.Checks {
			parent := by[x.Name]
			if parent == nil {
				parent = &testCase{name: root.name + "/" + x.Name}
				by[x.Name] = parent
				root.subs = append(root.subs, parent)
			}
			c := &testCase{name: parent.name + "/" + x.Mode}
			switch j.Check(x.Check()) {
			case sidecar.Fail:
				c.failure = contract.FailureMessage(x)
			case sidecar.Unknown:
				c.logs = append(c.logs, contract.FailureMessage(x))
			}
			parent.subs = append(parent.subs, c)
		}
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
