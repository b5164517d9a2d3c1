// Package config reads the suite's knobs: environment variables, optionally
// over a YAML settings file (ACCEPTANCE_PROFILE); the environment wins. Every bad
// value is rejected at start with the variable's name and an example.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
)

// Config is every knob. The `env` tag names the variable, `yaml` the settings
// key, `example` what an error message suggests. Defaults are in Default.
type Config struct {
	// BaseURL of the OpenAI-compatible server, e.g. http://gpu-box:5002/v1.
	BaseURL string `env:"VLLM_BASE_URL" yaml:"base_url" example:"http://gpu-box:5002/v1"`
	// APIKey is the Bearer token. Never printed, logged or written. Not
	// settable from a settings file (settings files get committed).
	APIKey string `env:"VLLM_API_KEY" yaml:"-" example:"(your key)"`
	// Model to test; default the first id from /v1/models.
	Model string `env:"VLLM_MODEL" yaml:"model" example:"Qwen/Qwen3-32B-AWQ"`
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `env:"VLLM_CA_FILE" yaml:"ca_file" example:"/etc/ssl/lab-ca.pem"`
	// InsecureSkipVerify disables TLS verification (self-signed lab servers).
	InsecureSkipVerify bool `env:"VLLM_INSECURE_SKIP_VERIFY" yaml:"insecure_skip_verify" example:"true"`

	// Simulator, when set, starts the embedded simulator in-process with this
	// persona spec and tests it instead of VLLM_BASE_URL (make demo).
	Simulator string `env:"ACCEPTANCE_SIMULATOR" yaml:"simulator" example:"healthy"`
	// Out is the output folder; relative paths are from the repository root.
	Out string `env:"ACCEPTANCE_OUT" yaml:"out" example:"out"`
	// SettingsFile is the YAML settings file these knobs were read from (env only).
	SettingsFile string `env:"ACCEPTANCE_PROFILE" yaml:"-" example:"settings/qwen3-32b.yaml"`
	// Fixtures is the folder of tool-calling scenarios.
	Fixtures string `env:"ACCEPTANCE_FIXTURES" yaml:"fixtures" example:"fixtures"`

	// RequestTimeout bounds one request, body included.
	RequestTimeout time.Duration `env:"ACCEPTANCE_REQUEST_TIMEOUT" yaml:"request_timeout" example:"120s"`
	// IdleTimeout bounds silence inside one response body (stalled stream).
	IdleTimeout time.Duration `env:"ACCEPTANCE_IDLE_TIMEOUT" yaml:"idle_timeout" example:"60s"`
	// MaxResponseBytes caps one response body.
	MaxResponseBytes int64 `env:"ACCEPTANCE_MAX_RESPONSE_BYTES" yaml:"max_response_bytes" example:"16777216"`
	// Parallel bounds how many tool-calling scenarios run at once.
	Parallel int `env:"ACCEPTANCE_PARALLEL" yaml:"parallel" example:"4"`

	// ToolCallRepeats is the attempts per scenario and mode.
	ToolCallRepeats int `env:"ACCEPTANCE_TOOLCALL_REPEATS" yaml:"toolcall_repeats" example:"3"`
	// ModelMinPassRate is the model-check pass rate a healthy model
	// reaches over the whole run, 0..1. The run fails when the upper end
	// of the Wilson 95 % interval of its rate is below this: the data
	// show, beyond chance, that the model does worse. Server checks are not rates: they must hold on every
	// attempt.
	ModelMinPassRate float64 `env:"ACCEPTANCE_MODEL_MIN_PASS_RATE" yaml:"model_min_pass_rate" example:"0.8"`
	// ModelScenarioMinPassRate is the same rule for one scenario, over
	// all its modes (thinking settings and transports pooled), and for one
	// category, set lower because they hold few attempts and an attempt
	// with several calls fails more often: with the default 0.5, a
	// scenario fails when at most 2 of 12 attempts (defaults: 2 thinking
	// settings × 2 transports × 3 repeats) or none of 6 passed its model
	// checks; a model wrong in 1 call in 20 does that about once in a
	// million runs.
	ModelScenarioMinPassRate float64 `env:"ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE" yaml:"model_scenario_min_pass_rate" example:"0.5"`
	// ToolCallMinPassRate is deprecated (one version): it sets
	// ModelScenarioMinPassRate, and Deprecations says so.
	ToolCallMinPassRate float64 `env:"ACCEPTANCE_TOOLCALL_MIN_PASS_RATE" yaml:"toolcall_min_pass_rate" example:"0.6"`
	// ToolCallModes: which transports to run, "plain" and/or "stream".
	ToolCallModes []string `env:"ACCEPTANCE_TOOLCALL_MODES" yaml:"toolcall_modes" example:"plain,stream"`
	// Thinking: which chat_template_kwargs.enable_thinking settings to run,
	// "off" and/or "on"; "default" sends nothing (for non-reasoning models).
	Thinking []string `env:"ACCEPTANCE_THINKING" yaml:"thinking" example:"off,on"`
	// ThinkingMaxTokens is the max_tokens of thinking-on attempts: a scenario
	// whose own max_tokens is lower gets this instead, since a thinking
	// model (Qwen3) often reasons past 1024 tokens before it calls. 0 keeps
	// each scenario's own budget. A call still cut off by it is reported as
	// tool_call_truncated_max_tokens or reasoning_exhausted_max_tokens.
	// The server's --max-model-len must hold the prompt plus this budget.
	ThinkingMaxTokens int `env:"ACCEPTANCE_THINKING_MAX_TOKENS" yaml:"thinking_max_tokens" example:"8192"`
	// StructuredRepeats is the attempts per structured-output scenario and
	// mode (TestStructuredOutputs); the contract checks send one probe each.
	StructuredRepeats int `env:"ACCEPTANCE_STRUCTURED_REPEATS" yaml:"structured_repeats" example:"3"`
	// StructuredAPI is the request field that carries the choice and regex
	// constraints: "structured_outputs" (vLLM >= 0.10.2), "guided"
	// (guided_choice and guided_regex, older vLLM), or "auto": guided when
	// /version says a vLLM before 0.10.2, else structured_outputs.
	StructuredAPI string `env:"ACCEPTANCE_STRUCTURED_API" yaml:"structured_api" example:"auto"`

	// StabilityRequests is the number of requests in a stability run.
	StabilityRequests int `env:"ACCEPTANCE_STABILITY_REQUESTS" yaml:"stability_requests" example:"20"`
	// StabilityInterval is the pause between stability requests.
	StabilityInterval time.Duration `env:"ACCEPTANCE_STABILITY_INTERVAL" yaml:"stability_interval" example:"5s"`
	// MaxDegradation is the largest allowed degradation (0.20 = 20 %).
	MaxDegradation float64 `env:"ACCEPTANCE_MAX_DEGRADATION" yaml:"max_degradation" example:"0.20"`
	// MinSuccessRate is the success rate a stability or concurrency run needs.
	MinSuccessRate float64 `env:"ACCEPTANCE_MIN_SUCCESS_RATE" yaml:"min_success_rate" example:"0.95"`
	// ShortTokens and LongTokens are the max_tokens of the two request
	// classes (the seed's 50-100 and 800-900 token answers).
	ShortTokens int `env:"ACCEPTANCE_SHORT_TOKENS" yaml:"short_tokens" example:"100"`
	LongTokens  int `env:"ACCEPTANCE_LONG_TOKENS" yaml:"long_tokens" example:"900"`

	// Concurrency is the closed-loop parallel conversations.
	Concurrency int `env:"ACCEPTANCE_CONCURRENCY" yaml:"concurrency" example:"8"`
	// ConcurrencyRequests is the total requests of the closed-loop run.
	ConcurrencyRequests int `env:"ACCEPTANCE_CONCURRENCY_REQUESTS" yaml:"concurrency_requests" example:"40"`
	// OpenLoopRate is the Poisson arrival rate of the open-loop run, per second.
	OpenLoopRate float64 `env:"ACCEPTANCE_OPEN_LOOP_RATE" yaml:"open_loop_rate" example:"2"`
	// OpenLoopRequests is the number of arrivals of the open-loop run.
	OpenLoopRequests int `env:"ACCEPTANCE_OPEN_LOOP_REQUESTS" yaml:"open_loop_requests" example:"40"`
	// Workload is the load of the concurrency runs and the capacity search:
	// "synthetic" (the short class, Poisson arrivals) or the path of a
	// trace file (Mooncake JSONL or JSONL chat requests; internal/trace),
	// relative paths from the repository root.
	Workload string `env:"ACCEPTANCE_WORKLOAD" yaml:"workload" example:"traces/demo.jsonl"`
	// TraceSpeedup divides a trace's arrival times (2 replays it twice as fast).
	TraceSpeedup float64 `env:"ACCEPTANCE_TRACE_SPEEDUP" yaml:"trace_speedup" example:"2"`
	// SLOTTFT and SLOTPOT define goodput: a request is good when it meets both.
	SLOTTFT time.Duration `env:"ACCEPTANCE_SLO_TTFT" yaml:"slo_ttft" example:"2s"`
	SLOTPOT time.Duration `env:"ACCEPTANCE_SLO_TPOT" yaml:"slo_tpot" example:"100ms"`
	// MinGoodputRatio is the fraction of requests that must meet the SLOs.
	MinGoodputRatio float64 `env:"ACCEPTANCE_MIN_GOODPUT_RATIO" yaml:"min_goodput_ratio" example:"0.9"`

	// WarmupWaves is the warm-up before the counted part of every
	// stability, concurrency and conversation run: this many waves of
	// uncounted requests at the run's own concurrency and request shape
	// (a wave: one request of each stability class, one conversation
	// turn, ACCEPTANCE_CONCURRENCY requests of the closed loop, one
	// second of the open loop's arrivals). 0 turns it off
	// (docs/methods.md, "Warm-up").
	WarmupWaves int `env:"ACCEPTANCE_WARMUP_WAVES" yaml:"warmup_waves" example:"1"`

	// ConversationTurns is the length of the long conversation.
	ConversationTurns int `env:"ACCEPTANCE_CONVERSATION_TURNS" yaml:"conversation_turns" example:"15"`

	// GPUInterval is the NVML sampling period; 0 disables the monitor.
	GPUInterval time.Duration `env:"ACCEPTANCE_GPU_INTERVAL" yaml:"gpu_interval" example:"1s"`
	// MetricsInterval is the /metrics scrape period; 0 disables scraping.
	MetricsInterval time.Duration `env:"ACCEPTANCE_METRICS_INTERVAL" yaml:"metrics_interval" example:"5s"`
	// MaxClientServerGap is how much the path in front of the engine
	// (network, gateway, vLLM's API server) may add to a load run's TTFT:
	// the client's TTFT against vLLM's own histogram on /metrics
	// (client_server_gap check, docs/methods.md); 0 turns the check off.
	MaxClientServerGap time.Duration `env:"ACCEPTANCE_MAX_CLIENT_SERVER_GAP" yaml:"max_client_server_gap" example:"10ms"`
	// FailUnknown names the checks whose unknown outcome (not measured: no
	// /metrics, no preemption counter, no local GPU) fails the run, as a
	// comma list of check names (the table "Check names" below), or "all".
	// A name that is not a check stops the run at start. Empty: an unknown
	// check is shown as unknown and fails nothing.
	FailUnknown string `env:"ACCEPTANCE_FAIL_UNKNOWN" yaml:"fail_unknown" example:"preemptions"`
	// ProgressEvery prints a progress line every N requests of a long run.
	ProgressEvery int `env:"ACCEPTANCE_PROGRESS_EVERY" yaml:"progress_every" example:"10"`

	// ExpectConfig is a YAML file of what the candidate declares (model,
	// max_model_len, vLLM version, cache and parser settings, GPUs;
	// docs/expected-config.md), checked against the server in the
	// preflight, before any load: a mismatch fails every case with the
	// table of expected against found. Relative paths are from the
	// repository root.
	ExpectConfig string `env:"ACCEPTANCE_EXPECT_CONFIG" yaml:"expect_config" example:"deploy/expected.yaml"`
	// GPUHourPrice is the price of one GPU-hour (any currency), for the
	// cost per million good tokens at the capacity found; 0 leaves the cost
	// out.
	GPUHourPrice float64 `env:"ACCEPTANCE_GPU_HOUR_PRICE" yaml:"gpu_hour_price" example:"2.49"`
	// GPUCount is how many GPUs serve the model, for that cost; 0 takes
	// the GPUs NVML sees here, or else the expected config's gpu.count.
	GPUCount int `env:"ACCEPTANCE_GPU_COUNT" yaml:"gpu_count" example:"2"`

	// Capacity: the search of TestCapacity (internal/capacity,
	// docs/capacity.md), and what depends on it.
	Capacity `yaml:",inline"`

	// Shard is "i/N" (0-based): this process runs shard i of N of every
	// load run (docs/scaling-out.md). Env only: one settings file serves every
	// shard.
	Shard string `env:"ACCEPTANCE_SHARD" yaml:"-" example:"1/4"`
	// Shards is N when the index comes from JOB_COMPLETION_INDEX.
	Shards int `env:"ACCEPTANCE_SHARDS" yaml:"-" example:"4"`
	// JobIndex is Kubernetes' JOB_COMPLETION_INDEX (an Indexed Job's pod
	// index), used when ACCEPTANCE_SHARD is unset.
	JobIndex string `env:"JOB_COMPLETION_INDEX" yaml:"-" example:"0"`
	// StartAt is when every shard starts its load (RFC 3339).
	StartAt time.Time `env:"ACCEPTANCE_START_AT" yaml:"-" example:"2026-11-30T12:00:00Z"`
	// RunID names the run every shard belongs to; default
	// "run-<ACCEPTANCE_START_AT>" when sharded.
	RunID string `env:"ACCEPTANCE_RUN_ID" yaml:"-" example:"nightly-1234"`
	// ShardBarrier is a folder every shard of the run can write (the
	// results volume): with it, each load run after a shard's first starts
	// together in every shard (ACCEPTANCE_START_AT aligns only the first).
	ShardBarrier string `env:"ACCEPTANCE_SHARD_BARRIER" yaml:"-" example:"/results/barrier"`

	// Sharding is resolved by Load from the knobs above (not a knob).
	Sharding Sharding `env:"-" yaml:"-"`

	// Deprecations are the lines to print for deprecated knobs that were
	// set (filled by Load, not a knob).
	Deprecations []string `env:"-" yaml:"-"`
}

