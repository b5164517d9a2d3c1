package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/check"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Mode is one way of sending a scenario: thinking setting and transport.
type Mode struct {
	Think  string // "off", "on" or "default"
	Stream bool
}

// Name is the mode's subtest path, e.g. "think_off/stream".
func (m Mode) Name() string {
	t := "plain"
	if m.Stream {
		t = "stream"
	}
	return "think_" + m.Think + "/" + t
}

// Attempt is one try of a scenario in one mode, all steps included.
type Attempt struct {
	N        int
	Passed   bool
	Checks   map[string]bool
	Findings []diagnosis.Finding
	HadCall  bool
	Records  []record.Record
}

// ModeResult is every attempt of a scenario in one mode, and its verdict.
type ModeResult struct {
	Mode     Mode
	Attempts []Attempt
	Scenario sidecar.Scenario
}

// Passed says whether the mode met ACCEPTANCE_TOOLCALL_MIN_PASS_RATE.
func (m ModeResult) Passed() bool { return m.Scenario.Verdict == "pass" }

// ToolCalling runs sc ACCEPTANCE_TOOLCALL_REPEATS times with one thinking
// setting, in each configured transport. When streaming is on, every
// streamed step is compared with a non-streamed twin of the same request
// (the plain attempt when plain mode runs too), and a difference in the
// parsed calls is stream_mismatch.
func (r *Run) ToolCalling(ctx context.Context, test string, sc *fixture.Scenario, think string) []ModeResult {
	plainOn, streamOn := false, false
	for _, m := range r.Cfg.ToolCallModes {
		plainOn = plainOn || m == "plain"
		streamOn = streamOn || m == "stream"
	}
	plain := ModeResult{Mode: Mode{Think: think}}
	stream := ModeResult{Mode: Mode{Think: think, Stream: true}}
	for i := 1; i <= r.Cfg.ToolCallRepeats; i++ {
		var p Attempt
		if plainOn || streamOn {
			p = r.attempt(ctx, test+"/"+plain.Mode.Name(), sc, plain.Mode, i, nil, plainOn)
			if plainOn {
				plain.Attempts = append(plain.Attempts, p)
			}
		}
		if streamOn {
			stream.Attempts = append(stream.Attempts, r.attempt(ctx, test+"/"+stream.Mode.Name(), sc, stream.Mode, i, p.Records, true))
		}
	}
	var out []ModeResult
	for _, m := range []*ModeResult{&plain, &stream} {
		if len(m.Attempts) == 0 {
			continue
		}
		m.Scenario = r.summarize(test+"/"+m.Mode.Name(), sc, m.Mode, m.Attempts)
		out = append(out, *m)
	}
	r.Update(func(met *sidecar.Metrics) {
		if met.ToolCalling == nil {
			met.ToolCalling = &sidecar.ToolCalling{}
		}
		for _, m := range out {
			met.ToolCalling.Scenarios = append(met.ToolCalling.Scenarios, m.Scenario)
		}
	})
	r.Checkpoint()
	return out
}

