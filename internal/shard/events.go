package shard

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/loadmsg"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// Package is the Go package of the live suite, the one its go test -json
// events (and so its junit.xml) name.
const Package = "github.com/vllm-acceptance/vllm-acceptance/acceptance"

// event is one line of go test -json (cmd/test2json's TestEvent).
type event struct {
	Time    time.Time `json:"Time"`
	Action  string    `json:"Action"`
	Package string    `json:"Package"`
	Test    string    `json:"Test,omitempty"`
	Elapsed float64   `json:"Elapsed,omitempty"`
	Output  string    `json:"Output,omitempty"`
}

// testCase is one test or subtest the merged run ran, with its outcome:
// failure is the live suite's failure text ("" on a pass), logs what it
// logs.
type testCase struct {
	name    string
	secs    float64
	failure string
	// skip is why a case that did not run is skipped (go test's t.Skip),
	// never passed.
	skip string
	logs []string
	subs []*testCase
}

// Events is the merged run as go test -json would have printed it had
// one process run it: one test or subtest per case the shards ran
// (tool calling and its model rates, stability, concurrency, the
// conversation, capacity, tool calling under load), each failing exactly
// where the merged verdict (sidecar.JudgeOf(m)) fails it, with the failure
// text the live test prints (the same suite and verdict functions). merge
// turns them into junit.xml through gotestsum, the way live runs get theirs.
func Events(m *sidecar.Metrics) []byte {
	j := sidecar.JudgeOf(m)
	var tests []*testCase
	if tc := m.ToolCalling; tc != nil && len(tc.Scenarios) > 0 {
		root := &testCase{name: "TestToolCalling"}
		byScenario := map[string]*testCase{}
		for _, sc := range tc.Scenarios {
			parent := byScenario[sc.Name]
			if parent == nil {
				parent = &testCase{name: "TestToolCalling/" + sc.Name}
				byScenario[sc.Name] = parent
				root.subs = append(root.subs, parent)
			}
			name := sc.Test
			if name == "" {
				name = parent.name + "/" + sc.Mode
			}
			c := &testCase{name: name, secs: sc.E2Ems.Mean * float64(sc.Attempts) / 1000}
			switch sc.Verdict {
			case sidecar.VerdictPass:
			case sidecar.VerdictUnknown:
				c.skip = sc.NotRunReason
			default:
				c.failure = toolverdict.FailureMessage(toolverdict.Result{Scenario: sc})
			}
			parent.subs = append(parent.subs, c)
		}
		tests = append(tests, root)
		rates := &testCase{name: "TestToolCallingModelRates"}
		for _, c := range tc.Categories {
			rc := &testCase{name: rates.name + "/" + c.Name, failure: toolverdict.RateFailure(c.Name, c.Model, tc.Scenarios)}
			if rc.failure == "" {
				rc.skip = toolverdict.RatesNotRun(tc)
			}
			rates.subs = append(rates.subs, rc)
		}
		if tc.Model != nil {
			rates.failure = toolverdict.RateFailure("", *tc.Model, tc.Scenarios)
		}
		if rates.failure == "" {
			rates.skip = toolverdict.RatesNotRun(tc)
		}
		tests = append(tests, rates)
	}
	tests = append(tests, structuredCases(j, m)...)
	if st := m.Stability; st != nil {
		root := &testCase{name: "TestStability"}
		for _, r := range st.Runs {
			root.subs = append(root.subs, loadCase(j, root.name, r, r.Name, r.DurationS, r.Checks, r.Verdict, loadmsg.StabilityLine(r)))
		}
		tests = append(tests, root)
	}
	if cc := m.Concurrency; cc != nil {
		root := &testCase{name: "TestConcurrency"}
		for _, r := range cc.Runs {
			root.subs = append(root.subs, loadCase(j, root.name, r, r.Name, r.DurationS, r.Checks, r.Verdict, loadmsg.ConcurrencyLine(r)))
		}
		tests = append(tests, root)
	}
	if cv := m.Conversation; cv != nil {
		root := &testCase{name: "TestConversation"}
		for _, r := range cv.Runs {
			root.subs = append(root.subs, loadCase(j, root.name, r, r.Name, 0, r.Checks, r.Verdict, ""))
		}
		tests = append(tests, root)
	}
	if c := m.Capacity; c != nil {
		tc := &testCase{name: "TestCapacity", secs: c.DurationS}
		for _, st := range c.Steps {
			tc.logs = append(tc.logs, capacity.StepLine(st))
		}
		if v, _ := j.SectionOutcome(m, sidecar.SectionCapacity); v.Outcome == sidecar.Fail {
			tc.failure = capacity.Failure(j, *c)
		} else if v.NotRun != "" {
			tc.skip = v.NotRun
		}
		tests = append(tests, tc)
	}
	if u := m.ToolCallingUnderLoad; u != nil {
		root := &testCase{name: loadmsg.UnderLoadTest, logs: []string{loadmsg.BackgroundLine(*u), u.Note}}
		for _, s := range u.Scenarios {
			c := &testCase{name: root.name + "/" + s.Name + "/" + s.Mode}
			if sidecar.UnderLoadModeFailed(s) {
				c.failure = loadmsg.UnderLoadFailure(s, u.RatePerS)
			} else if s.NotRun > 0 {
				c.skip = sidecar.NotRunPrefix + "attempts cut by the suite's own stop"
			}
			root.subs = append(root.subs, c)
		}
		if len(u.Scenarios) == 0 {
			root.skip = sidecar.NotRunPrefix + "no tool-calling scenario ran under load"
		}
		tests = append(tests, root)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	at := m.FinishedAt
	emit := func(e event) {
		e.Time, e.Package = at, Package
		_ = enc.Encode(e) // a bytes.Buffer does not fail
	}
	failed := false
	var walk func(c *testCase) bool
	walk = func(c *testCase) bool {
		emit(event{Action: "run", Test: c.name})
		ok := c.failure == ""
		for _, s := range c.subs {
			ok = walk(s) && ok
		}
		for _, l := range c.logs {
			if l != "" {
				emit(event{Action: "output", Test: c.name, Output: "    " + l + "\n"})
			}
		}
		if c.failure != "" {
			emit(event{Action: "output", Test: c.name, Output: "    " + indent(c.failure) + "\n"})
		}
		action := "pass"
		switch {
		case !ok:
			action = "fail"
		case c.skip != "":
			action = "skip"
			emit(event{Action: "output", Test: c.name, Output: "    " + indent(c.skip) + "\n"})
		}
		emit(event{Action: "output", Test: c.name, Output: "--- " + upper(action) + ": " + c.name + "\n"})
		emit(event{Action: action, Test: c.name, Elapsed: c.secs})
		return ok
	}
	for _, t := range tests {
		if !walk(t) {
			failed = true
		}
	}
	// The run's own verdict beyond its cases (incomplete, a shard missing):
	// the package fails as TestMain's exit code would make it.
	action := "pass"
	if failed || !j.Passed(m) {
		action = "fail"
	}
	emit(event{Action: action, Elapsed: m.FinishedAt.Sub(m.StartedAt).Seconds()})
	return b.Bytes()
}

func upper(action string) string {
	switch action {
	case "pass":
		return "PASS"
	case "skip":
		return "SKIP"
	}
	return "FAIL"
}

// indent continues a multi-line message under its first line, as
// testing.T's output does.
func indent(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("\n"), []byte("\n        ")))
}

// loadCase is one load run's subtest: its log line and unknown checks,
// and the live suite's failure text when the judge fails the run.
func loadCase[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](j sidecar.Judge, root string, r T,
	name string, secs float64, checks []sidecar.Check, verdict, line string) *testCase {
	c := &testCase{name: root + "/" + name, secs: secs, logs: []string{line, loadmsg.UnknownLine(j, r)}}
	switch j.RunOutcome(checks, verdict) {
	case sidecar.Fail:
		c.failure = loadmsg.LoadFailure(j, r)
	case sidecar.Unknown:
		c.skip = sidecar.NotRunReason(checks)
	}
	return c
}