// WorkloadSynthetic is ACCEPTANCE_WORKLOAD's default: the suite's own
// load, no trace.
const WorkloadSynthetic = "synthetic"

// Trace is the trace file ACCEPTANCE_WORKLOAD names, resolved from the
// repository root, or "" for the synthetic load.
func (c Config) Trace() string {
	if c.Workload == WorkloadSynthetic {
		return ""
	}
	return FromRoot(c.Workload)
}

// Default is the configuration with no environment and no settings file.
func Default() Config {
	return Config{
		Out:                      "out",
		Fixtures:                 "fixtures",
		RequestTimeout:           120 * time.Second,
		IdleTimeout:              60 * time.Second,
		MaxResponseBytes:         16 << 20,
		Parallel:                 4,
		ToolCallRepeats:          3,
		ModelMinPassRate:         0.8,
		ModelScenarioMinPassRate: 0.5,
		ToolCallModes:            []string{"plain", "stream"},
		Thinking:                 []string{"off", "on"},
		ThinkingMaxTokens:        8192,
		StructuredRepeats:        3,
		StructuredAPI:            "auto",
		StabilityRequests:        20,
		StabilityInterval:        5 * time.Second,
		MaxDegradation:           0.20,
		MinSuccessRate:           0.95,
		ShortTokens:              100,
		LongTokens:               900,
		Concurrency:              8,
		ConcurrencyRequests:      40,
		WarmupWaves:              1,
		OpenLoopRate:             2,
		OpenLoopRequests:         40,
		Workload:                 WorkloadSynthetic,
		TraceSpeedup:             1,
		SLOTTFT:                  2 * time.Second,
		SLOTPOT:                  100 * time.Millisecond,
		MinGoodputRatio:          0.9,
		ConversationTurns:        15,
		GPUInterval:              time.Second,
		MetricsInterval:          5 * time.Second,
		MaxClientServerGap:       10 * time.Millisecond,
		ProgressEvery:            5,
		Capacity:                 DefaultCapacity(),
	}
}

