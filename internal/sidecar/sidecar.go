// Package sidecar is the metrics.json file format: the exported, JSON-tagged
// structs below are the file, versioned by SchemaVersion. It also writes the
// file atomically and validates it against schema.json.
package sidecar

import (
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// SchemaVersion is bumped on any change a reader must know about. compare
// refuses to compare sidecars of different major versions.
const SchemaVersion = 1

// Target kinds.
const (
	KindVLLM      = "vllm"
	KindSimulator = "simulator"
	KindOpenAI    = "openai-compatible"
)

// End reasons.
const (
	EndFinished    = "finished"
	EndInterrupted = "interrupted" // SIGINT/SIGTERM; Reason says which
	EndTimeout     = "test_timeout"
	EndPreflight   = "preflight_failed"
)

// Metrics is metrics.json.
type Metrics struct {
	SchemaVersion int       `json:"schema_version"`
	Complete      bool      `json:"complete"`
	EndReason     string    `json:"end_reason"`
	EndDetail     string    `json:"end_detail,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	// Suite is the vllm-acceptance version that wrote the file.
	Suite     string     `json:"suite"`
	Target    Target     `json:"target"`
	Knobs     Knobs      `json:"knobs"`
	Preflight *Preflight `json:"preflight,omitempty"`

	ToolCalling   *ToolCalling   `json:"tool_calling,omitempty"`
	Stability     *Stability     `json:"stability,omitempty"`
	Concurrency   *Concurrency   `json:"concurrency,omitempty"`
	Conversation  *Conversation  `json:"conversation,omitempty"`
	GPU           *GPU           `json:"gpu,omitempty"`
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
}

// Target is the server under test.
type Target struct {
	// BaseURL with credentials and query secrets removed.
	BaseURL       string `json:"base_url"`
	Model         string `json:"model"`
	Kind          string `json:"kind"`
	ServerVersion string `json:"server_version,omitempty"`
	// Profile is the simulator profile when Kind is "simulator".
	Profile string `json:"profile,omitempty"`
}

// Knobs records the settings the run used, so compare can refuse runs that
// do not match. The key is never among them.
type Knobs struct {
	RequestTimeout      string            `json:"request_timeout"`
	ToolCallRepeats     int               `json:"toolcall_repeats"`
	ToolCallMinPassRate float64           `json:"toolcall_min_pass_rate"`
	ToolCallModes       string            `json:"toolcall_modes,omitempty"`
	ThinkingMaxTokens   int               `json:"thinking_max_tokens,omitempty"`
	StabilityRequests   int               `json:"stability_requests"`
	StabilityInterval   string            `json:"stability_interval"`
	MaxDegradation      float64           `json:"max_degradation"`
	Profile             string            `json:"profile,omitempty"`
	Parallel            int               `json:"parallel,omitempty"`
	FixturesDir         string            `json:"fixtures_dir,omitempty"`
	Extra               map[string]string `json:"extra,omitempty"`
}

// Preflight is what GET /v1/models, /health and /version said.
type Preflight struct {
	OK        bool     `json:"ok"`
	Diagnosis string   `json:"diagnosis,omitempty"`
	Message   string   `json:"message,omitempty"`
	Models    []string `json:"models,omitempty"`
	Health    string   `json:"health,omitempty"`
}

// ToolCalling is the tool-calling section.
type ToolCalling struct {
	Scenarios []Scenario `json:"scenarios"`
	// ParseSuccessRate: attempts whose calls were parsed / all attempts
	// that expected a call. Null when there were none.
	ParseSuccessRate *float64 `json:"parse_success_rate"`
	// JSONValidRate: attempts with valid JSON arguments / attempts that
	// produced a call. Null when no attempt produced a call.
	JSONValidRate *float64   `json:"json_valid_rate"`
	Categories    []Category `json:"categories,omitempty"`
	Passed        bool       `json:"passed"`
}

// Scenario is one fixture in one mode.
type Scenario struct {
	// Name is the fixture name; Mode is "plain", "stream", or with
	// thinking "plain/think_on" etc. Test is the full test name.
	Name     string  `json:"name"`
	Mode     string  `json:"mode,omitempty"`
	Test     string  `json:"test,omitempty"`
	Category string  `json:"category,omitempty"`
	Purpose  string  `json:"purpose,omitempty"`
	Attempts int     `json:"attempts"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
	// PassRateCI is the Wilson 95 % score interval of PassRate.
	PassRateCI  stats.Interval `json:"pass_rate_ci95"`
	MinPassRate float64        `json:"min_pass_rate"`
	Verdict     string         `json:"verdict"` // "pass" | "fail"
	// Checks counts attempts that passed each check: parsed, json_valid,
	// schema_valid, args_match, finish_reason (and stream_* in stream mode).
	Checks map[string]int `json:"checks"`
	// ExpectsCall is set when some step of the scenario wants a call;
	// AttemptsWithCalls counts attempts that produced at least one call.
	// Together they are the denominators of the tool_calling rates.
	ExpectsCall       bool          `json:"expects_call"`
	AttemptsWithCalls int           `json:"attempts_with_calls"`
	Diagnoses         []Diagnosis   `json:"diagnoses"`
	TTFTms            stats.Summary `json:"ttft_ms,omitzero"`
	E2Ems             stats.Summary `json:"e2e_ms,omitzero"`
}

// Diagnosis is one code seen in a scenario, how often, and what to do.
type Diagnosis struct {
	Code    string `json:"code"`
	Count   int    `json:"count"`
	Message string `json:"message"`
	Remedy  string `json:"remedy"`
	// Example is one attempt's detail (e.g. the leaked markup), trimmed.
	Example string `json:"example,omitempty"`
}

// Category aggregates the scenarios of one category, as BFCL reports them.
type Category struct {
	Name        string   `json:"name"`
	Attempts    int      `json:"attempts"`
	Passed      int      `json:"passed"`
	PassRate    float64  `json:"pass_rate"`
	Parsed      *float64 `json:"parsed_rate"`
	JSONValid   *float64 `json:"json_valid_rate"`
	SchemaValid *float64 `json:"schema_valid_rate"`
	ArgsMatch   *float64 `json:"args_match_rate"`
}

// Version is the suite's version, written into every sidecar.
const Version = "0.1.0"
