package compare

import (
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func ptr(v float64) *float64 { return &v }

// baseMetrics is a small complete run of a real vLLM: two tool-calling
// scenarios, one stability run, one closed-loop run, one GPU. Tests copy it
// (deepCopy) and change one thing.
func baseMetrics() *sidecar.Metrics {
	t0 := time.Date(2025, 10, 22, 23, 14, 6, 0, time.UTC)
	return &sidecar.Metrics{
		SchemaVersion: sidecar.SchemaVersion,
		Complete:      true,
		EndReason:     sidecar.EndFinished,
		StartedAt:     t0,
		FinishedAt:    t0.Add(12 * time.Minute),
		Suite:         "0.1.0",
		Target: sidecar.Target{BaseURL: "http://gpu-box:5002/v1", Model: "Qwen/Qwen3-32B-AWQ",
			Kind: sidecar.KindVLLM, ServerVersion: "0.11.0"},
		Knobs: sidecar.Knobs{RequestTimeout: "120s", ToolCallRepeats: 3, ToolCallMinPassRate: 1,
			ToolCallModes: "plain,stream", StabilityRequests: 20, StabilityInterval: "5s", MaxDegradation: 0.2},
		ToolCalling: &sidecar.ToolCalling{
			Scenarios: []sidecar.Scenario{
				scenario("simple_weather", "plain", "simple", 3, 3),
				scenario("simple_weather", "stream", "simple", 3, 3),
				scenario("parallel_two_cities", "plain", "parallel", 3, 2),
			},
			ParseSuccessRate: ptr(1),
			JSONValidRate:    ptr(1),
			Passed:           true,
		},
		Stability: &sidecar.Stability{Passed: true, Runs: []sidecar.StabilityRun{{
			Name: "mixed", Requests: 20, Completed: 20, Errors: map[string]int{},
			SuccessRate: 1, MinSuccessRate: 1, DurationS: 140,
			TTFTms:           stats.Summary{N: 20, Mean: 420, P50: 400, P90: 500, P99: 600, Max: 610},
			E2Ems:            stats.Summary{N: 20, Mean: 7000, P50: 6900, P90: 8000, P99: 9000, Max: 9100},
			TPOTms:           stats.Summary{N: 20, Mean: 23, P50: 22, P90: 25, P99: 30, Max: 31},
			OutputTokensPerS: stats.Summary{N: 20, Mean: 43, P50: 43.3, P90: 45, P99: 46, Max: 46},
			Degradation:      sidecar.Degradation{Value: 0.08, Threshold: 0.2, Method: "window_ratio", Passed: true},
			Verdict:          "pass",
		}}},
		Concurrency: &sidecar.Concurrency{Passed: true, Runs: []sidecar.ConcurrencyRun{{
			Name: "closed_8", Mode: "closed", Concurrency: 8, Requests: 40, Completed: 40, Errors: map[string]int{},
			DurationS: 60, RequestThroughput: 0.66, OutputThroughput: 250,
			TTFTms: stats.Summary{N: 40, Mean: 900, P50: 800, P90: 1200, P99: 1500, Max: 1600},
			TPOTms: stats.Summary{N: 40, Mean: 30, P50: 29, P90: 35, P99: 40, Max: 41},
			E2Ems:  stats.Summary{N: 40, Mean: 9000, P50: 8800, P90: 11000, P99: 12000, Max: 12500},
		}}},
		GPU: &sidecar.GPU{Available: true, Devices: []sidecar.GPUDevice{{Index: 0, Name: "NVIDIA RTX 4090",
			MemTotalMiB: 24564, MemUsedFirstMiB: 20000, MemUsedLastMiB: 20500, MemUsedMaxMiB: 20800}}},
	}
}

// with is a fresh baseMetrics with one change.
func with(change func(m *sidecar.Metrics)) *sidecar.Metrics {
	m := baseMetrics()
	change(m)
	return m
}

// candidateMetrics is testdata/candidate.json: the baseline a day later on
// vLLM 0.11.1, with one scenario down to 1/3 (its own tool-calling verdict
// fails), TTFT p90 600 ms, 50 tokens/s, and no local GPU.
func candidateMetrics() *sidecar.Metrics {
	return with(func(m *sidecar.Metrics) {
		m.StartedAt, m.FinishedAt = m.StartedAt.Add(24*time.Hour), m.FinishedAt.Add(24*time.Hour)
		m.Target.ServerVersion = "0.11.1"
		setPassed(&m.ToolCalling.Scenarios[1], 1)
		m.ToolCalling.Passed = false
		m.Stability.Runs[0].TTFTms.P90 = 600
		m.Stability.Runs[0].OutputTokensPerS.P50 = 50
		m.GPU = &sidecar.GPU{Available: false, Note: "no local GPU: NVML library not found"}
	})
}

// scenario is one tool-calling scenario as the suite writes it, with
// passed of its attempts and no server fault: the model-check rate
// (ScenarioCounts) is passed/attempts too.
func scenario(name, mode, category string, attempts, passed int) sidecar.Scenario {
	s := sidecar.Scenario{Name: name, Mode: mode, Category: category, Attempts: attempts, Diagnoses: []sidecar.Diagnosis{}}
	setPassed(&s, passed)
	return s
}

// setPassed sets how many of a scenario's attempts passed, in every figure
// that counts them. Its verdict follows as a model rate's would, against a
// threshold of 2/3 (2 of 3 passes, 1 of 3 fails), so that the tool-calling
// section's verdict the judge derives from the scenarios agrees with the
// Passed the fixtures state.
func setPassed(s *sidecar.Scenario, passed int) {
	verdict := sidecar.VerdictPass
	if 3*passed < 2*s.Attempts {
		verdict = sidecar.VerdictFail
	}
	rate := float64(passed) / float64(s.Attempts)
	s.Passed, s.PassRate, s.PassRateCI, s.Verdict = passed, rate, stats.Wilson(passed, s.Attempts), verdict
	s.Model = sidecar.Rate{Attempts: s.Attempts, Passed: passed, Rate: rate, CI95: s.PassRateCI, Verdict: verdict}
	s.Checks = map[string]int{"parsed": s.Attempts, "json_valid": s.Attempts, "schema_valid": s.Attempts, "args_match": passed}
}

// failRun fails a stability run's success-rate check, as a run whose
// requests failed records it (the section's verdict follows from it).
func failRun(r *sidecar.StabilityRun) {
	r.Checks = append(r.Checks, sidecar.Check{Name: sidecar.CheckSuccessRate, Value: 0.5, Threshold: 0.99})
	r.Verdict = sidecar.VerdictFail
}