// Load builds the configuration: defaults, then the settings file named by
// ACCEPTANCE_PROFILE (if any), then the environment. getenv is os.Getenv in
// production and a map in tests.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	if p := getenv("ACCEPTANCE_PROFILE"); p != "" {
		p = FromRoot(p)
		data, err := os.ReadFile(p)
		if err != nil {
			return c, fmt.Errorf("ACCEPTANCE_PROFILE: %w", err)
		}
		if err := c.applyYAML(data, p); err != nil {
			return c, err
		}
		c.SettingsFile = p
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	c.deprecate(getenv)
	if err := c.validate(); err != nil {
		return c, err
	}
	return c, c.resolveSharding(now())
}

// applyYAML sets the knobs a settings file names. The file is decoded
// twice: once into a scratch Config with KnownFields(true), which is what
// catches a key no knob has (a typo, or api_key, which must not live in a
// committed file); then as nodes, whose literal text goes through the same
// parsers as the environment's, so "5" is rejected for a duration with the
// same message in both places.
func (c *Config) applyYAML(data []byte, file string) error {
	var scratch Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&scratch)
	if errors.Is(err, io.EOF) {
		return nil
	}
	var typeErr *yaml.TypeError
	if err != nil && !errors.As(err, &typeErr) {
		return fmt.Errorf("ACCEPTANCE_PROFILE %s: %w", file, err)
	}
	var errs []error
	if typeErr != nil {
		for _, e := range typeErr.Errors {
			if m := unknownField.FindStringSubmatch(e); m != nil {
				errs = append(errs, fmt.Errorf("ACCEPTANCE_PROFILE %s: unknown key %q (known: %s)", file, m[1], strings.Join(yamlKeys(), ", ")))
			}
		}
	}
	var nodes map[string]yaml.Node
	if err := yaml.Unmarshal(data, &nodes); err != nil {
		return fmt.Errorf("ACCEPTANCE_PROFILE %s: %w", file, err)
	}
	vals := map[string]string{}
	for _, k := range knobs() {
		n, ok := nodes[k.yaml]
		if !ok || k.yaml == "" || k.yaml == "-" {
			continue
		}
		vals[k.env] = n.Value
		if n.Kind == yaml.SequenceNode {
			parts := make([]string, len(n.Content))
			for i, e := range n.Content {
				parts[i] = e.Value
			}
			vals[k.env] = strings.Join(parts, ",")
		}
	}
	errs = append(errs, c.bind(vals, func(k knob, v string, err error) error {
		return fmt.Errorf("ACCEPTANCE_PROFILE %s: %s: %v; example: %s: %s", file, k.yaml, err, k.yaml, k.example)
	}))
	return errors.Join(errs...)
}

