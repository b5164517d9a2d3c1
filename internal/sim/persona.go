// Package sim is the embedded simulator: a net/http server that speaks
// vLLM's OpenAI-compatible wire format and misbehaves in known ways, one
// fault per persona, so the suite's self-tests can assert its verdicts
// without a GPU.
package sim

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Fault names one misbehaviour. The zero value is a healthy server.
type Fault string

// Persona is a fault, a latency model and a stream style. Personas compose:
// "hermes_leak?ttft=50ms&style=llmd" is the hermes fault with latency, in
// llm-d's streaming style.
type Persona struct {
	// Name is the registered name the persona was looked up by.
	Name string
	// Spec is the full string given to Lookup, parameters included.
	Spec string
	// Description is Describe(Name).
	Description string
	// Fault is what goes wrong; "" for none.
	Fault Fault

	// TTFT is the delay before the first token chunk (after the role chunk).
	TTFT time.Duration
	// ITL is the delay between token chunks. A non-streamed answer waits
	// TTFT + n*ITL in total.
	ITL time.Duration
	// Noise multiplies each request's latency by a uniform factor in
	// [1-Noise, 1+Noise], drawn from a PCG seeded with Seed.
	Noise float64
	// Seed seeds the simulator's random draws (noise, error rate, ids).
	Seed uint64
	// Ramp raises latency linearly from ×1 at the first chat request to
	// ×(1+Ramp) at request RampRequests, and keeps it there.
	Ramp float64
	// RampRequests is the length of the ramp; default 20 (the stability default).
	RampRequests int
	// Cold makes the first Cold chat requests ColdFactor times as slow
	// (default 6): a real engine's first batch (new batch shapes,
	// allocator growth, autotuning, CUDA graph capture).
	Cold       int
	ColdFactor float64
	// Load multiplies latency by 1+Load*(in-flight-1).
	Load float64
	// BatchK, when > 0, models a batch that fills: each streamed token's
	// delay (TTFT, then every ITL) is multiplied by 1 + in-flight/BatchK,
	// in-flight read when that token is due (this request included), so
	// a request slows down and speeds up with the batch around it. A
	// non-streamed answer uses the figure at its arrival. The analytic
	// capacity is in docs/capacity.md.
	BatchK int
	// BreakAbove, when > 0, breaks the stream serializer under load: a
	// streamed answer that arrives with more than BreakAbove requests in
	// flight (itself included) repeats an arguments piece, as the
	// stream_args_repeat fault does, and a structured-output answer (plain
	// or streamed) loses its last character; with fewer in flight it is
	// correct.
	BreakAbove int
	// ErrorRate is the fraction of chat requests answered HTTP 500 (seeded).
	ErrorRate float64
	// Vary is the fraction of answers that differ from the canonical one
	// in a way every matcher accepts (the letter case of a string
	// argument), drawn per request: a healthy server that is not
	// batch-invariant (vLLM without VLLM_BATCH_INVARIANT=1), streamed or not.
	Vary float64
	// ModelError is the chance that a call names a wrong argument value
	// (another city, another enum member), drawn per call: a healthy
	// server with an imperfect model.
	ModelError float64
	// Preempt makes /metrics show preemptions and a KV cache near full
	// whenever more than one request is in flight.
	Preempt bool
	// Metrics is what /metrics serves: "" vLLM's series; "no_preemptions"
	// vLLM's series without vllm:num_preemptions_total; "none" a
	// gateway's /metrics with no vllm: series; "404" or "500" that status.
	// The checks these leave unmeasured are unknown, never red (issue 18).
	Metrics string

	// Prefill is the engine's time per uncached prompt token: a request's
	// TTFT grows by Prefill × (prompt tokens − prefix-cache hits), so a
	// prefix-cache hit skips the prefill of its cached blocks. 0 (the
	// default) leaves TTFT as TTFT says.
	Prefill time.Duration
	// Gateway is a fixed delay in front of the engine (a slow gateway or
	// proxy): every /v1 request waits this long before the engine sees it.
	// It lies outside the server-side histograms, as a gateway's does.
	Gateway time.Duration
	// NoHistograms leaves vLLM's latency histograms out of /metrics (a
	// server that publishes gauges and counters only).
	NoHistograms bool

	// GPUMemoryUtilization, BlockSize, NumGPUBlocks and NoPrefixCaching
	// are the engine configuration /metrics publishes as
	// vllm:cache_config_info labels (defaults 0.9, 16, 1024 and prefix
	// caching on): a deployment whose Helm value did not take serves
	// gpu_memory_utilization=0.8 where 0.9 was declared.
	GPUMemoryUtilization float64
	BlockSize            int
	NumGPUBlocks         int
	NoPrefixCaching      bool
	// SpecDecode, when > 0, is the draft acceptance rate of speculative
	// decoding with specTokens draft tokens per step: /metrics publishes
	// vllm:spec_decode_num_drafts, _num_draft_tokens and
	// _num_accepted_tokens as vLLM does when a speculative config is set.
	SpecDecode float64
	// KVOffload makes /metrics publish the offloading connector's
	// vllm:kv_offload_total_bytes, growing with every finished request.
	KVOffload bool

	// Style is the streaming style: "vllm" (default) or "llmd"
	// (llm-d-inference-sim: every tool-call chunk repeats id and type, and
	// function.name is null after the first chunk).
	Style string
	// ReasoningField is where reasoning goes: "reasoning_content" (default),
	// "reasoning" or "both".
	ReasoningField string
	// ReasoningTokens is the length of the reasoning text, in tokens; default 8.
	ReasoningTokens int
	// StallAfter, when > 0, stops a streamed answer after that many token
	// chunks: the connection stays open and nothing more is sent until the
	// client goes away (a server that stops sending tokens mid-stream).
	StallAfter int
	// VLLM picks the vLLM version whose behaviour the simulator copies where
	// versions differ: "0.10" (reasoning in "reasoning_content", a
	// non-streamed tool_choice "required" finishes with the engine's "stop",
	// and a "required" request whose reasoning ran out is answered HTTP 400)
	// or "0.11" (reasoning in "reasoning", "required" finishes "tool_calls",
	// an exhausted "required" request gets no call). "" keeps the
	// simulator's historical mix (reasoning_content, "tool_calls").
	VLLM string
}

