package sidecar

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
)

// Outcome is what one check found: it held, it did not, or it could not be
// measured (no /metrics, no preemption counter, no local GPU, a series
// missing). It is the one value every verdict of a run, a section and
// the whole run is derived from, by Judge.
type Outcome string

// The three outcomes of a check.
const (
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"
	Unknown Outcome = "unknown"
)

// Verdict strings of a run (StabilityRun.Verdict, ConcurrencyRun.Verdict,
// Capacity.Verdict, Scenario.Verdict, Rate.Verdict): the outcomes' words,
// the one set every package and test compares against.
const (
	VerdictPass = string(Pass)
	VerdictFail = string(Fail)
	// VerdictUnknown is a run or scenario whose work did not all run (cut
	// by the suite's own stop, or never reached): not run, never pass and
	// never a server fault. Its reason is in a check marked not_run (a
	// load run) or in NotRunReason (a scenario).
	VerdictUnknown = string(Unknown)
	// VerdictNone is a model-check rate with no attempt to judge (every
	// one had a server fault, or none ran): Rate.Verdict only.
	VerdictNone = "none"
)

// NotRunPrefix opens every not-run reason as people read it.
const NotRunPrefix = "not run: "

// Result is the check's outcome. Skipped (a check that could not be
// measured) and NotRun are Unknown whatever Passed says: files before
// "outcome" existed wrote an unknown check both as passed (switched off
// by a knob) and as not passed (preemptions unknown).
func (c Check) Result() Outcome {
	switch {
	case c.Skipped || c.NotRun:
		return Unknown
	case c.Passed:
		return Pass
	}
	return Fail
}

// MarshalJSON writes the check with its outcome beside passed and skipped
// (which stay, for readers that predate outcome).
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	p := plain(c)
	p.Outcome = c.Result()
	return json.Marshal(p)
}

// UnmarshalJSON reads a check; where the file names an outcome, it
// decides passed and skipped.
func (c *Check) UnmarshalJSON(b []byte) error {
	type plain Check
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Check(p)
	switch c.Outcome {
	case Pass:
		c.Passed, c.Skipped = true, false
	case Fail:
		c.Passed, c.Skipped = false, false
	case Unknown:
		c.Skipped = true
	}
	if c.NotRun {
		c.Passed, c.Skipped = false, true
	}
	return nil
}

// NotRunCheck is the check of work the suite itself did not do or cut off
// (SIGINT/SIGTERM, go test -timeout, a context cancelled before the area
// began): unknown, with the reason. It fails nothing and passes nothing:
// the run it belongs to reads not run (Judge.RunVerdict).
func NotRunCheck(name string, value, threshold float64, why string) Check {
	return Check{Name: name, Value: value, Threshold: threshold, Detail: why, Skipped: true, NotRun: true}
}

// NotRunReason is the reason of the first not-run check of cs, "" when
// every check ran.
func NotRunReason(cs []Check) string {
	for _, c := range cs {
		if c.NotRun {
			return c.Detail
		}
	}
	return ""
}

// FailUnknownAll is the ACCEPTANCE_FAIL_UNKNOWN value that makes every
// unknown check fail.
const FailUnknownAll = checkname.All

// Judge derives every verdict above a check: a run's, a section's and
// the whole run's. It is the one pass rule; the suite, merge, report,
// rank, compare and the exit code all go through it (or read the verdict
// it recorded).
type Judge struct {
	// FailUnknown names the checks whose Unknown outcome fails the run
	// (ACCEPTANCE_FAIL_UNKNOWN: "preemptions,vram_growth", or "all";
	// config refuses a name internal/checkname does not list).
	// Otherwise an unknown check fails nothing.
	FailUnknown []string
	// Exclude names checks the caller judges itself and this judge leaves
	// out: compare judges degradation as a statistical row between the
	// two sides, not by the candidate's own check.
	Exclude []string
}

// NewJudge is the judge of ACCEPTANCE_FAIL_UNKNOWN's value (a comma list
// of check names, or "all").
func NewJudge(failUnknown string) Judge {
	var j Judge
	for n := range strings.SplitSeq(failUnknown, ",") {
		if n = strings.TrimSpace(n); n != "" {
			j.FailUnknown = append(j.FailUnknown, n)
		}
	}
	return j
}

// JudgeOf is the judge m was judged by: its ACCEPTANCE_FAIL_UNKNOWN.
func JudgeOf(m *Metrics) Judge {
	if m == nil {
		return Judge{}
	}
	return NewJudge(m.Knobs.FailUnknown)
}

// Excluding is j with the named checks left to the caller.
func (j Judge) Excluding(names ...string) Judge {
	j.Exclude = append(slices.Clip(j.Exclude), names...)
	return j
}

