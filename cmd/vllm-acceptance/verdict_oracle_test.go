package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestVerdictOracle gives TestOneVerdictEverywhere an oracle of its own:
// small sidecars whose verdicts are written here by hand (the run's, and
// each section's as the report prints it), not taken from the judge.
// Each is then held to every reader by agree (report, rank, merge,
// JUnit, compare). It covers the cases issues 24, 25 and 26 name: work
// not run never passes and never fails the server, the tool-calling and
// under-load sections come from their stored facts (not a stored bool),
// and the GPU section follows ACCEPTANCE_FAIL_UNKNOWN like every other.
func TestVerdictOracle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		m        *sidecar.Metrics
		passed   bool
		sections map[sidecar.Section]string
	}{
		{"tool calling passed on evidence", oracleRun(true, "", tcOf(sc(3, 3, 0, sidecar.VerdictPass))), true,
			map[sidecar.Section]string{sidecar.SectionToolCalling: "PASS"}},
		{"tool calling interrupted: the unrun attempts are not passed", oracleRun(false, "", tcOf(sc(1, 1, 2, sidecar.VerdictUnknown))), false,
			map[sidecar.Section]string{sidecar.SectionToolCalling: "NOT RUN"}},
		{"tool calling never started (context cancelled first)", oracleRun(false, "", tcOf(sc(0, 0, 3, sidecar.VerdictUnknown))), false,
			map[sidecar.Section]string{sidecar.SectionToolCalling: "NOT RUN"}},
		{"a fault seen before the stop still fails", oracleRun(false, "", tcOf(sc(1, 0, 2, sidecar.VerdictFail))), false,
			map[sidecar.Section]string{sidecar.SectionToolCalling: "FAIL"}},
		{"a stored passed does not override a failed scenario", oracleRun(true, "", func(m *sidecar.Metrics) {
			tcOf(sc(3, 3, 0, sidecar.VerdictPass), sc(3, 1, 0, sidecar.VerdictFail))(m)
			m.ToolCalling.Passed = true
		}), false, map[sidecar.Section]string{sidecar.SectionToolCalling: "FAIL"}},
		{"a stored failed does not override passing scenarios", oracleRun(true, "", func(m *sidecar.Metrics) {
			tcOf(sc(3, 3, 0, sidecar.VerdictPass))(m)
			m.ToolCalling.Passed = false
		}), true, map[sidecar.Section]string{sidecar.SectionToolCalling: "PASS"}},
		{"the run-wide model rate fails", oracleRun(true, "", func(m *sidecar.Metrics) {
			tcOf(sc(3, 3, 0, sidecar.VerdictPass))(m)
			m.ToolCalling.Model = &sidecar.Rate{Attempts: 30, Passed: 5, Min: 0.8, Verdict: sidecar.VerdictFail}
		}), false, map[sidecar.Section]string{sidecar.SectionToolCalling: "FAIL"}},
		{"stability cut by the deadline reads not run, not 0 % success", oracleRun(false, "", stab(notRunReq(0, 20))), false,
			map[sidecar.Section]string{sidecar.SectionStability: "NOT RUN"}},
		{"stability cut, with a failure seen before", oracleRun(false, "", stab(failed(sidecar.CheckSuccessRate), notRunReq(5, 20))), false,
			map[sidecar.Section]string{sidecar.SectionStability: "FAIL"}},
		{"ACCEPTANCE_FAIL_UNKNOWN=all does not fail work not run", oracleRun(false, "all", stab(ok(sidecar.CheckSuccessRate), notRunReq(5, 20))), false,
			map[sidecar.Section]string{sidecar.SectionStability: "NOT RUN"}},
		{"unknown preemptions fail nothing", oracleRun(true, "", conc(ok(sidecar.CheckSuccessRate), unknown(sidecar.CheckPreemptions))), true,
			map[sidecar.Section]string{sidecar.SectionConcurrency: "PASS"}},
		{"unknown preemptions named by ACCEPTANCE_FAIL_UNKNOWN", oracleRun(true, "preemptions", conc(ok(sidecar.CheckSuccessRate), unknown(sidecar.CheckPreemptions))), false,
			map[sidecar.Section]string{sidecar.SectionConcurrency: "FAIL"}},
		{"no local GPU: unknown, fails nothing", oracleRun(true, "", noGPU(false)), true,
			map[sidecar.Section]string{sidecar.SectionGPU: "UNKNOWN"}},
		{"no local GPU, vram_growth named by ACCEPTANCE_FAIL_UNKNOWN", oracleRun(true, "vram_growth", noGPU(false)), false,
			map[sidecar.Section]string{sidecar.SectionGPU: "FAIL"}},
		{"under load: a server fault isolation did not show", oracleRun(true, "", underLoad(sidecar.UnderLoadScenario{Name: "a", Mode: "m", Attempts: 3, ServerFailures: 1})), false,
			map[sidecar.Section]string{sidecar.SectionToolCallingUnderLoad: "FAIL"}},
		{"under load: the same fault as in isolation", oracleRun(true, "", underLoad(sidecar.UnderLoadScenario{Name: "a", Mode: "m", Attempts: 3, ServerFailures: 1, IsolatedServerFailures: 1})), true,
			map[sidecar.Section]string{sidecar.SectionToolCallingUnderLoad: "PASS"}},
		{"under load: attempts cut", oracleRun(false, "", underLoad(sidecar.UnderLoadScenario{Name: "a", Mode: "m", Attempts: 1, NotRun: 2})), false,
			map[sidecar.Section]string{sidecar.SectionToolCallingUnderLoad: "NOT RUN"}},
		{"capacity never started", oracleRun(false, "", func(m *sidecar.Metrics) {
			cs := []sidecar.Check{sidecar.NotRunCheck(sidecar.CheckSearch, 0, 1, sidecar.NotRunPrefix+"interrupted before the search began")}
			m.Capacity = &sidecar.Capacity{Checks: cs, Verdict: sidecar.VerdictUnknown, Steps: []sidecar.CapacityStep{}}
		}), false, map[sidecar.Section]string{sidecar.SectionCapacity: "NOT RUN"}},
		{"go test's own cases failed", oracleRun(true, "", func(m *sidecar.Metrics) {
			stab(ok(sidecar.CheckSuccessRate))(m)
			f := false
			m.TestsPassed = &f
		}), false, map[sidecar.Section]string{sidecar.SectionStability: "PASS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.passed, tc.m.Passed(), "the run's verdict")
			got := map[sidecar.Section]string{}
			for s, v := range tc.m.SectionOutcomes() {
				got[s] = v.Word()
			}
			assert.Equal(t, tc.sections, got, "each section's verdict")
			agree(t, verdictCase{name: tc.name, m: tc.m}, false) // no histograms: merge recomputes no concurrency run
		})
	}
}

