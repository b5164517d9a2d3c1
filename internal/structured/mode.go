package structured

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Mode accumulates the attempts of one scenario in one mode (thinking
// setting and transport) and judges them.
type Mode struct {
	sc      *fixture.Structured
	out     sidecar.StructuredScenario
	diag    map[diagnosis.Code]*sidecar.Diagnosis
	modelOK int
	modelN  int
}

// NewMode starts the mode mode (e.g. "think_off/stream") of sc, run as test.
func NewMode(sc *fixture.Structured, mode, test string) *Mode {
	return &Mode{sc: sc, diag: map[diagnosis.Code]*sidecar.Diagnosis{}, out: sidecar.StructuredScenario{
		Name: sc.Name, Mode: mode, Test: test, Format: sc.Format, Purpose: sc.Purpose,
		Checks: map[string]int{}, CheckKinds: map[string]string{},
	}}
}

// Add counts one attempt's result.
func (m *Mode) Add(r Result) {
	if r.NotRun {
		m.out.NotRun++
		return
	}
	m.out.Attempts++
	for n, ok := range r.Checks {
		m.out.CheckKinds[n] = string(KindOf(n))
		if _, seen := m.out.Checks[n]; !seen {
			m.out.Checks[n] = 0
		}
		if ok {
			m.out.Checks[n]++
		}
	}
	server := r.ServerFault()
	if server {
		m.out.ServerFailures++
	} else {
		m.modelN++
		if r.ModelOK() {
			m.modelOK++
		}
	}
	if !server && r.ModelOK() {
		m.out.Passed++
	}
	for _, f := range r.Findings {
		m.AddFinding(f)
	}
}

// AddFinding records a finding that belongs to the mode but to no single
// attempt (structured_next_request_worse, from the canary); a server-kind
// one counts as a server failure.
func (m *Mode) AddFinding(f diagnosis.Finding) {
	d, ok := m.diag[f.Code]
	if !ok {
		info := diagnosis.Lookup(f.Code)
		d = &sidecar.Diagnosis{Code: string(f.Code), Kind: string(diagnosis.KindOf(f.Code, "")), Message: info.Seen, Remedy: info.Remedy, Example: f.Detail}
		m.diag[f.Code] = d
	}
	d.Count++
}

// CanaryFailed records that the plain request after this mode failed,
// though it succeeded before the section: the server got worse.
func (m *Mode) CanaryFailed(detail string) {
	m.AddFinding(diagnosis.Finding{Code: diagnosis.StructuredNextRequestWorse, Detail: detail})
	m.out.ServerFailures++
}

// Close judges the mode: fail on any server fault, or when the model rate
// is below minRate beyond chance (Wilson 95 %); unknown when no attempt
// ran (not run: reason says why), never pass without evidence.
func (m *Mode) Close(minRate float64, reason string) sidecar.StructuredScenario {
	out := m.out
	out.Model = sidecar.Rate{Attempts: m.modelN, Passed: m.modelOK, Min: minRate, CI95: stats.Wilson(m.modelOK, m.modelN), Verdict: "none"}
	if m.modelN > 0 {
		out.Model.Rate = float64(m.modelOK) / float64(m.modelN)
		out.Model.Verdict = sidecar.VerdictPass
		if out.Model.CI95.High < minRate-1e-12 {
			out.Model.Verdict = sidecar.VerdictFail
		}
	}
	var on []string
	if out.ServerFailures > 0 {
		on = append(on, "server")
	}
	if out.Model.Verdict == sidecar.VerdictFail {
		on = append(on, "model")
	}
	out.FailedOn = strings.Join(on, ",")
	switch {
	case len(on) > 0:
		out.Outcome = sidecar.Fail
	case out.Attempts == 0:
		out.Outcome = sidecar.Unknown
		out.Reason = "not run"
		if reason != "" {
			out.Reason += ": " + reason
		}
	default:
		out.Outcome = sidecar.Pass
	}
	codes := make([]diagnosis.Code, 0, len(m.diag))
	for c := range m.diag {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out.Diagnoses = []sidecar.Diagnosis{}
	for _, c := range codes {
		out.Diagnoses = append(out.Diagnoses, *m.diag[c])
	}
	return out
}

// FailureMessage is the one line a failed mode's test prints: what failed,
// each code with its kind, what was seen and the remedy.
func FailureMessage(s sidecar.StructuredScenario) string {
	var b strings.Builder
	b.WriteString(s.Name + " (" + s.Format + ", " + s.Mode + "): ")
	switch s.Outcome {
	case sidecar.Unknown:
		b.WriteString(s.Reason)
		return b.String()
	case sidecar.Pass:
		b.WriteString("passed")
		return b.String()
	}
	b.WriteString("failed on " + s.FailedOn)
	if s.ServerFailures > 0 {
		b.WriteString("; server faults in ")
		b.WriteString(itoa(s.ServerFailures) + " of " + itoa(s.Attempts) + " attempts")
	}
	if s.Model.Verdict == sidecar.VerdictFail {
		b.WriteString("; model values held in " + itoa(s.Model.Passed) + " of " + itoa(s.Model.Attempts) + " (below " + ftoa(s.Model.Min) + " beyond chance)")
	}
	for _, d := range s.Diagnoses {
		b.WriteString("\n  " + d.Code + " [" + d.Kind + "] ×" + itoa(d.Count) + ": " + d.Message)
		if d.Example != "" {
			b.WriteString("\n    seen: " + d.Example)
		}
		if d.Remedy != "" {
			b.WriteString("\n    remedy: " + d.Remedy)
		}
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', 3, 64) }

// RateFailure is the line TestStructuredOutputs prints when the run-wide
// model rate (so.Model) fails: tool calling's rate line over the modes;
// "" when it does not fail.
func RateFailure(so *sidecar.StructuredOutputs) string {
	if so == nil || so.Model == nil {
		return ""
	}
	parts := make([]sidecar.RatePart, len(so.Scenarios))
	for i, s := range so.Scenarios {
		parts[i] = sidecar.RatePart{Label: s.Name + " [" + s.Mode + "]", Model: s.Model, Diagnoses: s.Diagnoses}
	}
	return so.Model.FailureLine("structured outputs, all modes", "ACCEPTANCE_MODEL_MIN_PASS_RATE", parts)
}