// Check is how c counts: its outcome, except an Unknown named in
// FailUnknown (or any, with "all"), which counts as Fail. A not-run check
// stays Unknown whatever FailUnknown says: work the suite did not do is
// never held against the server (it keeps its run from passing instead).
func (j Judge) Check(c Check) Outcome {
	o := c.Result()
	if c.NotRun {
		return Unknown
	}
	if o == Unknown && (slices.Contains(j.FailUnknown, FailUnknownAll) || slices.Contains(j.FailUnknown, c.Name)) {
		return Fail
	}
	return o
}

// Checks is the outcome of a list of checks: Fail when one counts as
// failed, else Pass when one passed, else Unknown (nothing was measured).
// Excluded checks are left out.
func (j Judge) Checks(cs []Check) Outcome {
	out := Unknown
	for _, c := range cs {
		if slices.Contains(j.Exclude, c.Name) {
			continue
		}
		switch j.Check(c) {
		case Fail:
			return Fail
		case Pass:
			out = Pass
		}
	}
	return out
}

// RunVerdict is a run's verdict string from its checks: "fail" when one
// counts as failed; else "unknown" (not run) when one is not run: nothing
// passes without evidence; else "pass" (an unknown check does not fail
// it).
func (j Judge) RunVerdict(cs []Check) string {
	return string(j.RunOutcome(cs, ""))
}

// RunOutcome is a load-style run's outcome (a stability, concurrency or
// conversation run, or the capacity search): from its checks when it has
// any (RunVerdict's rule), else from the verdict it recorded (files that
// predate checks): Fail only when it says "fail", Unknown when it says
// "unknown".
func (j Judge) RunOutcome(cs []Check, recorded string) Outcome {
	if len(cs) == 0 {
		switch recorded {
		case VerdictFail:
			return Fail
		case VerdictUnknown:
			return Unknown
		}
		return Pass
	}
	if j.Checks(cs) == Fail {
		return Fail
	}
	if NotRunReason(cs) != "" {
		return Unknown
	}
	return Pass
}