// Faults. Each registered persona below produces exactly one of them.
const (
	FaultHermesLeak         Fault = "hermes_leak"
	FaultXMLLeak            Fault = "xml_leak"
	FaultNoAutoToolChoice   Fault = "no_auto_tool_choice"
	FaultReasoningExhausted Fault = "reasoning_exhausted"
	FaultThinkLeak          Fault = "think_leak"
	FaultToolCallReasoning  Fault = "tool_call_in_reasoning"
	FaultProse              Fault = "prose"
	FaultInvalidJSON        Fault = "invalid_json"
	FaultDoubleEncoded      Fault = "double_encoded"
	FaultUnknownFunction    Fault = "unknown_function"
	FaultSchemaViolation    Fault = "schema_violation"
	FaultWrongArgs          Fault = "wrong_args"
	FaultAlwaysCall         Fault = "always_call"
	FaultFinishMismatch     Fault = "finish_mismatch"
	FaultNullFunction       Fault = "null_function"

	// Faults of issue 10, each in vLLM's real output format (docs/diagnosis.md).
	FaultTruncatedAuto       Fault = "truncated_auto"
	FaultTruncatedRequired   Fault = "truncated_required"
	FaultTruncatedNamed      Fault = "truncated_named"
	FaultMarkupUnderNone     Fault = "markup_under_none"
	FaultThinkEndOnly        Fault = "think_end_only"
	FaultAnswerInReasoning   Fault = "answer_in_reasoning"
	FaultMistralLeak         Fault = "mistral_leak"
	FaultHarmonyLeak         Fault = "harmony_leak"
	FaultObjectArguments     Fault = "object_arguments"
	FaultMissingIDs          Fault = "missing_ids"
	FaultWrongType           Fault = "wrong_type"
	FaultStreamNoIndex       Fault = "stream_no_index"
	FaultStreamNoUsage       Fault = "stream_no_usage"
	FaultReasoningExhaustedG Fault = "reasoning_exhausted_guided"
	FaultHugeArguments       Fault = "huge_arguments"

	FaultStreamNameRepeat  Fault = "stream_name_repeat"
	FaultStreamIDChange    Fault = "stream_id_change"
	FaultStreamBadIndex    Fault = "stream_bad_index"
	FaultStreamDoubleFin   Fault = "stream_double_finish"
	FaultStreamMarkupDelta Fault = "stream_markup_delta"
	FaultStreamArgsDiffer  Fault = "stream_args_differ"
	FaultStreamArgsRepeat  Fault = "stream_args_repeat"

	FaultUnauthorized  Fault = "unauthorized"
	FaultServerError   Fault = "server_error"
	FaultHang          Fault = "hang"
	FaultHTMLError     Fault = "html_error"
	FaultNotJSON       Fault = "not_json"
	FaultWrongShape    Fault = "wrong_shape"
	FaultStreamCut     Fault = "stream_cut"
	FaultNoDone        Fault = "no_done"
	FaultSlowDrip      Fault = "slow_drip"
	FaultHugeBody      Fault = "huge_body"
	FaultRateLimited   Fault = "rate_limited"
	FaultUnavailable   Fault = "unavailable"
	FaultModelNotFound Fault = "model_not_found"
)

