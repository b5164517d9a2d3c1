// Package checkname is the one table of check names: the "name" of every
// check a run writes to metrics.json (Table), and the tool-calling attempt
// checks (AttemptTable), each with where it is written and what it judges.
// internal/sidecar and internal/toolcheck declare their constants from it,
// internal/config refuses an ACCEPTANCE_FAIL_UNKNOWN name that is not in
// Table, and internal/docs prints both in docs/reference.md.
package checkname

import (
	"slices"
	"strings"
)

// The check names. Add one here, with its row in Table; a name that is
// not in Table is refused by ACCEPTANCE_FAIL_UNKNOWN.
const (
	SuccessRate     = "success_rate"
	Degradation     = "degradation"
	GoodputRatio    = "goodput_ratio"
	Errors          = "errors"
	LatencyGrowth   = "latency_growth"
	LoadGenerator   = "load_generator"
	Requests        = "requests"
	Turns           = "turns"
	Run             = "run"
	ClientServerGap = "client_server_gap"
	Shards          = "shards"
	Workload        = "workload"
	Preemptions     = "preemptions"
	VRAMGrowth      = "vram_growth"
	VRAMMax         = "vram_max"
	Capacity        = "capacity"
	MinCapacity     = "min_capacity"
	Search          = "search"
	Roofline        = "roofline"

	// StructuredOutputs is every structured-output scenario mode's check.
	StructuredOutputs = "structured_outputs"
	// The API contract's checks (internal/contract).
	PromptTokens            = "prompt_tokens"
	StreamUsage             = "stream_usage"
	TemperatureNegative     = "temperature_negative"
	TopPAboveOne            = "top_p_above_one"
	MaxTokensZero           = "max_tokens_zero"
	NZero                   = "n_zero"
	ToolChoiceUnknown       = "tool_choice_unknown"
	ResponseFormatMalformed = "response_format_malformed"
	// ExpectedConfig prefixes a declared key's check:
	// "expected_config.<key>", one per ExpectedConfigKeys.
	ExpectedConfig = "expected_config"
)

// ExpectedConfigKeys are ACCEPTANCE_EXPECT_CONFIG's keys (internal/expect
// reads them), each checked as "expected_config.<key>".
var ExpectedConfigKeys = []string{"model", "root", "max_model_len", "vllm_version", "block_size", "cache_dtype",
	"enable_prefix_caching", "gpu_memory_utilization", "num_gpu_blocks", "tensor_parallel_size",
	"auto_tool_choice", "reasoning_parser", "gpu.name", "gpu.count"}

// All is the ACCEPTANCE_FAIL_UNKNOWN value that names every check.
const All = "all"

// Entry is one row of the table.
type Entry struct {
	// Name is the check's "name" in metrics.json.
	Name string
	// Where lists the runs or sections that write it.
	Where string
	// Judges says what it measures, and when it is unknown.
	Judges string
}