// Failed lists the checks that count as failed, in order (what failure
// messages print).
func (j Judge) Failed(cs []Check) []Check {
	var out []Check
	for _, c := range cs {
		if j.Check(c) == Fail && !slices.Contains(j.Exclude, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// Section names: the areas of a run, as the report prints them.
type Section string

// The sections, in report order.
const (
	SectionToolCalling          Section = "tool calling"
	SectionStability            Section = "stability"
	SectionConcurrency          Section = "concurrency"
	SectionConversation         Section = "conversation"
	SectionGPU                  Section = "GPU"
	SectionCapacity             Section = "capacity"
	SectionToolCallingUnderLoad Section = "tool calling under load"
	// SectionRoofline is judged only when ACCEPTANCE_ROOFLINE_BELOW_FAILS
	// is set or ACCEPTANCE_FAIL_UNKNOWN names "roofline" (or "all"):
	// otherwise the roofline is advice.
	SectionRoofline Section = "roofline"
	// SectionExpectedConfig is ACCEPTANCE_EXPECT_CONFIG's check, in the
	// preflight (expected.go).
	SectionExpectedConfig Section = "expected config"
	// SectionStructuredOutputs and SectionContract are TestStructuredOutputs
	// and TestContract: judged from their checks (StructuredOutputs.AllChecks,
	// Contract.AllChecks); an unknown one fails nothing unless
	// ACCEPTANCE_FAIL_UNKNOWN names it.
	SectionStructuredOutputs Section = "structured outputs"
	SectionContract          Section = "API contract"
	// SectionStructuredUnderLoad is TestStructuredOutputsUnderLoad, judged
	// like tool calling under load (its recorded passed).
	SectionStructuredUnderLoad Section = "structured outputs under load"
)

// Sections lists them in report order.
var Sections = []Section{SectionExpectedConfig, SectionToolCalling, SectionStructuredOutputs, SectionContract, SectionStability, SectionConcurrency, SectionConversation,
	SectionGPU, SectionCapacity, SectionToolCallingUnderLoad, SectionStructuredUnderLoad, SectionRoofline}

// RunPassed is a load-style run's verdict as a bool: RunOutcome is Pass.
// A run not run does not pass.
func (j Judge) RunPassed(cs []Check, recorded string) bool {
	return j.RunOutcome(cs, recorded) == Pass
}

// SectionVerdict is one section's verdict: its outcome and, when its work
// did not all run, why. Outcome Unknown with an empty NotRun is a section
// that measured nothing it could judge (no local GPU): it fails nothing.
type SectionVerdict struct {
	Outcome Outcome
	// NotRun is why some of the section's work did not run (cut by the
	// suite's own stop, or never reached); "" when all of it ran.
	NotRun string
}

// Passed: the section holds for the gate. A failed section does not, nor
// one whose work did not all run (nothing passes without evidence); one
// that could measure nothing fails nothing.
func (v SectionVerdict) Passed() bool {
	return v.Outcome != Fail && v.NotRun == ""
}

// Word is the verdict as the report and JUnit print it: PASS, FAIL,
// NOT RUN or UNKNOWN.
func (v SectionVerdict) Word() string {
	switch {
	case v.Outcome == Fail:
		return "FAIL"
	case v.NotRun != "":
		return "NOT RUN"
	case v.Outcome == Unknown:
		return "UNKNOWN"
	}
	return "PASS"
}

func notRun(why string) SectionVerdict { return SectionVerdict{Outcome: Unknown, NotRun: why} }

// runs folds the runs of a load section: Fail when one fails, else not
// run when one did not run (with its reason), else Pass.
func (j Judge) runs(n int, run func(i int) ([]Check, string)) SectionVerdict {
	out := SectionVerdict{Outcome: Pass}
	for i := range n {
		cs, recorded := run(i)
		switch j.RunOutcome(cs, recorded) {
		case Fail:
			return SectionVerdict{Outcome: Fail}
		case Unknown:
			if out.NotRun == "" {
				out = notRun(NotRunReason(cs))
				if out.NotRun == "" {
					out.NotRun = "cut short"
				}
			}
		}
	}
	if n == 0 {
		return notRun("no run of this section ran")
	}
	return out
}

// ToolCallingVerdict is the tool-calling section's verdict, derived from
// its stored scenario modes and rates (the one rule the live tests, merge
// and JUnit share): Fail when a scenario mode failed or the model-check
// rate of a category or the run is below its threshold beyond chance;
// else not run when an attempt did not run (or none did); else Pass.
func ToolCallingVerdict(tc *ToolCalling) SectionVerdict {
	if tc == nil {
		return notRun("no tool-calling attempt ran")
	}
	var why string
	ran := 0
	for _, s := range tc.Scenarios {
		if s.Verdict == VerdictFail {
			return SectionVerdict{Outcome: Fail}
		}
		if s.Verdict == VerdictUnknown || s.NotRun > 0 {
			if why == "" {
				why = s.NotRunReason
				if why == "" {
					why = NotRunPrefix + s.Name + " [" + s.Mode + "]"
				}
			}
		}
		ran += s.Attempts
	}
	if tc.Model != nil && tc.Model.Verdict == VerdictFail {
		return SectionVerdict{Outcome: Fail}
	}
	for _, c := range tc.Categories {
		if c.Model.Verdict == VerdictFail {
			return SectionVerdict{Outcome: Fail}
		}
	}
	switch {
	case why != "":
		return notRun(why)
	case ran == 0:
		return notRun("no tool-calling attempt ran")
	}
	return SectionVerdict{Outcome: Pass}
}

// UnderLoadVerdict is the tool-calling-under-load section's verdict from
// its stored scenario modes (the one rule the live test, merge and JUnit
// share): Fail when a mode shows a server fault its isolated run did not;
// else not run when a mode's attempts did not all run, or none ran; else
// Pass.
func UnderLoadVerdict(u *ToolCallingUnderLoad) SectionVerdict {
	if u == nil {
		return notRun("tool calling under load did not run")
	}
	return UnderLoadVerdictOf(u.Scenarios, "tool calling")
}

// UnderLoadVerdictOf is the rule of an under-load section (tool calling or
// structured outputs) over its scenario modes: Fail when a mode shows a
// server fault its isolated run did not; else not run when a mode's
// attempts did not all run, or none ran; else Pass.
func UnderLoadVerdictOf(scenarios []UnderLoadScenario, what string) SectionVerdict {
	var why string
	ran := 0
	for _, s := range scenarios {
		if UnderLoadModeFailed(s) {
			return SectionVerdict{Outcome: Fail}
		}
		if s.NotRun > 0 && why == "" {
			why = NotRunPrefix + s.Name + " [" + s.Mode + "]: attempts cut by the suite's own stop"
		}
		ran += s.Attempts
	}
	switch {
	case why != "":
		return notRun(why)
	case ran == 0:
		return notRun("no " + what + " attempt ran under load")
	}
	return SectionVerdict{Outcome: Pass}
}

// checked is a section judged from its checks alone (structured outputs,
// the contract): as one load run's (Fail, else not run with the first
// not-run check's reason, else Pass or unknown); none at all is not run.
func (j Judge) checked(cs []Check, none string) SectionVerdict {
	if len(cs) == 0 {
		return notRun(none)
	}
	return j.runs(1, func(int) ([]Check, string) { return cs, "" })
}

// UnderLoadModeFailed is the rule of one scenario mode under load: it
// fails on a server fault the isolated run of the same mode did not show
// (IsolatedServerFailures 0, or -1: the isolated run did not run it).
func UnderLoadModeFailed(s UnderLoadScenario) bool {
	return s.ServerFailures > 0 && s.IsolatedServerFailures <= 0
}

// SectionOutcome is one section's verdict; ok is false when m lacks it.
// Every section is derived here from its stored facts: stability,
// concurrency, the conversation, the GPU and capacity from their checks
// (capacity's recorded verdict for files without checks); tool calling
// and tool calling under load from their stored scenario modes and rates.
func (j Judge) SectionOutcome(m *Metrics, s Section) (SectionVerdict, bool) {
	if m == nil {
		return SectionVerdict{}, false
	}
	switch s {
	case SectionExpectedConfig:
		if e := m.ExpectedConfig; e != nil {
			return j.expectedConfigVerdict(e), true
		}
	case SectionToolCalling:
		if t := m.ToolCalling; t != nil {
			return ToolCallingVerdict(t), true
		}
	case SectionStability:
		if x := m.Stability; x != nil {
			return j.runs(len(x.Runs), func(i int) ([]Check, string) { return x.Runs[i].Checks, x.Runs[i].Verdict }), true
		}
	case SectionConcurrency:
		if x := m.Concurrency; x != nil {
			return j.runs(len(x.Runs), func(i int) ([]Check, string) { return x.Runs[i].Checks, x.Runs[i].Verdict }), true
		}
	case SectionConversation:
		if x := m.Conversation; x != nil {
			return j.runs(len(x.Runs), func(i int) ([]Check, string) { return x.Runs[i].Checks, x.Runs[i].Verdict }), true
		}
	case SectionGPU:
		if g := m.GPU; g != nil {
			// Without a local GPU its checks are unknown: they fail the
			// run only where ACCEPTANCE_FAIL_UNKNOWN names them.
			return SectionVerdict{Outcome: j.Checks(g.Checks)}, true
		}
	case SectionCapacity:
		if c := m.Capacity; c != nil {
			v := j.runs(1, func(int) ([]Check, string) { return c.Checks, c.Verdict })
			return v, true
		}
	case SectionToolCallingUnderLoad:
		if u := m.ToolCallingUnderLoad; u != nil {
			return UnderLoadVerdict(u), true
		}
	case SectionStructuredOutputs:
		if x := m.StructuredOutputs; x != nil {
			return j.checked(x.AllChecks(), "no structured-output mode ran"), true
		}
	case SectionContract:
		if x := m.Contract; x != nil {
			return j.checked(x.AllChecks(), "no contract check ran"), true
		}
	case SectionStructuredUnderLoad:
		if u := m.StructuredUnderLoad; u != nil {
			return UnderLoadVerdictOf(u.Scenarios, "structured outputs"), true
		}
	case SectionRoofline:
		if r := m.Roofline; r != nil {
			c := r.Check()
			if r.BelowFails || j.Check(c) == Fail {
				return SectionVerdict{Outcome: j.Check(c)}, true
			}
		}
	}
	return SectionVerdict{}, false
}

// Section is one section's verdict as a bool (SectionOutcome's Passed);
// ok is false when m lacks it.
func (j Judge) Section(m *Metrics, s Section) (passed, ok bool) {
	v, ok := j.SectionOutcome(m, s)
	return v.Passed(), ok
}

// Outcomes is the verdict of each section m has.
func (j Judge) Outcomes(m *Metrics) map[Section]SectionVerdict {
	out := map[Section]SectionVerdict{}
	for _, s := range Sections {
		if v, ok := j.SectionOutcome(m, s); ok {
			out[s] = v
		}
	}
	return out
}

// Sections is the verdict of each section m has.
func (j Judge) Sections(m *Metrics) map[Section]bool {
	out := map[Section]bool{}
	for s, v := range j.Outcomes(m) {
		out[s] = v.Passed()
	}
	return out
}

// Passed is the whole run's verdict: complete, go test's own cases passed
// (TestsPassed, when recorded), and every section it has passed.
func (j Judge) Passed(m *Metrics) bool {
	if m == nil || !m.Complete {
		return false
	}
	if m.TestsPassed != nil && !*m.TestsPassed {
		return false
	}
	for _, ok := range j.Sections(m) {
		if !ok {
			return false
		}
	}
	return true
}

// Passed is the run's one verdict (JudgeOf(m).Passed): the suite's exit
// code, report, rank and merge all use it.
func (m *Metrics) Passed() bool { return JudgeOf(m).Passed(m) }

// SectionVerdicts is the verdict of each section the run has
// (JudgeOf(m).Sections).
func (m *Metrics) SectionVerdicts() map[Section]bool { return JudgeOf(m).Sections(m) }

// SectionOutcomes is the verdict of each section the run has, with the
// not-run reasons (JudgeOf(m).Outcomes).
func (m *Metrics) SectionOutcomes() map[Section]SectionVerdict { return JudgeOf(m).Outcomes(m) }