// applyEnv sets the knobs the environment names (a variable set to "" is
// not set).
func (c *Config) applyEnv(getenv func(string) string) error {
	vals := map[string]string{}
	for _, k := range knobs() {
		if v := getenv(k.env); v != "" {
			vals[k.env] = strings.TrimSpace(v)
		}
	}
	return c.bind(vals, func(k knob, v string, err error) error {
		if k.env == "VLLM_API_KEY" {
			v = "(hidden)"
		}
		return fmt.Errorf("%s=%s: %v; example: %s=%s", k.env, v, err, k.env, k.example)
	})
}

// deprecate maps deprecated knobs onto their replacements, with a line to
// print. An explicitly set replacement wins over the deprecated knob.
func (c *Config) deprecate(getenv func(string) string) {
	if c.ToolCallMinPassRate == 0 {
		return
	}
	line := fmt.Sprintf("ACCEPTANCE_TOOLCALL_MIN_PASS_RATE is deprecated and will be removed in the next version: "+
		"server checks now hold on every attempt, and model checks are rates; it now sets ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE=%g "+
		"(see also ACCEPTANCE_MODEL_MIN_PASS_RATE)", c.ToolCallMinPassRate)
	// The new knob counts as set when the environment names it or the
	// settings file moved it off its default.
	if getenv("ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE") != "" || c.ModelScenarioMinPassRate != Default().ModelScenarioMinPassRate {
		line = "ACCEPTANCE_TOOLCALL_MIN_PASS_RATE is deprecated and ignored: ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE is set (environment or settings file)"
	} else {
		c.ModelScenarioMinPassRate = c.ToolCallMinPassRate
	}
	c.Deprecations = append(c.Deprecations, line)
}