// attempt runs every step of sc once. twins are the non-streamed records of
// the same attempt, to compare streamed calls against; write says whether
// the records go to requests.jsonl (a twin sent only for comparison does too,
// marked by its class).
func (r *Run) attempt(ctx context.Context, test string, sc *fixture.Scenario, mode Mode, n int, twins []record.Record, write bool) Attempt {
	a := Attempt{N: n, Passed: true, Checks: map[string]bool{}}
	msgs := append([]fixture.Message(nil), sc.Messages...)
	temp := 0.0
	if sc.Temperature != nil {
		temp = *sc.Temperature
	}
	for k, step := range sc.Steps {
		req := client.Request{
			Model: r.Cfg.Model, Messages: msgs, Tools: sc.Tools, ToolChoice: sc.ToolChoice,
			MaxTokens: maxTokens(sc.MaxTokens, mode.Think, r.Cfg.ThinkingMaxTokens), Temperature: &temp, Stream: mode.Stream, Thinking: thinking(mode.Think),
		}
		rec := r.Client.Chat(ctx, req)
		rec.Test, rec.Scenario, rec.Class, rec.Attempt, rec.Step = test, sc.Name, mode.Name(), n, k
		if !write {
			rec.Class += "/twin"
		}
		var res check.Result
		if !rec.OK() {
			res = check.Result{Checks: map[string]bool{}, Findings: diagnosis.Transport(&rec)}
		} else {
			res = check.Judge(&rec, sc, k)
		}
		if mode.Stream && rec.OK() {
			if len(rec.StreamIssues) > 0 {
				res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StreamMalformed, Detail: strings.Join(rec.StreamIssues, "; ")})
				res.Passed = false
			}
			if k < len(twins) && twins[k].OK() {
				if d := callsDiffer(twins[k].ToolCalls, rec.ToolCalls); d != "" {
					res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StreamMismatch, Detail: d})
					res.Passed = false
				}
			}
			res.Checks["stream"] = len(rec.StreamIssues) == 0
		}
		for _, f := range res.Findings {
			rec.Diagnoses = append(rec.Diagnoses, string(f.Code))
		}
		r.Record(&rec)
		a.Records = append(a.Records, rec)
		a.HadCall = a.HadCall || len(rec.ToolCalls) > 0
		for key, ok := range res.Checks {
			if prev, seen := a.Checks[key]; seen {
				a.Checks[key] = prev && ok
			} else {
				a.Checks[key] = ok
			}
		}
		a.Findings = append(a.Findings, res.Findings...)
		if !res.Passed {
			a.Passed = false
			break
		}
		// Feed the model's own answer back, then the fixture's tool results.
		as := fixture.Message{Role: "assistant", Content: rec.Content}
		for j, c := range rec.ToolCalls {
			id := c.ID
			if id == "" {
				id = fmt.Sprintf("call_%d_%d", k, j)
				rec.ToolCalls[j].ID = id
			}
			as.ToolCalls = append(as.ToolCalls, fixture.CallSpec{ID: id, Name: c.Name, Arguments: c.Arguments})
		}
		msgs = append(msgs, as)
		for _, c := range rec.ToolCalls {
			if res, ok := step.Results[c.Name]; ok {
				msgs = append(msgs, fixture.Message{Role: "tool", ToolCallID: c.ID, Content: res})
			}
		}
	}
	return a
}

func thinking(mode string) *bool {
	switch mode {
	case "on":
		t := true
		return &t
	case "off":
		f := false
		return &f
	}
	return nil
}

// callsDiffer compares two sets of calls by name and parsed arguments, in
// index order; "" when they agree.
func callsDiffer(plain, streamed []record.ToolCall) string {
	norm := func(cs []record.ToolCall) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			var v any
			if json.Unmarshal([]byte(c.Arguments), &v) == nil {
				b, _ := json.Marshal(v) // sorted keys: compares as parsed JSON
				out[i] = c.Name + string(b)
			} else {
				out[i] = c.Name + c.Arguments
			}
		}
		return out
	}
	p, s := norm(plain), norm(streamed)
	if reflect.DeepEqual(p, s) {
		return ""
	}
	return fmt.Sprintf("non-streamed %s vs streamed %s", trimList(p), trimList(s))
}

func trimList(xs []string) string {
	s := "[" + strings.Join(xs, ", ") + "]"
	if len(s) > 200 {
		s = s[:200] + "…]"
	}
	return s
}

