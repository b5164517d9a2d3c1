package sidecar

import (
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Check is one named pass/fail judgement with the figures behind it.
type Check struct {
	Name      string  `json:"name"`
	Passed    bool    `json:"passed"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Detail    string  `json:"detail,omitempty"`
	// Skipped checks (no local GPU, no /metrics) are noted, not failed:
	// their Outcome is Unknown.
	Skipped bool `json:"skipped,omitempty"`
	// NotRun marks a check of work the suite itself did not do or cut
	// off (NotRunCheck): unknown, Detail says why; its run reads not run.
	NotRun bool `json:"not_run,omitempty"`
	// Outcome is pass, fail or unknown (Result), written beside passed
	// and skipped; where a file has it, it decides them.
	Outcome Outcome `json:"outcome,omitempty"`
}

// Stability is the stability section.
type Stability struct {
	Runs   []StabilityRun `json:"runs"`
	Passed bool           `json:"passed"`
}

// StabilityRun is one TestStability/<run>.
type StabilityRun struct {
	Name      string         `json:"name"`
	Requests  int            `json:"requests"`
	Completed int            `json:"completed"`
	Timeouts  int            `json:"timeouts"`
	Errors    map[string]int `json:"errors"`
	// Interrupted counts requests the suite itself ended (SIGINT/SIGTERM,
	// the test binary's deadline): in neither Requests nor Errors, and
	// outside SuccessRate.
	Interrupted    int     `json:"interrupted,omitempty"`
	SuccessRate    float64 `json:"success_rate"`
	MinSuccessRate float64 `json:"min_success_rate"`
	DurationS      float64 `json:"duration_s"`

	TTFTms           stats.Summary `json:"ttft_ms"`
	TTFOms           stats.Summary `json:"ttfo_ms"`
	E2Ems            stats.Summary `json:"e2e_ms"`
	TPOTms           stats.Summary `json:"tpot_ms"`
	ITLms            stats.Summary `json:"itl_ms"`
	OutputTokensPerS stats.Summary `json:"output_tokens_per_s"`
	// Histograms are the run's distributions (successful requests only),
	// figure name (ttft_ms, ttfo_ms, e2e_ms, tpot_ms, itl_ms,
	// output_tokens_per_s) → HDR histogram in HdrHistogram's V2 compressed
	// encoding, base64 (stats.DecodeHistogram reads one, stats.MergeEncoded
	// adds several). Values are in thousandths of the figure's unit.
	Histograms map[string]string `json:"histograms,omitempty"`

	Classes     []ClassStats `json:"classes"`
	Degradation Degradation  `json:"degradation"`
	// Generator is the load generator's own health (load_generator check).
	Generator *Generator `json:"load_generator,omitempty"`
	// Warmup is the uncounted part before the counted requests; nil when
	// ACCEPTANCE_WARMUP_WAVES=0. ColdStart is set when the first counted
	// wave was still markedly slower than the rest.
	Warmup    *Warmup    `json:"warmup,omitempty"`
	ColdStart *ColdStart `json:"cold_start,omitempty"`
	// ServerView is vLLM's own latency histograms and prefix cache over
	// the run, beside the client's (client_server_gap check); nil when
	// /metrics was not read (ACCEPTANCE_METRICS_INTERVAL=0).
	ServerView *ServerView `json:"server_view,omitempty"`
	Checks     []Check     `json:"checks"`
	Verdict    string      `json:"verdict"`
}

// Warmup is a load run's warm-up: ACCEPTANCE_WARMUP_WAVES waves of
// requests at the run's own concurrency and request shape, sent before
// the counted part and excluded from every figure of the run (their
// lines in requests.jsonl have class "warmup").
type Warmup struct {
	// Waves is ACCEPTANCE_WARMUP_WAVES; Requests the warm-up requests sent
	// (Waves × the run's wave), Completed those answered 2xx.
	Waves     int `json:"waves"`
	Requests  int `json:"requests"`
	Completed int `json:"completed"`
	// Errors counts failed warm-up requests by status or kind, as a run's
	// errors{}; Interrupted those the suite ended itself.
	Errors      map[string]int `json:"errors"`
	Interrupted int            `json:"interrupted,omitempty"`
	// DurationS is the warm-up's wall time, from its first send to the
	// last warm-up answer.
	DurationS float64       `json:"duration_s"`
	TTFTms    stats.Summary `json:"ttft_ms"`
	TPOTms    stats.Summary `json:"tpot_ms"`
	E2Ems     stats.Summary `json:"e2e_ms"`
}

// ColdStart says the first counted wave of a run was markedly slower
// than the rest (docs/methods.md, "Cold start"): its median Metric above
// Ratio × the rest's median and above the rest's p90.
type ColdStart struct {
	// Requests is the first wave's size (the run's concurrency).
	Requests int `json:"requests"`
	// Metric is the figure that differed most: "ttft_ms" or "tpot_ms".
	Metric   string  `json:"metric"`
	FirstP50 float64 `json:"first_p50"`
	RestP50  float64 `json:"rest_p50"`
	RestP90  float64 `json:"rest_p90"`
	// Ratio is FirstP50 / RestP50.
	Ratio float64 `json:"ratio"`
	// RestGoodputRatio is the goodput ratio of the requests after the
	// first wave; ExplainsFailure is true when the run failed goodput_ratio
	// and would have passed without the first wave: then its failure line
	// says cold start instead of advising to resize the server.
	RestGoodputRatio float64 `json:"rest_goodput_ratio"`
	ExplainsFailure  bool    `json:"explains_failure"`
	Detail           string  `json:"detail"`
}

// ClassStats are the figures of one request class (short, long).
type ClassStats struct {
	Name             string        `json:"name"`
	Requests         int           `json:"requests"`
	Completed        int           `json:"completed"`
	TTFTms           stats.Summary `json:"ttft_ms"`
	E2Ems            stats.Summary `json:"e2e_ms"`
	TPOTms           stats.Summary `json:"tpot_ms"`
	OutputTokensPerS stats.Summary `json:"output_tokens_per_s"`
	Degradation      Degradation   `json:"degradation"`
	// TTFTDegradation is the same estimate on ttft_ms, reported beside the
	// judged e2e_ms one (not judged: TTFT is a small part of a long answer).
	TTFTDegradation *Degradation `json:"ttft_degradation,omitempty"`
}

// Degradation of a latency over a run. Value is a fraction (0.20 = 20 %).
// Method names the formula; docs/methods.md states it in full.
type Degradation struct {
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Method    string  `json:"method"`
	Passed    bool    `json:"passed"`
	// Metric is the latency judged (e2e_ms by default).
	Metric string `json:"metric,omitempty"`
	// Class is the request class Value comes from (the worst one).
	Class string `json:"class,omitempty"`
	// WindowRatio is median(last window)/median(first window) - 1.
	WindowRatio float64 `json:"window_ratio"`
	// Trend is the Theil–Sen slope over the run as a fraction of the
	// starting level, with its 95 % interval.
	Trend   float64        `json:"trend"`
	TrendCI stats.Interval `json:"trend_ci"`
	Detail  string         `json:"detail,omitempty"`
}

// Concurrency is the load section.
type Concurrency struct {
	Runs   []ConcurrencyRun `json:"runs"`
	Passed bool             `json:"passed"`
}

// ConcurrencyRun is one closed- or open-loop load run.
type ConcurrencyRun struct {
	Name        string         `json:"name"`
	Mode        string         `json:"mode"` // "closed" | "open"
	Concurrency int            `json:"concurrency,omitempty"`
	RatePerS    float64        `json:"rate_per_s,omitempty"`
	Requests    int            `json:"requests"`
	Completed   int            `json:"completed"`
	Timeouts    int            `json:"timeouts"`
	Errors      map[string]int `json:"errors"`
	// Interrupted counts requests the suite itself ended (see
	// StabilityRun.Interrupted): in neither Requests nor Errors.
	Interrupted int     `json:"interrupted,omitempty"`
	DurationS   float64 `json:"duration_s"`
	// RequestThroughput is completed requests per second of wall time.
	RequestThroughput float64 `json:"request_throughput"`
	// OutputThroughput is completion tokens per second of wall time.
	OutputThroughput float64 `json:"output_throughput"`
	// Goodput is requests per second meeting every SLO (vllm bench serve's
	// definition); GoodputRatio is the fraction of requests that did.
	Goodput      float64 `json:"goodput"`
	GoodputRatio float64 `json:"goodput_ratio"`
	// Good counts the requests that met every SLO, OutputTokens the
	// completion tokens of completed requests: the counts behind Goodput
	// and OutputThroughput, which merge adds.
	Good         int   `json:"good"`
	OutputTokens int64 `json:"output_tokens"`
	// StartedAt and FinishedAt bound the run: first send to last answer.
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	SLOTTFTms  float64   `json:"slo_ttft_ms,omitempty"`
	SLOTPOTms  float64   `json:"slo_tpot_ms,omitempty"`

	TTFTms stats.Summary `json:"ttft_ms"`
	TPOTms stats.Summary `json:"tpot_ms"`
	E2Ems  stats.Summary `json:"e2e_ms"`
	// Histograms: as StabilityRun.Histograms.
	Histograms map[string]string `json:"histograms,omitempty"`
	// Generator is the load generator's own health (load_generator check).
	Generator *Generator `json:"load_generator,omitempty"`
	// Warmup and ColdStart: see StabilityRun.
	Warmup    *Warmup    `json:"warmup,omitempty"`
	ColdStart *ColdStart `json:"cold_start,omitempty"`
	// Workload is the trace the run replayed (ACCEPTANCE_WORKLOAD); nil
	// for the synthetic load.
	Workload *Workload `json:"workload,omitempty"`
	// ServerView is vLLM's own latency histograms and prefix cache over
	// the run, beside the client's (client_server_gap check); nil when
	// /metrics was not read (ACCEPTANCE_METRICS_INTERVAL=0).
	ServerView *ServerView `json:"server_view,omitempty"`
	// Energy is the local GPUs' energy over the run and joules per output
	// and per good token (energy.go); nil where the run did not measure it.
	Energy  *Energy `json:"energy,omitempty"`
	Checks  []Check `json:"checks"`
	Verdict string  `json:"verdict"`
}

// Conversation is the long-conversation section.
type Conversation struct {
	Runs   []ConversationRun `json:"runs"`
	Passed bool              `json:"passed"`
}

// ConversationRun is one multi-turn conversation.
type ConversationRun struct {
	Name   string `json:"name"`
	Turns  []Turn `json:"turns"`
	Errors int    `json:"errors"`
	// Interrupted counts turns the suite itself ended: not errors.
	Interrupted int `json:"interrupted,omitempty"`
	// OutputTokensPerS over the whole conversation.
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	// Warmup and ColdStart: see StabilityRun (the cold start is judged
	// on TPOT alone: a conversation's TTFT grows with its context).
	Warmup    *Warmup    `json:"warmup,omitempty"`
	ColdStart *ColdStart `json:"cold_start,omitempty"`
	Checks    []Check    `json:"checks"`
	Verdict   string     `json:"verdict"`
}

// Turn is one turn of a conversation.
type Turn struct {
	Turn             int     `json:"turn"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	TTFTms           float64 `json:"ttft_ms"`
	E2Ems            float64 `json:"e2e_ms"`
	// OutputTokensPerS is completion tokens over the time after the first token.
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	Error            string  `json:"error,omitempty"`
}

// GPU is what the local NVML monitor saw. Available false means "no local
// GPU": its checks are skipped, not failed.
type GPU struct {
	Available bool        `json:"available"`
	Note      string      `json:"note,omitempty"`
	Devices   []GPUDevice `json:"devices,omitempty"`
	Samples   []GPUSample `json:"samples,omitempty"`
	Checks    []Check     `json:"checks,omitempty"`
}

// GPUDevice summarises one device over the run.
type GPUDevice struct {
	Index           int     `json:"index"`
	Name            string  `json:"name"`
	UUID            string  `json:"uuid,omitempty"`
	MemTotalMiB     float64 `json:"mem_total_mib"`
	MemUsedFirstMiB float64 `json:"mem_used_first_mib"`
	MemUsedLastMiB  float64 `json:"mem_used_last_mib"`
	MemUsedMaxMiB   float64 `json:"mem_used_max_mib"`
	UtilMeanPct     float64 `json:"util_mean_pct"`
	TempMaxC        float64 `json:"temp_max_c"`
	PowerMaxW       float64 `json:"power_max_w"`
}

// GPUSample is one reading of one device.
type GPUSample struct {
	T          time.Time `json:"t"`
	Index      int       `json:"index"`
	MemUsedMiB float64   `json:"mem_used_mib"`
	UtilPct    float64   `json:"util_pct"`
	TempC      float64   `json:"temp_c"`
	PowerW     float64   `json:"power_w"`
}

// ServerMetrics is what vLLM's /metrics said before, during and after.
type ServerMetrics struct {
	Available bool               `json:"available"`
	Note      string             `json:"note,omitempty"`
	Series    []ServerSample     `json:"series,omitempty"`
	Before    map[string]float64 `json:"before,omitempty"`
	After     map[string]float64 `json:"after,omitempty"`
	Delta     map[string]float64 `json:"delta,omitempty"`
	// EngineConfig is the labels of vLLM's *_info series (the engine
	// configuration vLLM exposes), "<series without vllm:>.<label>" → value.
	EngineConfig map[string]string `json:"engine_config,omitempty"`
	// TTFT is the server's time-to-first-token histogram over the run
	// (after minus before, summed over engines and models); nil when
	// either scrape lacked it.
	TTFT *Histogram `json:"ttft,omitempty"`
}

// Histogram is a cumulative Prometheus histogram. Buckets leave out +Inf,
// which JSON cannot hold: its count is Count.
type Histogram struct {
	Buckets []HistogramBucket `json:"buckets"`
	Count   float64           `json:"count"`
	Sum     float64           `json:"sum"`
}

// HistogramBucket counts observations <= LE (cumulative).
type HistogramBucket struct {
	LE    float64 `json:"le"`
	Count float64 `json:"count"`
}

// ServerSample is one scrape of vLLM's /metrics.
type ServerSample struct {
	T            time.Time `json:"t"`
	KVCacheUsage float64   `json:"kv_cache_usage"`
	Running      float64   `json:"running"`
	Waiting      float64   `json:"waiting"`
	Preemptions  float64   `json:"preemptions_total"`
	// TTFTCount and TTFTSumS are the TTFT histogram's count and sum so far
	// (cumulative), so charts can derive the mean TTFT per interval.
	TTFTCount float64 `json:"ttft_count"`
	TTFTSumS  float64 `json:"ttft_sum_s"`
}

// Generator is the load generator's account of itself during one run: did
// it send on schedule, and how hard did it work? When it fell behind, the
// run's figures measure the client machine, not the server, and the
// load_generator check fails (see load.Generator for the thresholds).
type Generator struct {
	// DispatchLagMs: actual send time minus scheduled send time, per request.
	DispatchLagMs stats.Summary `json:"dispatch_lag_ms"`
	// LagLimitMs is the lag a dispatch may have before it counts as Late.
	LagLimitMs float64 `json:"lag_limit_ms"`
	Late       int     `json:"late"`
	// CPUCoresUsed is the process's CPU time (user+system) over the run's
	// wall time; Cores is what it may use (GOMAXPROCS, which follows the
	// container's CPU limit). CPUFraction is their ratio. CPUCoresUsed is
	// -1 where the platform does not report process CPU time.
	CPUCoresUsed   float64 `json:"cpu_cores_used"`
	Cores          int     `json:"cores"`
	CPUFraction    float64 `json:"cpu_fraction"`
	PeakGoroutines int     `json:"peak_goroutines"`
	// Chunks is the SSE data events parsed; ChunksPerS is per second of
	// the run's wall time.
	Chunks     int64   `json:"chunks"`
	ChunksPerS float64 `json:"chunks_per_s"`
	DurationS  float64 `json:"duration_s"`
	// LagHistogram is the dispatch lag distribution in ms, encoded like
	// the run's Histograms, so merged shards judge the lag of the whole run.
	LagHistogram string `json:"dispatch_lag_hist,omitempty"`
	// Shards is the number of generators merged into this one (merge);
	// CPU figures are then the busiest shard's.
	Shards int `json:"shards,omitempty"`
	// ShardOverlap (merge) is the fraction of the merged window during
	// which every shard was running this load run: from the last shard's
	// start to the first shard's end, over the union of their windows.
	// Below 1 the offered load was the planned one only for that part of
	// the window (the edges had fewer shards sending). Information, not a
	// check: docs/scaling-out.md.
	ShardOverlap float64 `json:"shard_overlap,omitempty"`
}

// Workload is a load run's trace replay: which trace, how its text was
// calibrated to the model's tokens, and the prompt and answer lengths the
// server counted (usage) against those the trace asked for, over the
// completed requests.
type Workload struct {
	// Trace is the file's name, SHA256 its bytes' digest, Format
	// "mooncake" or "chat".
	Trace  string `json:"trace"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Lines is how many trace lines the run sent; Speedup
	// ACCEPTANCE_TRACE_SPEEDUP (open loop).
	Lines   int     `json:"lines"`
	Speedup float64 `json:"speedup,omitempty"`
	// Calibration maps words to the model's tokens (Mooncake traces):
	// prompt tokens = overhead_tokens + tokens_per_word × words, measured
	// by "tokenize" (vLLM's /tokenize) or "usage" (probe requests).
	Calibration *Calibration `json:"calibration,omitempty"`
	// TraceInputTokens and InputTokens sum the prompt lengths the trace
	// asked for and the server counted, InputAbsDiff |counted − asked|,
	// over the completed requests whose trace gives a length (Mooncake);
	// InputError = InputAbsDiff / TraceInputTokens. The same for answers.
	TraceInputTokens  int64   `json:"trace_input_tokens"`
	InputTokens       int64   `json:"input_tokens"`
	InputAbsDiff      int64   `json:"input_abs_diff"`
	InputError        float64 `json:"input_error"`
	TraceOutputTokens int64   `json:"trace_output_tokens"`
	OutputTokens      int64   `json:"output_tokens"`
	OutputAbsDiff     int64   `json:"output_abs_diff"`
	OutputError       float64 `json:"output_error"`
	// Per-request lengths in tokens (the summaries' "ms" are tokens):
	// asked by the trace and counted by the server.
	TraceInput  stats.Summary `json:"trace_input"`
	Input       stats.Summary `json:"input"`
	TraceOutput stats.Summary `json:"trace_output"`
	Output      stats.Summary `json:"output"`
	// SharedPrefixLines counts the lines at least half of whose prompt
	// earlier lines of the run had sent, as leading hash blocks
	// (trace.SharedPrefix, load.SharedPrefixed); the TTFT of those
	// completed (SharedPrefixTTFTms) against that of the other lines
	// (NewPrefixTTFTms) shows what prefix caching bought.
	SharedPrefixLines  int           `json:"shared_prefix_lines"`
	SharedPrefixTTFTms stats.Summary `json:"shared_prefix_ttft_ms"`
	NewPrefixTTFTms    stats.Summary `json:"new_prefix_ttft_ms"`
	// Histograms of the four lengths and the two TTFTs, by those names
	// (load.HistTraceInput, ...), for merge.
	Histograms map[string]string `json:"histograms,omitempty"`
}

// Calibration is trace.Calibration as the sidecar records it.
type Calibration struct {
	TokensPerWord float64 `json:"tokens_per_word"`
	Overhead      float64 `json:"overhead_tokens"`
	Source        string  `json:"source"`
}