func (c *Config) validate() error {
	var errs knobErrors
	bad := errs.add
	if c.ToolCallMinPassRate > 1 {
		bad("ACCEPTANCE_TOOLCALL_MIN_PASS_RATE", "must be between 0 and 1 (deprecated: use ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE)")
	}
	if c.ModelMinPassRate > 1 {
		bad("ACCEPTANCE_MODEL_MIN_PASS_RATE", "must be between 0 and 1")
	}
	if c.ModelScenarioMinPassRate > 1 {
		bad("ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE", "must be between 0 and 1")
	}
	if c.MinSuccessRate > 1 {
		bad("ACCEPTANCE_MIN_SUCCESS_RATE", "must be between 0 and 1")
	}
	if c.MinGoodputRatio > 1 {
		bad("ACCEPTANCE_MIN_GOODPUT_RATIO", "must be between 0 and 1")
	}
	if c.ToolCallRepeats == 0 {
		bad("ACCEPTANCE_TOOLCALL_REPEATS", "must be at least 1")
	}
	if c.Parallel == 0 {
		bad("ACCEPTANCE_PARALLEL", "must be at least 1")
	}
	if c.RequestTimeout == 0 {
		bad("ACCEPTANCE_REQUEST_TIMEOUT", "must be more than 0")
	}
	if c.Concurrency == 0 {
		bad("ACCEPTANCE_CONCURRENCY", "must be at least 1")
	}
	if c.OpenLoopRate == 0 {
		bad("ACCEPTANCE_OPEN_LOOP_RATE", "must be more than 0 requests per second")
	}
	if c.TraceSpeedup <= 0 {
		bad("ACCEPTANCE_TRACE_SPEEDUP", "must be more than 0")
	}
	if c.Workload == "" {
		bad("ACCEPTANCE_WORKLOAD", "must be synthetic or a trace file")
	} else if c.Workload != WorkloadSynthetic {
		if _, err := os.Stat(c.Trace()); err != nil {
			errs = append(errs, fmt.Errorf("ACCEPTANCE_WORKLOAD=%s: neither %q nor a readable trace file (%v); a trace is a Mooncake JSONL or chat JSONL file, its format read from its first line; example: ACCEPTANCE_WORKLOAD=traces/demo.jsonl",
				c.Workload, WorkloadSynthetic, errors.Unwrap(err)))
		}
	}
	for _, m := range c.ToolCallModes {
		if m != "plain" && m != "stream" {
			bad("ACCEPTANCE_TOOLCALL_MODES", fmt.Sprintf("%q is not plain or stream", m))
		}
	}
	if c.StructuredRepeats < 1 {
		bad("ACCEPTANCE_STRUCTURED_REPEATS", "must be at least 1")
	}
	switch c.StructuredAPI {
	case "auto", "structured_outputs", "guided":
	default:
		bad("ACCEPTANCE_STRUCTURED_API", fmt.Sprintf("%q is not auto, structured_outputs or guided", c.StructuredAPI))
	}
	for _, m := range c.Thinking {
		if m != "off" && m != "on" && m != "default" {
			bad("ACCEPTANCE_THINKING", fmt.Sprintf("%q is not off, on or default", m))
		}
	}
	if bad := checkname.Unknown(c.FailUnknown); len(bad) > 0 {
		errs = append(errs, fmt.Errorf("ACCEPTANCE_FAIL_UNKNOWN=%s: %s not a check name, so it would fail nothing; the check names: %s, or %s for every check (docs/reference.md, \"Check names\")",
			c.FailUnknown, quoted(bad), strings.Join(checkname.Names(), ", "), checkname.All))
	}
	errs = append(errs, c.Capacity.validate()...)
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("VLLM_BASE_URL", "must start with http:// or https://")
	}
	return errors.Join(errs...)
}

// quoted is names as "a" or "a", "b" are, for an error line.
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0] + " is"
	}
	return strings.Join(q, ", ") + " are"
}

// FromRoot resolves a relative path the way docs/reference.md promises: from the
// repository root (the folder holding go.mod), because `go test` runs each
// package in its own folder. A path that exists as given is kept.
func FromRoot(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if root := RepoRoot(); root != "" {
		return filepath.Join(root, p)
	}
	return p
}

// RepoRoot is the nearest folder at or above the working directory that
// holds go.mod, or "".
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