type entry struct {
	desc string
	p    Persona
}

var registry = map[string]entry{}

func reg(name, desc string, p Persona) {
	p.Name, p.Description = name, desc
	registry[name] = entry{desc: desc, p: p}
}

func fault(name, desc string) { reg(name, desc, Persona{Fault: Fault(name)}) }

func init() {
	reg("healthy", "a correct vLLM with hermes tool parser and qwen3 reasoning parser (no latency unless ttft/itl are set)", Persona{})

	fault("hermes_leak", "tool parser off or wrong under tool_choice auto: <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call> left in content, no tool_calls, finish stop")
	fault("xml_leak", "Qwen3-Coder XML (<tool_call><function=...><parameter=...>) left in content under auto, no tool_calls, finish stop")
	fault("no_auto_tool_choice", "vLLM started without --enable-auto-tool-choice: HTTP 400 for every request with tools and tool_choice auto")
	fault("reasoning_exhausted", "reasoning runs until max_tokens where a call was due: finish length, no content, no call")
	fault("think_leak", "reasoning parser missing: <think>...</think> text in content (tool calls themselves are fine)")
	fault("tool_call_in_reasoning", "under auto the <tool_call> markup sits inside reasoning_content, no tool_calls, finish stop")
	fault("prose", "answers in plain prose instead of calling under tool_choice auto")
	fault("invalid_json", "tool-call arguments truncated: {\"location\": \"Paris\" (no closing brace)")
	fault("double_encoded", "tool-call arguments are a JSON string wrapping the JSON object")
	fault("unknown_function", "calls <name>_v2, a function that was not offered")
	fault("schema_violation", "arguments parse but break the schema: a required parameter missing (or a wrong type)")
	fault("wrong_args", "a schema-valid call with wrong values (another enum member, another city, number+1000)")
	fault("always_call", "calls a tool even when prose is wanted (tool_choice none, irrelevant request, final answer)")
	fault("finish_mismatch", "calls under tool_choice auto come with finish_reason stop instead of tool_calls")
	fault("null_function", "tool_calls entries carry \"function\": null")

	fault("truncated_auto", "under tool_choice auto the call is cut off by max_tokens: half a <tool_call> left in content (the hermes parser cannot decode it), finish length, completion_tokens == max_tokens")
	fault("truncated_required", "under tool_choice required the guided call is cut off by max_tokens: unterminated arguments, finish length, completion_tokens == max_tokens")
	fault("truncated_named", "under a named tool_choice the guided call is cut off by max_tokens: unterminated arguments, finish length, completion_tokens == max_tokens")
	fault("markup_under_none", "under tool_choice none (tools still in the prompt, no --exclude-tools-when-tool-choice-none) the model writes <tool_call> markup, which vLLM leaves in content")
	fault("think_end_only", "a thinking-only model whose template opens <think> in the prompt: content holds the reasoning and </think> but no <think> (old qwen3 parser)")
	fault("answer_in_reasoning", "a non-thinking model served with a reasoning parser: the whole answer (prose, call markup or guided JSON) lands in reasoning, content empty, finish stop")
	fault("mistral_leak", "tool parser off for a Mistral model under auto: [TOOL_CALLS][{\"name\": ..., \"arguments\": ...}] left in content")
	fault("harmony_leak", "tool parser off for gpt-oss under auto: <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{...}<|call|> left in content")
	fault("object_arguments", "function.arguments sent as a JSON object instead of a string holding JSON (plain and streamed)")
	fault("missing_ids", "tool calls carry no id (plain and streamed)")
	fault("wrong_type", "tool calls carry type \"tool\" instead of \"function\" (plain and streamed)")
	fault("stream_no_index", "streaming only: tool-call deltas carry no index")
	fault("huge_arguments", "the first string argument of every call is a megabyte of x (a runaway generation inside the arguments)")
	fault("stream_no_usage", "streaming only: no usage chunk although stream_options.include_usage was sent")
	fault("reasoning_exhausted_guided", "thinking on under tool_choice required or named: reasoning runs to max_tokens; vllm=0.10 answers a plain required request HTTP 400 (and a named one with the cut reasoning as arguments), vllm=0.11 answers no call with finish length")

	fault("stream_name_repeat", "streaming only: the function name is sent again in the first arguments delta")
	fault("stream_id_change", "streaming only: a tool call's id changes between its chunks")
	fault("stream_bad_index", "streaming only: tool-call indices start at 1 and skip (0 never sent)")
	fault("stream_double_finish", "streaming only: two finish chunks")
	fault("stream_markup_delta", "streaming only: raw <tool_call> text also leaks into delta.content before the call")
	fault("stream_args_repeat", "streaming only: the serializer sends one arguments piece twice, so every streamed call reassembles to broken arguments while the non-streamed answer is right")
	fault("stream_args_differ", "streaming only: streamed arguments reassemble to another object than the non-streamed answer")

	fault("unauthorized", "HTTP 401 {\"error\":\"Unauthorized\"} on every /v1 endpoint, /v1/models included")
	fault("server_error", "HTTP 500 on every chat completion")
	fault("hang", "accepts chat completions and never answers until the client goes away")
	fault("html_error", "HTTP 200 text/html page (a proxy's login page) for chat completions")
	fault("not_json", "HTTP 200 application/json whose body is <<garbage")
	fault("wrong_shape", "HTTP 200 valid JSON chat.completion with choices []")
	fault("stream_cut", "the response is cut mid-chunk and the connection closed")
	fault("no_done", "streaming only: the stream ends without data: [DONE]")
	fault("slow_drip", "the response is written one byte per second")
	fault("huge_body", "a 50 MB answer, streamed out without being held in memory")
	fault("rate_limited", "HTTP 429 with Retry-After: 2 on every chat completion")
	fault("unavailable", "HTTP 503 on every chat completion")
	fault("model_not_found", "serves /v1/models normally but answers chat completions 404 \"The model `X` does not exist.\"")

	reg("nondeterministic", "healthy, but not batch-invariant: about half the answers differ from the canonical one in the letter case of a string argument, which every matcher accepts, streamed or not (vary=0.5)",
		Persona{Vary: 0.5})
	reg("imperfect_model", "healthy server, imperfect model: a wrong argument value in about 1 call in 20, seeded (model_error=0.05; model_error=0.33 for 1 in 3)",
		Persona{ModelError: 0.05})
	reg("degrading", "healthy answers whose latency rises 40 % over 20 requests (ttft=20ms itl=1ms ramp=0.4)",
		Persona{TTFT: 20 * time.Millisecond, ITL: time.Millisecond, Ramp: 0.4})
	reg("noisy", "healthy answers with ±30 % seeded latency noise and no trend (ttft=20ms itl=1ms noise=0.3)",
		Persona{TTFT: 20 * time.Millisecond, ITL: time.Millisecond, Noise: 0.3})
	reg("erroring", "healthy answers, but 20 % of chat completions get HTTP 500 (seeded)",
		Persona{ErrorRate: 0.2, TTFT: 2 * time.Millisecond, ITL: 100 * time.Microsecond})
	reg("batching", "healthy answers from a server whose latency grows as its batch fills: TTFT and ITL × (1 + in-flight/batch_k), read at each token (ttft=50ms itl=10ms batch_k=16; capacity in docs/capacity.md)",
		Persona{TTFT: 50 * time.Millisecond, ITL: 10 * time.Millisecond, BatchK: 16})
	reg("serializer_under_load", "the batching server whose stream serializer breaks under load: with more than break_above=4 requests in flight a streamed call repeats an arguments piece (and a structured-output answer loses its last character); alone it is correct (ttft=20ms itl=2ms batch_k=16 break_above=4)",
		Persona{TTFT: 20 * time.Millisecond, ITL: 2 * time.Millisecond, BatchK: 16, BreakAbove: 4})
	reg("slow_gateway", "a healthy engine behind a gateway that adds 20 ms to every request before the engine sees it: the client's TTFT exceeds the server's histograms by 20 ms (gateway=20ms ttft=20ms itl=1ms)",
		Persona{Gateway: 20 * time.Millisecond, TTFT: 20 * time.Millisecond, ITL: time.Millisecond})
	reg("prefix_caching", "healthy answers whose TTFT pays prefill per uncached prompt token, so prefix-cache hits are visibly faster than misses (ttft=2ms itl=1ms prefill=20us; blocks of 16 tokens, LRU of 1024 blocks)",
		Persona{TTFT: 2 * time.Millisecond, ITL: time.Millisecond, Prefill: 20 * time.Microsecond})
	reg("no_histograms", "healthy answers; /metrics publishes gauges and counters but none of vLLM's latency histograms (histograms=false)",
		Persona{NoHistograms: true})
	reg("cold_start", "healthy answers, but the first cold=4 chat requests take cold_factor=6× as long, as a real engine's first batch does (new batch shapes, allocator growth, autotuning): a warm-up absorbs them (ttft=10ms itl=5ms cold=4 cold_factor=6)",
		Persona{TTFT: 10 * time.Millisecond, ITL: 5 * time.Millisecond, Cold: 4, ColdFactor: 6})
	reg("slow_decode", "healthy answers decoding one stream at about 50 tok/s (ttft=5ms itl=20ms): 10 % of the 500 tok/s roofline the roofline self-test declares (ACCEPTANCE_MODEL_BYTES=9.6e9 on an H200), as vLLM in eager mode or offloading; itl=2.86ms is 70 %",
		Persona{TTFT: 5 * time.Millisecond, ITL: 20 * time.Millisecond})
	reg("seed_pace", "a healthy server at the pace of the seed report's Qwen3-32B-AWQ card: TTFT about 200 ms, about 33 tok/s for one stream (itl=30ms), ±20 % noise, a batch that slows as it fills (batch_k=16), 300 reasoning tokens with thinking on (ttft=200ms itl=30ms noise=0.2 batch_k=16 reasoning_tokens=300)",
		Persona{TTFT: 200 * time.Millisecond, ITL: 30 * time.Millisecond, Noise: 0.2, BatchK: 16, ReasoningTokens: 300})
	reg("spec_decode", "healthy answers from a vLLM with speculative decoding (3 draft tokens, 60 % accepted: mean accepted length 2.8) and a KV-offloading connector: /metrics publishes vllm:spec_decode_* and vllm:kv_offload_total_bytes (spec_decode=0.6 kv_offload=true ttft=5ms itl=2ms)",
		Persona{SpecDecode: 0.6, KVOffload: true, TTFT: 5 * time.Millisecond, ITL: 2 * time.Millisecond})
	reg("preempting", "healthy answers; under concurrent load /metrics shows preemptions and a KV cache near full",
		Persona{Preempt: true, TTFT: 20 * time.Millisecond, ITL: time.Millisecond, Load: 0.5})
}