// summarize builds the sidecar entry of one scenario in one mode.
func (r *Run) summarize(test string, sc *fixture.Scenario, mode Mode, atts []Attempt) sidecar.Scenario {
	s := sidecar.Scenario{
		Name: sc.Name, Mode: mode.Name(), Test: test, Category: sc.Category, Purpose: sc.Purpose,
		Attempts: len(atts), MinPassRate: r.Cfg.ToolCallMinPassRate,
		Checks: map[string]int{"parsed": 0, "json_valid": 0, "schema_valid": 0, "args_match": 0, "finish_reason": 0},
	}
	for _, st := range sc.Steps {
		s.ExpectsCall = s.ExpectsCall || len(st.Calls) > 0
	}
	counts := map[diagnosis.Code]*sidecar.Diagnosis{}
	var ttft, e2e []float64
	for _, a := range atts {
		if a.Passed {
			s.Passed++
		}
		if a.HadCall {
			s.AttemptsWithCalls++
		}
		for k, ok := range a.Checks {
			if (k == "json_valid" || k == "schema_valid") && !a.HadCall {
				continue // these rates are over attempts that produced a call
			}
			if ok {
				s.Checks[k]++
			} else if _, seen := s.Checks[k]; !seen {
				s.Checks[k] = 0
			}
		}
		seen := map[diagnosis.Code]bool{}
		for _, f := range a.Findings {
			d := counts[f.Code]
			if d == nil {
				info := diagnosis.Lookup(f.Code)
				d = &sidecar.Diagnosis{Code: string(f.Code), Message: info.Seen, Remedy: info.Remedy, Example: r.redactor.String(f.Detail)}
				counts[f.Code] = d
			}
			if !seen[f.Code] { // count attempts, not findings
				d.Count++
				seen[f.Code] = true
			}
		}
		for _, rec := range a.Records {
			if rec.OK() {
				e2e = append(e2e, rec.E2Ems)
				if rec.TTFTms > 0 {
					ttft = append(ttft, rec.TTFTms)
				}
			}
		}
	}
	s.Diagnoses = []sidecar.Diagnosis{}
	for _, d := range counts {
		s.Diagnoses = append(s.Diagnoses, *d)
	}
	sort.Slice(s.Diagnoses, func(i, j int) bool {
		if s.Diagnoses[i].Count != s.Diagnoses[j].Count {
			return s.Diagnoses[i].Count > s.Diagnoses[j].Count
		}
		return s.Diagnoses[i].Code < s.Diagnoses[j].Code
	})
	if s.Attempts > 0 {
		s.PassRate = float64(s.Passed) / float64(s.Attempts)
	}
	s.PassRateCI = stats.Wilson(s.Passed, s.Attempts)
	s.Verdict = "fail"
	if s.Attempts > 0 && s.PassRate >= s.MinPassRate-1e-9 {
		s.Verdict = "pass"
	}
	s.TTFTms = stats.Summarize(ttft)
	s.E2Ems = stats.Summarize(e2e)
	return s
}

// FailureMessage is the text of a failed mode's test: a headline, then one
// line per failed attempt and finding: what was seen, the code, the remedy.
func FailureMessage(m ModeResult) string {
	s := m.Scenario
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s]: %d/%d attempts passed (%.0f%%, need %.0f%%)\n", s.Name, s.Mode, s.Passed, s.Attempts, 100*s.PassRate, 100*s.MinPassRate)
	for _, a := range m.Attempts {
		if a.Passed {
			continue
		}
		if len(a.Findings) == 0 {
			fmt.Fprintf(&b, "  attempt %d: failed with no diagnosis\n", a.N)
		}
		for _, f := range a.Findings {
			fmt.Fprintf(&b, "  attempt %d: %s\n", a.N, check.Message(f))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// finalizeToolCalling derives the run-wide rates and per-category figures
// from the scenario entries (called under the lock by Finish).
func finalizeToolCalling(m *sidecar.Metrics) {
	tc := m.ToolCalling
	if tc == nil {
		return
	}
	sort.Slice(tc.Scenarios, func(i, j int) bool {
		if tc.Scenarios[i].Name != tc.Scenarios[j].Name {
			return tc.Scenarios[i].Name < tc.Scenarios[j].Name
		}
		return tc.Scenarios[i].Mode < tc.Scenarios[j].Mode
	})
	type acc struct{ attempts, passed, expect, parsed, withCalls, json, schema, args int }
	total := acc{}
	cats := map[string]*acc{}
	tc.Passed = true
	for _, s := range tc.Scenarios {
		if s.Verdict != "pass" {
			tc.Passed = false
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
				x.parsed += s.Checks["parsed"]
			}
			x.withCalls += s.AttemptsWithCalls
			x.json += s.Checks["json_valid"]
			x.schema += s.Checks["schema_valid"]
			x.args += s.Checks["args_match"]
		}
	}
	tc.ParseSuccessRate = rate(total.parsed, total.expect)
	tc.JSONValidRate = rate(total.json, total.withCalls)
	names := make([]string, 0, len(cats))
	for n := range cats {
		names = append(names, n)
	}
	sort.Strings(names)
	tc.Categories = nil
	for _, n := range names {
		c := cats[n]
		cat := sidecar.Category{Name: n, Attempts: c.attempts, Passed: c.passed,
			Parsed: rate(c.parsed, c.expect), JSONValid: rate(c.json, c.withCalls),
			SchemaValid: rate(c.schema, c.withCalls), ArgsMatch: rate(c.args, c.expect)}
		if c.attempts > 0 {
			cat.PassRate = float64(c.passed) / float64(c.attempts)
		}
		tc.Categories = append(tc.Categories, cat)
	}
}

func rate(k, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := float64(k) / float64(n)
	return &v
}