// Table is every check name, in the order docs/reference.md lists them.
var Table = []Entry{
	{SuccessRate, "stability and concurrency runs", "the share of requests that succeeded, against ACCEPTANCE_MIN_SUCCESS_RATE"},
	{Degradation, "stability runs", "how much slower each request class got over the run (Theil–Sen), against ACCEPTANCE_MAX_DEGRADATION"},
	{GoodputRatio, "concurrency runs, capacity steps", "the share of requests within ACCEPTANCE_SLO_TTFT and ACCEPTANCE_SLO_TPOT, against ACCEPTANCE_MIN_GOODPUT_RATIO"},
	{Errors, "conversation", "failed turns of the long conversation (none allowed)"},
	{LatencyGrowth, "conversation", "a turn's TTFT against its prediction from the context length"},
	{LoadGenerator, "concurrency runs", "the client kept up with its own schedule (dispatch lag, CPU); unknown where it could not be measured"},
	{Requests, "load runs", "every planned request was sent and answered (a run cut short, or a merged shard's count)"},
	{Turns, "conversation", "every planned turn of the conversation ran"},
	{Run, "any load run", "the run named in the configuration exists"},
	{ClientServerGap, "stability and load runs", "what the path in front of the engine adds to TTFT, against vLLM's own histogram on /metrics (ACCEPTANCE_MAX_CLIENT_SERVER_GAP); unknown without /metrics"},
	{Shards, "a merged run", "every shard of the run finished"},
	{Workload, "load runs, capacity steps", "a trace replay's prompts could be built (ACCEPTANCE_WORKLOAD)"},
	{Preemptions, "stability runs", "vLLM preempted no request (vllm:num_preemptions_total on /metrics); unknown without /metrics or the counter"},
	{VRAMGrowth, "stability runs, GPU", "GPU memory growth over the run; unknown without a local GPU (NVML)"},
	{VRAMMax, "GPU", "the largest share of GPU memory used; unknown without a local GPU (NVML)"},
	{Capacity, "capacity", "the search found a rate within the SLOs"},
	{MinCapacity, "capacity", "the capacity found reaches ACCEPTANCE_MIN_CAPACITY"},
	{Search, "capacity", "the capacity search ran (why it did not, when it did not)"},
	{Roofline, "roofline", "the decode rate against the memory-bandwidth roofline (ACCEPTANCE_ROOFLINE_MIN_FRACTION); advice unless ACCEPTANCE_ROOFLINE_BELOW_FAILS"},
	{StructuredOutputs, "structured outputs", "a structured-output scenario mode: no server fault, values' rate within its threshold; unknown when its attempts did not run. One more check of this name is the values' rate over every mode, against ACCEPTANCE_MODEL_MIN_PASS_RATE"},
	{PromptTokens, "API contract", "usage.prompt_tokens equals the server's /tokenize count; unknown without /tokenize"},
	{StreamUsage, "API contract", "a streamed usage adds up with its chunks and with the plain answer's"},
	{TemperatureNegative, "API contract", "temperature -1 is refused with an OpenAI-shaped 400 naming it, and the server answers after"},
	{TopPAboveOne, "API contract", "top_p 2 is refused with an OpenAI-shaped 400 naming it, and the server answers after"},
	{MaxTokensZero, "API contract", "max_tokens 0 is refused with an OpenAI-shaped 400 naming it, and the server answers after"},
	{NZero, "API contract", "n 0 is refused with an OpenAI-shaped 400 naming it, and the server answers after"},
	{ToolChoiceUnknown, "API contract", "a tool_choice naming no offered tool is refused with an OpenAI-shaped 400, and the server answers after"},
	{ResponseFormatMalformed, "API contract", "a malformed response_format is refused with an OpenAI-shaped 400, and the server answers after"},
}

// The tool-calling attempt checks: the keys of an attempt's checks and of
// a scenario's checks counts in metrics.json (internal/toolcheck computes them).
// Each holds or not on every attempt and is never unknown, so
// ACCEPTANCE_FAIL_UNKNOWN takes none of them.
const (
	Parsed       = "parsed"
	JSONValid    = "json_valid"
	SchemaValid  = "schema_valid"
	ArgsMatch    = "args_match"
	FinishReason = "finish_reason"
	NoCall       = "no_call"
	Answer       = "answer"
	Wire         = "wire"
)

// AttemptTable is every tool-calling attempt check, in the order
// docs/reference.md lists them. Whether a failure is the server's or the
// model's is internal/toolcheck's Kind (by tool_choice).
var AttemptTable = []Entry{
	{Parsed, "every tool-calling step that expects calls", "calls are present, every name is an offered tool, every call has a function"},
	{JSONValid, "steps with calls", "every call's arguments are a JSON object"},
	{SchemaValid, "steps with calls", "every call's arguments satisfy its tool's parameters schema"},
	{ArgsMatch, "steps with calls", "the calls match the step's expected calls (argument matchers)"},
	{FinishReason, "every step", "finish_reason fits the answer (tool_calls with calls, stop or length without)"},
	{NoCall, "no_call steps", "no call and no call markup in the content"},
	{Answer, "steps with answer_contains", "every expected string is in the final answer"},
	{Wire, "every step", "the OpenAI wire format of tool calls: arguments a string, ids present and unique, type function, streamed deltas with index, usage when asked for"},
}

// Names are the table's names, in its order.
func Names() []string {
	out := make([]string, len(Table))
	for i, e := range Table {
		out[i] = e.Name
	}
	return out
}

// Known reports whether name is a check name of the table, or a declared
// key's check ("expected_config.<key>").
func Known(name string) bool {
	if key, ok := strings.CutPrefix(name, ExpectedConfig+"."); ok {
		return slices.Contains(ExpectedConfigKeys, key)
	}
	return slices.Contains(Names(), name)
}

// Unknown are the names of list (a comma list, ACCEPTANCE_FAIL_UNKNOWN's
// form) that are neither a check name nor All, in list order.
func Unknown(list string) []string {
	var out []string
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" && n != All && !Known(n) {
			out = append(out, n)
		}
	}
	return out
}
