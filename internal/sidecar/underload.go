package sidecar

import "github.com/vllm-acceptance/vllm-acceptance/internal/stats"

// ToolCallingUnderLoad is TestToolCallingUnderLoad: the catalogue's
// tool-calling scenarios again, while a background open loop runs at a
// fraction of the capacity, compared with the isolated run.
type ToolCallingUnderLoad struct {
	// RatePerS is the background rate: Fraction × Capacity.
	RatePerS float64 `json:"rate_per_s"`
	Fraction float64 `json:"fraction"`
	Capacity float64 `json:"capacity"`
	// Background is the background open loop's own figures.
	Background *ConcurrencyRun      `json:"background,omitempty"`
	Scenarios  []UnderLoadScenario  `json:"scenarios"`
	Model      *UnderLoadModelRates `json:"model,omitempty"`
	// NewServerFailures counts scenario modes with a server-check failure
	// the isolated run did not show: each fails the test.
	NewServerFailures int `json:"new_server_failures"`
	// Passed is UnderLoadVerdict's, stored for readers.
	Passed bool   `json:"passed"`
	Note   string `json:"note,omitempty"`
}

// UnderLoadScenario is one scenario mode under load beside its isolated run.
type UnderLoadScenario struct {
	Name     string `json:"name"`
	Mode     string `json:"mode"`
	Attempts int    `json:"attempts"`
	// ServerFailures under load, and in the isolated run (-1: the
	// isolated run did not run this mode).
	ServerFailures         int `json:"server_failures"`
	IsolatedServerFailures int `json:"isolated_server_failures"`
	// NewServerFailure: failed a server check under load, not in isolation.
	NewServerFailure bool        `json:"new_server_failure"`
	Diagnoses        []Diagnosis `json:"diagnoses,omitempty"`
	ModelAttempts    int         `json:"model_attempts"`
	ModelPassed      int         `json:"model_passed"`
	// NotRun counts the attempts under load that did not run (the
	// suite's own stop): outside Attempts; the section cannot pass.
	NotRun int `json:"not_run,omitempty"`
}

// UnderLoadModelRates compares the model-check rate under load with the
// isolated one: Diff = under load − isolated, with its Newcombe 95 %
// interval; Verdict "lower" when the interval lies below 0, "higher" above,
// "same" otherwise. Reported, not failed: the model does not change under
// load, so a drop points at the server (KV-cache pressure cutting answers),
// which the server checks judge.
type UnderLoadModelRates struct {
	Attempts         int            `json:"attempts"`
	Passed           int            `json:"passed"`
	Rate             float64        `json:"rate"`
	IsolatedAttempts int            `json:"isolated_attempts"`
	IsolatedPassed   int            `json:"isolated_passed"`
	IsolatedRate     float64        `json:"isolated_rate"`
	Diff             float64        `json:"diff"`
	DiffCI95         stats.Interval `json:"diff_ci95"`
	Verdict          string         `json:"verdict"`
}