// Names returns the registered persona names, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Describe returns the one-line description of a registered persona, "" for
// an unknown name.
func Describe(name string) string { return registry[name].desc }

// params lists the spec parameters Lookup accepts, for error messages.
const specParams = "ttft, itl, noise, seed, ramp, ramp_requests, cold, cold_factor, load, batch_k, break_above, error_rate, vary, model_error, preempt, metrics, style, reasoning_field, reasoning_tokens, stall_after, vllm, prefill, gateway, histograms, gpu_memory_utilization, block_size, num_gpu_blocks, prefix_caching, spec_decode, kv_offload"

// Lookup parses a persona spec: a registered name, optionally followed by
// parameters in URL query form, e.g. "healthy?ttft=200ms&itl=5ms&noise=0.3&seed=7".
// Parameters override the persona's own values.
func Lookup(spec string) (Persona, error) {
	name, query, _ := strings.Cut(strings.TrimSpace(spec), "?")
	if name == "" {
		name = "healthy"
	}
	e, ok := registry[name]
	if !ok {
		return Persona{}, fmt.Errorf("simulator persona %q is unknown; known personas: %s (run 'vllm-acceptance sim --list')", name, strings.Join(Names(), ", "))
	}
	p := e.p
	p.Spec = spec
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Persona{}, fmt.Errorf("simulator persona %q: parameters: %w (example: healthy?ttft=200ms&itl=5ms)", spec, err)
	}
	keys := slices.Sorted(maps.Keys(vals))
	for _, k := range keys {
		v := vals.Get(k)
		if err := p.set(k, v); err != nil {
			return Persona{}, fmt.Errorf("simulator persona %q: %s=%s: %w", spec, k, v, err)
		}
	}
	return p.withDefaults(), nil
}

