// Package sidecar is the metrics.json file format: the exported, JSON-tagged
// structs below are the file, versioned by SchemaVersion. It also writes the
// file atomically and validates it against schema.json.
package sidecar

import (
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// SchemaVersion is bumped on any change a reader must know about. compare
// refuses to compare sidecars of different major versions. Version 2 added
// the runs' HDR histograms and provenance, which compare's intervals and
// refusals need: version 1 files are refused with a line saying to rerun.
const SchemaVersion = 2

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
	SchemaVersion int    `json:"schema_version"`
	Complete      bool   `json:"complete"`
	EndReason     string `json:"end_reason"`
	EndDetail     string `json:"end_detail,omitempty"`
	// TestsPassed is go test's own outcome (every case of the run
	// passed), recorded by the live suite's TestMain; nil in files that
	// predate it. Passed counts it, so the exit code and the sidecar agree.
	TestsPassed *bool     `json:"tests_passed,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	// Suite is the vllm-acceptance version that wrote the file.
	Suite  string `json:"suite"`
	Target Target `json:"target"`
	Knobs  Knobs  `json:"knobs"`
	// Run ties the shards of a sharded run together (nil when unsharded).
	Run       *RunInfo   `json:"run,omitempty"`
	Preflight *Preflight `json:"preflight,omitempty"`
	// Provenance is what makes two runs comparable or not; compare refuses
	// mismatches (docs/statistics.md says which).
	Provenance *Provenance `json:"provenance,omitempty"`
	// ExpectedConfig is ACCEPTANCE_EXPECT_CONFIG checked against the
	// server in the preflight (expected.go); nil when no file was named.
	ExpectedConfig *ExpectedConfig `json:"expected_config,omitempty"`

	ToolCalling   *ToolCalling   `json:"tool_calling,omitempty"`
	Stability     *Stability     `json:"stability,omitempty"`
	Concurrency   *Concurrency   `json:"concurrency,omitempty"`
	Conversation  *Conversation  `json:"conversation,omitempty"`
	GPU           *GPU           `json:"gpu,omitempty"`
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
	// Capacity is TestCapacity's search (capacity.go).
	Capacity *Capacity `json:"capacity,omitempty"`
	// ToolCallingUnderLoad is TestToolCallingUnderLoad (underload.go).
	ToolCallingUnderLoad *ToolCallingUnderLoad `json:"tool_calling_under_load,omitempty"`
	// Roofline is the decode rate against the memory-bandwidth bound
	// (roofline.go).
	Roofline *Roofline `json:"roofline,omitempty"`
	// StructuredOutputs is TestStructuredOutputs and Contract is
	// TestContract (structured.go).
	StructuredOutputs *StructuredOutputs `json:"structured_outputs,omitempty"`
	Contract          *Contract          `json:"contract,omitempty"`
	// StructuredUnderLoad is TestStructuredOutputsUnderLoad.
	StructuredUnderLoad *StructuredUnderLoad `json:"structured_outputs_under_load,omitempty"`
}

// Ending is why the run ended, in words: end_reason, then ": end_detail"
// where there is one ("interrupted: SIGINT").
func (m *Metrics) Ending() string {
	if m.EndDetail == "" {
		return m.EndReason
	}
	return m.EndReason + ": " + m.EndDetail
}

// Target is the server under test.
type Target struct {
	// BaseURL with credentials and query secrets removed.
	BaseURL       string `json:"base_url"`
	Model         string `json:"model"`
	Kind          string `json:"kind"`
	ServerVersion string `json:"server_version,omitempty"`
	// Persona is the simulator persona spec when Kind is "simulator"
	// (written as "profile" before 0.2.0).
	Persona string `json:"persona,omitempty"`
}

// Knobs records the settings the run used, so compare can refuse runs that
// do not match. The key is never among them.
type Knobs struct {
	RequestTimeout  string `json:"request_timeout"`
	ToolCallRepeats int    `json:"toolcall_repeats"`
	// ToolCallMinPassRate is the deprecated knob, 0 when unset.
	ToolCallMinPassRate float64 `json:"toolcall_min_pass_rate,omitempty"`
	// ModelMinPassRate and ModelScenarioMinPassRate are the model-check
	// thresholds (ACCEPTANCE_MODEL_MIN_PASS_RATE and
	// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE).
	ModelMinPassRate         float64 `json:"model_min_pass_rate,omitempty"`
	ModelScenarioMinPassRate float64 `json:"model_scenario_min_pass_rate,omitempty"`
	ToolCallModes            string  `json:"toolcall_modes,omitempty"`
	ThinkingMaxTokens        int     `json:"thinking_max_tokens,omitempty"`
	StabilityRequests        int     `json:"stability_requests"`
	StabilityInterval        string  `json:"stability_interval"`
	MaxDegradation           float64 `json:"max_degradation"`
	SettingsFile             string  `json:"settings_file,omitempty"` // ACCEPTANCE_PROFILE ("profile" before 0.2.0)
	Parallel                 int     `json:"parallel,omitempty"`
	FixturesDir              string  `json:"fixtures_dir,omitempty"`
	// FailUnknown is ACCEPTANCE_FAIL_UNKNOWN: the checks whose unknown
	// outcome fails the run ("all": every one); empty, an unknown check
	// fails nothing. JudgeOf reads it.
	FailUnknown string            `json:"fail_unknown,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// RunInfo identifies one shard of a sharded run, or a merged run
// (docs/scaling-out.md). Every shard of a run writes the same ID and
// StartAt; merge refuses shards that differ.
type RunInfo struct {
	ID string `json:"id"`
	// Shard is this file's shard; nil in a merged run.
	Shard *ShardRef `json:"shard,omitempty"`
	// Shards is the run's number of shards.
	Shards int `json:"shards"`
	// StartAt is ACCEPTANCE_START_AT, when every shard starts its load.
	StartAt time.Time `json:"start_at,omitzero"`
	// LoadStartedAt is when this shard actually began its first load run.
	LoadStartedAt time.Time `json:"load_started_at,omitzero"`
	// Merged lists the shards a merged run was made from, Missing those
	// that were absent (the run is then incomplete).
	Merged  []int `json:"merged_shards,omitempty"`
	Missing []int `json:"missing_shards,omitempty"`
}

// ShardRef is shard Index (0-based) of Count.
type ShardRef struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Provenance records what a run measured with: compare refuses a side whose
// runs disagree on any field, and two sides that differ in model, suite,
// fixtures or knobs; server version, max_model_len and engine config may
// differ between sides (they are what a candidate changes) and are shown.
type Provenance struct {
	// ServerVersion is /version's version ("" when absent).
	ServerVersion string `json:"server_version,omitempty"`
	// Model is the model id tested, as /v1/models lists it.
	Model string `json:"model"`
	// MaxModelLen is the model's max_model_len from /v1/models (vLLM
	// lists it); 0 when the server does not say.
	MaxModelLen int `json:"max_model_len,omitempty"`
	// EngineConfig holds the labels of vLLM's *_info series on /metrics
	// (e.g. "cache_config_info.block_size": "16"), where present.
	EngineConfig map[string]string `json:"engine_config,omitempty"`
	// Suite is the vllm-acceptance version.
	Suite string `json:"suite"`
	// FixturesSHA256 hashes the tool-calling fixture files used (names and
	// bytes, sorted by name); KnobsSHA256 hashes the knobs that change what
	// is measured (run sizes, tokens, rates, SLOs, timeouts, modes), not
	// where outputs go nor the target.
	FixturesSHA256 string `json:"fixtures_sha256,omitempty"`
	KnobsSHA256    string `json:"knobs_sha256,omitempty"`
	// ExpectConfigSHA256 hashes the ACCEPTANCE_EXPECT_CONFIG file's bytes
	// ("" when none was named): the configuration the run was declared to
	// test.
	ExpectConfigSHA256 string `json:"expect_config_sha256,omitempty"`
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
	// Model is the model-check rate over the whole run, judged against
	// ACCEPTANCE_MODEL_MIN_PASS_RATE.
	Model *Rate `json:"model,omitempty"`
	// ServerFailures counts attempts with a server fault over the run.
	ServerFailures int `json:"server_failures"`
	// Nondeterministic counts scenario modes whose identical requests got
	// different answers: information, not a failure.
	Nondeterministic int `json:"nondeterministic"`
	// NotRun counts attempts over the run that did not run (cut by the
	// suite's own stop, or never reached): outside every rate, and the
	// section cannot pass while any is (sidecar.ToolCallingVerdict).
	NotRun int `json:"not_run,omitempty"`
	// Passed is ToolCallingVerdict's, stored for readers.
	Passed bool `json:"passed"`
}

// Rate is a model-check pass rate and its verdict: Passed of Attempts
// attempts held every model check; CI95 is the Wilson score interval;
// the verdict is "fail" when CI95.High < Min (the data show, beyond
// chance, a rate below the threshold), else "pass".
type Rate struct {
	Attempts int            `json:"attempts"`
	Passed   int            `json:"passed"`
	Rate     float64        `json:"rate"`
	CI95     stats.Interval `json:"ci95"`
	Min      float64        `json:"min"`
	Verdict  string         `json:"verdict"`
}

// Scenario is one fixture in one mode.
type Scenario struct {
	// Name is the fixture name; Mode is the subtest path of the thinking
	// setting and transport, e.g. "think_off/stream". Test is the full
	// test name.
	Name     string  `json:"name"`
	Mode     string  `json:"mode,omitempty"`
	Test     string  `json:"test,omitempty"`
	Category string  `json:"category,omitempty"`
	Purpose  string  `json:"purpose,omitempty"`
	Attempts int     `json:"attempts"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
	// PassRateCI is the Wilson 95 % score interval of PassRate.
	PassRateCI stats.Interval `json:"pass_rate_ci95"`
	// Verdict is "pass", "fail" or "unknown": fail when any attempt had a
	// server fault (ServerFailures > 0) or Model's verdict is "fail"; else
	// unknown (not run) when an attempt did not run (NotRun > 0).
	Verdict string `json:"verdict"`
	// NotRun counts the attempts that did not run: a request ended by the
	// suite's own stop (SIGINT/SIGTERM, go test -timeout) or never sent.
	// They are outside Attempts; NotRunReason says why.
	NotRun       int    `json:"not_run,omitempty"`
	NotRunReason string `json:"not_run_reason,omitempty"`
	// FailedOn says why the verdict is fail: "server", "model" or
	// "server,model"; empty on a pass.
	FailedOn string `json:"failed_on,omitempty"`
	// ServerFailures counts attempts with a server-kind finding or a
	// failed server check: any is a fault.
	ServerFailures int `json:"server_failures"`
	// Model is the rate of attempts whose model checks all held, over the
	// attempts of this mode without a server fault. Its Verdict is this
	// mode's alone; the scenario is judged on ScenarioModel.
	Model Rate `json:"model"`
	// ScenarioModel is the same rate over every mode of the scenario
	// (thinking settings and transports pooled), judged against
	// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE: its verdict is the
	// scenario's model verdict, shared by its modes.
	ScenarioModel Rate `json:"scenario_model"`
	// Checks counts attempts that passed each check: parsed, json_valid,
	// schema_valid, args_match, finish_reason, no_call, answer, stream,
	// wire (those that apply to the scenario and mode).
	Checks map[string]int `json:"checks"`
	// CheckKinds says, for each check in Checks, whether it is a "server"
	// or a "model" check under this scenario's tool_choice.
	CheckKinds map[string]string `json:"check_kinds"`
	// ToolChoice is the scenario's tool_choice ("auto", "required",
	// "none" or a function name).
	ToolChoice string `json:"tool_choice,omitempty"`
	// Nondeterministic: identical requests of this scenario got different
	// answers (DistinctAnswers is the most seen for one step). It is
	// information, not a failure: vLLM is not batch-invariant by default.
	Nondeterministic bool `json:"nondeterministic,omitempty"`
	DistinctAnswers  int  `json:"distinct_answers,omitempty"`
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
	Code string `json:"code"`
	// Kind is "server" or "model" (diagnosis.KindOf under the scenario's
	// tool_choice).
	Kind    string `json:"kind"`
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
	// ServerFailures counts attempts with a server fault in the category.
	ServerFailures int `json:"server_failures"`
	// Model is the category's model-check rate, judged against
	// ACCEPTANCE_MODEL_MIN_PASS_RATE.
	Model Rate `json:"model"`
}

// Version is the suite's version, written into every sidecar.
const Version = "0.2.0"
