package sidecar

import (
	"encoding/json"
	"slices"
	"strings"
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
// Capacity.Verdict, Scenario.Verdict, Rate.Verdict).
const (
	VerdictPass = string(Pass)
	VerdictFail = string(Fail)
)

// Result is the check's outcome. Skipped (a check that could not be
// measured) is Unknown whatever Passed says: files before "outcome"
// existed wrote an unknown check both as passed (switched off by a knob)
// and as not passed (preemptions unknown).
func (c Check) Result() Outcome {
	switch {
	case c.Skipped:
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
	return nil
}

// FailUnknownAll is the ACCEPTANCE_FAIL_UNKNOWN value that makes every
// unknown check fail.
const FailUnknownAll = "all"

// Judge derives every verdict above a check: a run's, a section's and
// the whole run's. It is the one pass rule; the suite, merge, report,
// rank, compare and the exit code all go through it (or read the verdict
// it recorded).
type Judge struct {
	// FailUnknown names the checks whose Unknown outcome fails the run
	// (ACCEPTANCE_FAIL_UNKNOWN: "no_preemptions,vram_growth", or "all").
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
// FailUnknown (or any, with "all"), which counts as Fail.
func (j Judge) Check(c Check) Outcome {
	o := c.Result()
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

// RunVerdict is a run's verdict string ("pass" or "fail") from its
// checks: an unknown check does not fail it.
func (j Judge) RunVerdict(cs []Check) string {
	if j.Checks(cs) == Fail {
		return VerdictFail
	}
	return VerdictPass
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
var Sections = []Section{SectionToolCalling, SectionStructuredOutputs, SectionContract, SectionStability, SectionConcurrency, SectionConversation,
	SectionGPU, SectionCapacity, SectionToolCallingUnderLoad, SectionStructuredUnderLoad, SectionRoofline}

// RunPassed is a load-style run's verdict (a stability, concurrency or
// conversation run, or the capacity search): from its checks when it has
// any, else the verdict it recorded, failed only when it says "fail".
func (j Judge) RunPassed(cs []Check, recorded string) bool {
	if len(cs) == 0 {
		return recorded != VerdictFail
	}
	return j.Checks(cs) != Fail
}

// Section is one section's verdict; ok is false when m lacks it.
// Stability, concurrency, the conversation and the GPU are judged from
// their checks; tool calling and tool calling under load from the rates
// the verdict package judged (their recorded passed); capacity from its
// checks, else its recorded verdict.
func (j Judge) Section(m *Metrics, s Section) (passed, ok bool) {
	if m == nil {
		return false, false
	}
	all := func(n int, run func(i int) bool) bool {
		for i := range n {
			if !run(i) {
				return false
			}
		}
		return true
	}
	switch s {
	case SectionToolCalling:
		if t := m.ToolCalling; t != nil {
			return t.Passed, true
		}
	case SectionStability:
		if x := m.Stability; x != nil {
			return all(len(x.Runs), func(i int) bool { return j.RunPassed(x.Runs[i].Checks, x.Runs[i].Verdict) }), true
		}
	case SectionConcurrency:
		if x := m.Concurrency; x != nil {
			return all(len(x.Runs), func(i int) bool { return j.RunPassed(x.Runs[i].Checks, x.Runs[i].Verdict) }), true
		}
	case SectionConversation:
		if x := m.Conversation; x != nil {
			return all(len(x.Runs), func(i int) bool { return j.RunPassed(x.Runs[i].Checks, x.Runs[i].Verdict) }), true
		}
	case SectionGPU:
		if g := m.GPU; g != nil {
			// Without a local GPU its checks were not measured: unknown.
			return !g.Available || j.Checks(g.Checks) != Fail, true
		}
	case SectionCapacity:
		if c := m.Capacity; c != nil {
			return j.RunPassed(c.Checks, c.Verdict), true
		}
	case SectionToolCallingUnderLoad:
		if u := m.ToolCallingUnderLoad; u != nil {
			return u.Passed, true
		}
	case SectionStructuredOutputs:
		if x := m.StructuredOutputs; x != nil {
			return j.Checks(x.AllChecks()) != Fail, true
		}
	case SectionContract:
		if x := m.Contract; x != nil {
			return j.Checks(x.AllChecks()) != Fail, true
		}
	case SectionStructuredUnderLoad:
		if u := m.StructuredUnderLoad; u != nil {
			return u.Passed, true
		}
	case SectionRoofline:
		if r := m.Roofline; r != nil {
			c := r.Check()
			if r.BelowFails || j.Check(c) == Fail {
				return j.Check(c) != Fail, true
			}
		}
	}
	return false, false
}

// Sections is the verdict of each section m has.
func (j Judge) Sections(m *Metrics) map[Section]bool {
	out := map[Section]bool{}
	for _, s := range Sections {
		if p, ok := j.Section(m, s); ok {
			out[s] = p
		}
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