func (p *Persona) set(k, v string) error {
	dur := func(d *time.Duration) error {
		x, err := time.ParseDuration(v)
		if err != nil || x < 0 {
			return fmt.Errorf("not a duration (example: %s=20ms)", k)
		}
		*d = x
		return nil
	}
	frac := func(f *float64, hi float64) error {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > hi {
			return fmt.Errorf("want a number from 0 to %g (example: %s=0.3)", hi, k)
		}
		*f = x
		return nil
	}
	switch k {
	case "ttft":
		return dur(&p.TTFT)
	case "itl":
		return dur(&p.ITL)
	case "prefill":
		return dur(&p.Prefill)
	case "gateway":
		return dur(&p.Gateway)
	case "histograms":
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		p.NoHistograms = !x
	case "gpu_memory_utilization":
		return frac(&p.GPUMemoryUtilization, 1)
	case "spec_decode":
		return frac(&p.SpecDecode, 1)
	case "kv_offload":
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		p.KVOffload = x
	case "prefix_caching":
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		p.NoPrefixCaching = !x
	case "noise":
		return frac(&p.Noise, 1)
	case "ramp":
		return frac(&p.Ramp, 100)
	case "load":
		return frac(&p.Load, 100)
	case "cold_factor":
		return frac(&p.ColdFactor, 1000)
	case "error_rate":
		return frac(&p.ErrorRate, 1)
	case "vary":
		return frac(&p.Vary, 1)
	case "model_error":
		return frac(&p.ModelError, 1)
	case "seed":
		x, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want a non-negative integer (example: seed=7)")
		}
		p.Seed = x
	case "cold":
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return fmt.Errorf("want a non-negative integer (example: cold=8)")
		}
		p.Cold = x
	case "ramp_requests", "reasoning_tokens", "batch_k", "break_above", "stall_after", "block_size", "num_gpu_blocks":
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 {
			return fmt.Errorf("want a positive integer (example: %s=16)", k)
		}
		switch k {
		case "ramp_requests":
			p.RampRequests = x
		case "reasoning_tokens":
			p.ReasoningTokens = x
		case "batch_k":
			p.BatchK = x
		case "stall_after":
			p.StallAfter = x
		case "block_size":
			p.BlockSize = x
		case "num_gpu_blocks":
			p.NumGPUBlocks = x
		default:
			p.BreakAbove = x
		}
	case "preempt":
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		p.Preempt = x
	case "metrics":
		switch v {
		case "", "no_preemptions", "none", "404", "500":
			p.Metrics = v
		default:
			return fmt.Errorf("want no_preemptions, none, 404 or 500")
		}
	case "style":
		if v != "vllm" && v != "llmd" {
			return fmt.Errorf("want vllm or llmd")
		}
		p.Style = v
	case "vllm":
		if v != "0.10" && v != "0.11" {
			return fmt.Errorf("want 0.10 or 0.11")
		}
		p.VLLM = v
	case "reasoning_field":
		if v != "reasoning" && v != "reasoning_content" && v != "both" {
			return fmt.Errorf("want reasoning, reasoning_content or both")
		}
		p.ReasoningField = v
	default:
		return fmt.Errorf("unknown parameter; known: %s", specParams)
	}
	return nil
}

func (p Persona) withDefaults() Persona {
	if p.RampRequests == 0 {
		p.RampRequests = 20
	}
	if p.Style == "" {
		p.Style = "vllm"
	}
	if p.Cold > 0 && p.ColdFactor == 0 {
		p.ColdFactor = 6
	}
	if p.ReasoningField == "" {
		p.ReasoningField = "reasoning_content"
		if p.VLLM == "0.11" {
			// vLLM renamed reasoning_content to reasoning after 0.10.
			p.ReasoningField = "reasoning"
		}
	}
	if p.GPUMemoryUtilization == 0 {
		p.GPUMemoryUtilization = 0.9
	}
	if p.BlockSize == 0 {
		p.BlockSize = 16
	}
	if p.NumGPUBlocks == 0 {
		p.NumGPUBlocks = kvCapacity / 16
	}
	if p.ReasoningTokens == 0 {
		p.ReasoningTokens = 8
	}
	if p.Name == "" {
		p.Name = "healthy"
	}
	if p.Spec == "" {
		p.Spec = p.Name
	}
	return p
}
