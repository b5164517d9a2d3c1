// Package toolverdict judges tool-calling attempts. It splits every finding and
// check by kind (a server fault, which must never happen, or the model's
// behaviour, which is a rate), decides whether streamed answers differ from
// plain ones beyond the server's own variation, and turns a scenario's
// attempts into its sidecar entry and its failure message. It does no I/O:
// the runner (package suite) sends the requests and feeds the results in,
// in vegeta's shape: New, Add..., Close.
package toolverdict

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

// Thresholds are the model-check pass rates a healthy model reaches.
type Thresholds struct {
	// Scenario is ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE: one scenario in
	// one mode.
	Scenario float64
	// Rate is ACCEPTANCE_MODEL_MIN_PASS_RATE: each category and the run.
	Rate float64
}

// Step is one request of an attempt and the check package's judgement of
// it (for a failed request, Result holds diagnosis.Transport's findings).
type Step struct {
	Record record.Record
	Result toolcheck.Result
}

// Attempt is one try of a scenario in one mode: its steps, in order, up to
// the first that failed.
type Attempt struct {
	N     int
	Steps []Step
}

// Judged is an attempt with its findings split by kind.
type Judged struct {
	Attempt
	// Server and Model are the findings of each kind, in step order.
	Server, Model []diagnosis.Finding
	// Checks folds each check over the steps: it holds when it held on
	// every step where it applied.
	Checks  map[string]bool
	HadCall bool
}

// ServerOK: no server finding and every server check held.
func (j Judged) ServerOK() bool { return len(j.Server) == 0 }

// ModelOK: no model finding and every model check held.
func (j Judged) ModelOK() bool { return len(j.Model) == 0 }

// Passed: both, on evidence: an attempt that did not run never passes.
func (j Judged) Passed() bool { return j.Ran() && j.ServerOK() && j.ModelOK() }

// Ran reports whether the attempt ran: it has a step, and no step's
// request was ended by the suite itself (SIGINT/SIGTERM, go test
// -timeout, a cancelled context). Only an attempt that ran is judged.
func (a Attempt) Ran() bool { return a.NotRun() == "" }

// NotRun is why the attempt did not run, "" when it ran.
func (a Attempt) NotRun() string {
	if len(a.Steps) == 0 {
		return sidecar.NotRunPrefix + "no request was sent"
	}
	for _, st := range a.Steps {
		if st.Record.ErrorKind.Interrupted() {
			why := st.Record.Error
			if why == "" {
				why = "the suite stopped the request"
			}
			return sidecar.NotRunPrefix + why
		}
	}
	return ""
}