// oracleRun is a sidecar, complete or interrupted, with ACCEPTANCE_FAIL_UNKNOWN
// failUnknown, and the sections fill adds.
func oracleRun(complete bool, failUnknown string, fill func(m *sidecar.Metrics)) *sidecar.Metrics {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	m := &sidecar.Metrics{SchemaVersion: sidecar.SchemaVersion, Complete: complete, EndReason: sidecar.EndFinished,
		StartedAt: now.Add(-time.Minute), FinishedAt: now, Target: sidecar.Target{Model: "m", Kind: sidecar.KindSimulator}}
	if !complete {
		m.EndReason, m.EndDetail = sidecar.EndInterrupted, "SIGTERM (terminated)"
	}
	m.Knobs.FailUnknown = failUnknown
	fill(m)
	return m
}

// sc is one scenario mode: attempts run, passed of them, attempts not run,
// and its verdict as toolverdict.Close writes it.
func sc(attempts, passed, notRun int, v string) sidecar.Scenario {
	s := sidecar.Scenario{Name: "weather", Mode: "think_off/plain", Category: "simple", Attempts: attempts, Passed: passed,
		NotRun: notRun, Verdict: v, Checks: map[string]int{}, Diagnoses: []sidecar.Diagnosis{}}
	if notRun > 0 {
		s.NotRunReason = sidecar.NotRunPrefix + "interrupted by SIGTERM (terminated)"
	}
	if v == sidecar.VerdictFail {
		s.ServerFailures, s.FailedOn = attempts-passed, "server"
	}
	return s
}

func tcOf(scs ...sidecar.Scenario) func(m *sidecar.Metrics) {
	return func(m *sidecar.Metrics) { m.ToolCalling = &sidecar.ToolCalling{Scenarios: scs} }
}

func ok(name string) sidecar.Check {
	return sidecar.Check{Name: name, Passed: true, Value: 1, Threshold: 1}
}
func failed(name string) sidecar.Check {
	return sidecar.Check{Name: name, Value: 0.5, Threshold: 1, Detail: "1 of 2 failed"}
}
func unknown(name string) sidecar.Check {
	return sidecar.Check{Name: name, Skipped: true, Detail: "no counter"}
}
func notRunReq(done, planned int) sidecar.Check {
	return sidecar.NotRunCheck(sidecar.CheckRequests, float64(done), float64(planned), sidecar.NotRunPrefix+"go test -timeout was about to expire")
}

func stab(cs ...sidecar.Check) func(m *sidecar.Metrics) {
	return func(m *sidecar.Metrics) {
		m.Stability = &sidecar.Stability{Runs: []sidecar.StabilityRun{{Name: "alternating", Requests: 20, Checks: cs, Errors: map[string]int{}}}}
	}
}

func conc(cs ...sidecar.Check) func(m *sidecar.Metrics) {
	return func(m *sidecar.Metrics) {
		m.Concurrency = &sidecar.Concurrency{Runs: []sidecar.ConcurrencyRun{{Name: "closed_4", Mode: "closed", Checks: cs, Errors: map[string]int{}}}}
	}
}

func noGPU(available bool) func(m *sidecar.Metrics) {
	return func(m *sidecar.Metrics) {
		m.GPU = &sidecar.GPU{Available: available, Note: "no local GPU",
			Checks: []sidecar.Check{unknown(sidecar.CheckVRAMGrowth), unknown(sidecar.CheckVRAMMax)}}
	}
}

func underLoad(s sidecar.UnderLoadScenario) func(m *sidecar.Metrics) {
	return func(m *sidecar.Metrics) {
		m.ToolCallingUnderLoad = &sidecar.ToolCallingUnderLoad{Scenarios: []sidecar.UnderLoadScenario{s}}
	}
}