// Classify splits an attempt's findings and checks by kind under toolChoice.
// A failed check that no finding of its kind explains gets one, so that
// every failure has a line to print.
func Classify(a Attempt, toolChoice string) Judged {
	j := Judged{Attempt: a, Checks: map[string]bool{}}
	for _, st := range a.Steps {
		j.HadCall = j.HadCall || len(st.Record.ToolCalls) > 0
		var server, model []diagnosis.Finding
		for _, f := range st.Result.Findings {
			if diagnosis.KindOf(f.Code, toolChoice) == diagnosis.KindServer {
				server = append(server, f)
			} else {
				model = append(model, f)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(st.Result.Checks)) {
			ok := st.Result.Checks[name]
			if prev, seen := j.Checks[name]; seen {
				ok = ok && prev
			}
			j.Checks[name] = ok
			if st.Result.Checks[name] {
				continue
			}
			if len(st.Result.Findings) > 0 {
				continue // the findings say why, with their own kinds
			}
			unexplained := diagnosis.Finding{Code: diagnosis.Code("check_" + name), Detail: fmt.Sprintf("check %s failed with no diagnosis (step %d)", name, st.Record.Step)}
			if toolcheck.Kind(name, toolChoice) == diagnosis.KindServer {
				if len(server) == 0 {
					server = append(server, unexplained)
				}
			} else if len(model) == 0 {
				model = append(model, unexplained)
			}
		}
		j.Server = append(j.Server, server...)
		j.Model = append(j.Model, model...)
	}
	return j
}

// Scenario accumulates the attempts of one scenario in one mode.
type Scenario struct {
	sc       *fixture.Scenario
	mode     string
	test     string
	stream   bool
	th       Thresholds
	attempts []Attempt
	// planned is how many attempts the mode was to run (Plan): those
	// never added are not run.
	planned int
	stopped string
	plain   map[int][]Answer
	// extraStreams are streamed twins sent to confirm a suspect stream.
	extraStreams map[int][]Answer
}

// New starts the verdict of sc in mode (e.g. "think_off/stream"); stream
// says whether the mode's answers are streamed, to be compared with the
// plain ones given to AddPlain.
func New(sc *fixture.Scenario, test, mode string, stream bool, th Thresholds) *Scenario {
	return &Scenario{sc: sc, test: test, mode: mode, stream: stream, th: th, plain: map[int][]Answer{}, extraStreams: map[int][]Answer{}}
}

// Plan says how many attempts the mode is to run: any not added by Close
// are not run (never reached).
func (s *Scenario) Plan(n int) { s.planned = n }

// Stopped says why the mode's remaining attempts did not run (the
// suite's own stop); Close gives it as the not-run reason.
func (s *Scenario) Stopped(why string) { s.stopped = why }

// Add records one attempt.
func (s *Scenario) Add(a Attempt) { s.attempts = append(s.attempts, a) }

// AddPlain records a non-streamed answer to step, from the plain mode or a
// twin sent only for comparison. Failed requests are ignored.
func (s *Scenario) AddPlain(step int, st Step) {
	if !st.Record.OK() {
		return
	}
	s.plain[step] = append(s.plain[step], answerOf(st))
}

// Unexplained reports whether a streamed answer to step differs from every
// plain answer seen for it while those plain answers agree among
// themselves: the case in which another plain twin can tell nondeterminism
// (the twin may give the streamed answer, or disagree with the others) from
// a streaming fault.
func (s *Scenario) Unexplained(step int, st Step) bool {
	ps := s.plain[step]
	if len(ps) == 0 || !st.Record.OK() {
		return false
	}
	sig := answerOf(st).Sig
	for _, p := range ps {
		if p.Sig == sig || p.Sig != ps[0].Sig {
			return false
		}
	}
	return true
}

// Result is a closed scenario: its sidecar entry and its judged attempts.
type Result struct {
	Scenario sidecar.Scenario
	Attempts []Judged
}

// Passed is the scenario's verdict.
func (r Result) Passed() bool { return r.Scenario.Verdict == sidecar.VerdictPass }

// NotRun is why the mode did not (all) run, "" when it did or when it
// failed on evidence.
func (r Result) NotRun() string {
	if r.Scenario.Verdict != sidecar.VerdictUnknown {
		return ""
	}
	return r.Scenario.NotRunReason
}

// Close derives the verdict. redact is applied to every quoted detail.
func (s *Scenario) Close(redact func(string) string) Result {
	choice := s.sc.ToolChoice
	judged := make([]Judged, 0, len(s.attempts))
	notRun, why := 0, s.stopped
	for _, a := range s.attempts {
		if r := a.NotRun(); r != "" {
			// Not run: no evidence either way; outside every count.
			notRun++
			if why == "" {
				why = r
			}
			continue
		}
		judged = append(judged, Classify(a, choice))
	}
	if missing := s.planned - len(s.attempts); missing > 0 {
		notRun += missing
		if why == "" {
			why = sidecar.NotRunPrefix + "never reached: the run stopped first"
		}
	}
	nd := s.streamEquivalence(judged)

	out := sidecar.Scenario{
		Name: s.sc.Name, Mode: s.mode, Test: s.test, Category: s.sc.Category, Purpose: s.sc.Purpose,
		ToolChoice: choice, Attempts: len(judged),
		Checks: map[string]int{}, CheckKinds: map[string]string{},
		Nondeterministic: nd > 1, DistinctAnswers: nd,
		NotRun: notRun, NotRunReason: why,
	}
	for _, c := range []string{toolcheck.Parsed, toolcheck.JSONValid, toolcheck.SchemaValid, toolcheck.ArgsMatch, toolcheck.FinishReason} {
		out.Checks[c] = 0
	}
	for _, st := range s.sc.Steps {
		out.ExpectsCall = out.ExpectsCall || len(st.Calls) > 0
	}
	counts := map[diagnosis.Code]*sidecar.Diagnosis{}
	var ttft, e2e []float64
	for _, j := range judged {
		if j.Passed() {
			out.Passed++
		}
		if j.HadCall {
			out.AttemptsWithCalls++
		}
		if !j.ServerOK() {
			out.ServerFailures++
		} else {
			out.Model.Attempts++
			if j.ModelOK() {
				out.Model.Passed++
			}
		}
		for k, ok := range j.Checks {
			if (k == toolcheck.JSONValid || k == toolcheck.SchemaValid) && !j.HadCall {
				continue // these rates are over attempts that produced a call
			}
			if ok {
				out.Checks[k]++
			} else if _, seen := out.Checks[k]; !seen {
				out.Checks[k] = 0
			}
		}
		seen := map[diagnosis.Code]bool{}
		for _, group := range []struct {
			kind     diagnosis.Kind
			findings []diagnosis.Finding
		}{{diagnosis.KindServer, j.Server}, {diagnosis.KindModel, j.Model}} {
			for _, f := range group.findings {
				d := counts[f.Code]
				if d == nil {
					info := diagnosis.LookupFor(f.Code, choice)
					d = &sidecar.Diagnosis{Code: string(f.Code), Kind: string(group.kind),
						Message: info.Seen, Remedy: info.Remedy, Example: redact(f.Detail)}
					counts[f.Code] = d
				}
				if !seen[f.Code] { // count attempts, not findings
					d.Count++
					seen[f.Code] = true
				}
			}
		}
		for _, st := range j.Steps {
			if st.Record.OK() {
				e2e = append(e2e, st.Record.E2Ems)
				if st.Record.TTFTms > 0 {
					ttft = append(ttft, st.Record.TTFTms)
				}
			}
		}
	}
	for k := range out.Checks {
		out.CheckKinds[k] = string(toolcheck.Kind(k, choice))
	}
	out.Diagnoses = []sidecar.Diagnosis{}
	for _, d := range counts {
		out.Diagnoses = append(out.Diagnoses, *d)
	}
	sort.Slice(out.Diagnoses, func(i, j int) bool {
		a, b := out.Diagnoses[i], out.Diagnoses[j]
		if a.Kind != b.Kind {
			return a.Kind == string(diagnosis.KindServer) // server faults first
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Code < b.Code
	})
	if out.Attempts > 0 {
		out.PassRate = float64(out.Passed) / float64(out.Attempts)
	}
	out.PassRateCI = stats.Wilson(out.Passed, out.Attempts)
	out.Model = ModelRate(out.Model.Passed, out.Model.Attempts, s.th.Scenario)
	out.ScenarioModel = out.Model
	decide(&out)
	out.TTFTms = stats.Summarize(ttft)
	out.E2Ems = stats.Summarize(e2e)
	return Result{Scenario: out, Attempts: judged}
}

// decide sets Verdict and FailedOn from the server failures and the
// scenario's model rate (ScenarioModel).
func decide(out *sidecar.Scenario) {
	var failed []string
	if out.Attempts == 0 && out.NotRun == 0 {
		failed = append(failed, "no_attempts")
	}
	if out.ServerFailures > 0 {
		failed = append(failed, string(diagnosis.KindServer))
	}
	if out.ScenarioModel.Verdict == sidecar.VerdictFail {
		failed = append(failed, string(diagnosis.KindModel))
	}
	out.Verdict, out.FailedOn = sidecar.VerdictPass, ""
	switch {
	case len(failed) > 0:
		out.Verdict, out.FailedOn = sidecar.VerdictFail, strings.Join(failed, ",")
	case out.NotRun > 0:
		// Nothing passes without evidence: a mode with unrun attempts
		// is not run, never pass, and never the server's fault.
		out.Verdict = sidecar.VerdictUnknown
	}
}

// Pool judges the model rate of one scenario over all its modes (thinking
// settings and transports): the model's behaviour does not depend on the
// transport, and a few attempts per mode are too few to judge alone (with
// 3 attempts, a model wrong in 1 call in 20 gets all three of a 3-call
// scenario wrong in 1 run in 8 somewhere in the catalogue). Each mode's
// ScenarioModel becomes the pooled rate, and its verdict follows.
func Pool(results []Result, th Thresholds) {
	passed, n := 0, 0
	for _, r := range results {
		passed += r.Scenario.Model.Passed
		n += r.Scenario.Model.Attempts
	}
	pooled := ModelRate(passed, n, th.Scenario)
	for i := range results {
		results[i].Scenario.ScenarioModel = pooled
		decide(&results[i].Scenario)
	}
}
