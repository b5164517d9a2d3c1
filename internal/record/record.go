// Package record defines the one value the suite keeps per HTTP request, and
// the JSONL writer that appends each one to requests.jsonl as it finishes.
//
// A failed request is data: it is a Record with Status, ErrorKind and Error
// set, never a panic or an early return (docs/style.md, rule 1).
package record

import "time"

// ErrorKind classifies why a request produced no usable answer. It is the key
// of stability.runs[].errors when there is no HTTP status to count by. In
// JSON it is the plain string ("timeout", "http", ...); "" means no error.
type ErrorKind string

// The error kinds client.classify and the stream reader assign.
const (
	ErrTimeout     ErrorKind = "timeout"     // no answer within the request or idle timeout
	ErrUnreachable ErrorKind = "unreachable" // connection refused, DNS, TLS
	ErrHTTP        ErrorKind = "http"        // the server answered with a non-2xx status
	ErrDecode      ErrorKind = "decode"      // 2xx, but the body is not the JSON we expect (HTML page, wrong shape)
	ErrStream      ErrorKind = "stream"      // the SSE stream broke: cut off, no [DONE], bad chunk
	ErrTooLarge    ErrorKind = "too_large"   // the body passed the response-size cap
	// ErrInterrupted: the suite itself ended the request (SIGINT/SIGTERM,
	// the test binary's deadline, the harness cancelling its context).
	// It says nothing about the server: load runs count it apart
	// (interrupted), outside every success and error rate, and no
	// diagnosis or server remedy is given for it.
	ErrInterrupted ErrorKind = "interrupted"
	// ErrCanceled is what runs before issue 21 wrote for ErrInterrupted;
	// it is read as interrupted (Interrupted) and no longer written.
	ErrCanceled ErrorKind = "canceled"
)

// ErrorKinds lists every kind the client assigns, so a table test can
// prove each one is classified and given the remedy of its kind.
var ErrorKinds = []ErrorKind{ErrTimeout, ErrUnreachable, ErrHTTP, ErrDecode, ErrStream, ErrTooLarge, ErrInterrupted, ErrCanceled}

// Interrupted reports whether the suite itself ended the request (kind
// interrupted, or canceled from older runs): not the server's doing.
func (k ErrorKind) Interrupted() bool { return k == ErrInterrupted || k == ErrCanceled }

// ClassWarmup is the Class of a warm-up request: sent before a load run's
// (or a capacity step's) counted part and part of none of its figures.
const ClassWarmup = "warmup"

// ToolCall is one call as the server returned it (non-streamed) or as the
// stream reassembled it.
type ToolCall struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Type      string `json:"type,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// NullFunction is set when the server sent a tool_calls entry whose
	// "function" was null or missing.
	NullFunction bool `json:"null_function,omitempty"`
}

// Record is one request: what was sent (in summary), what came back, and how
// long each part took. Durations are milliseconds as float64 so the JSON is
// readable and diffs well.
type Record struct {
	// Test is the test that sent it, e.g. "TestToolCalling/simple_weather/stream".
	Test string `json:"test"`
	// Scenario is the fixture or stability run name.
	Scenario string `json:"scenario"`
	// Class is the request class within a run ("short", "long"), or the
	// tool-calling mode ("plain", "stream", ...).
	Class   string `json:"class,omitempty"`
	Attempt int    `json:"attempt"`
	// Shard is "i/N" when the request was sent by shard i of a sharded run.
	Shard string `json:"shard,omitempty"`
	// Step is the turn index in a multi-turn scenario or conversation.
	Step int `json:"step,omitempty"`
	// RequestID is the X-Request-Id the request was sent with: vLLM takes
	// it as the request's id, answers with id "chatcmpl-<it>" and logs it,
	// so it joins this record with the server's log lines.
	RequestID string `json:"request_id,omitempty"`
	// TraceLine is the 1-based line of the trace file (ACCEPTANCE_WORKLOAD)
	// the request replays; 0 for the synthetic load.
	TraceLine int       `json:"trace_line,omitempty"`
	Start     time.Time `json:"start"`
	Stream    bool      `json:"stream"`
	// Scheduled is when an open-loop generator meant to send the request.
	// Latencies of such requests are measured from here, so a harness that
	// falls behind cannot hide queueing (coordinated omission).
	Scheduled time.Time `json:"scheduled,omitzero"`

	// Status is the HTTP status, 0 when no response arrived.
	Status int `json:"status"`
	// TTFTms: time to the first chunk carrying content, reasoning or a
	// tool-call delta (not the role-only chunk). For non-streamed requests
	// it is 0 and not meaningful.
	TTFTms float64 `json:"ttft_ms,omitempty"`
	// TTFRms: time to the first reasoning token; TTFOms: time to the first
	// output token (content or tool-call delta).
	TTFRms float64 `json:"ttfr_ms,omitempty"`
	TTFOms float64 `json:"ttfo_ms,omitempty"`
	// E2Ems: from send (or Scheduled, when set) to the end of the body.
	E2Ems float64 `json:"e2e_ms"`
	// TPOTms: (E2E - TTFT) / (completion_tokens - 1), as vllm bench serve
	// defines it; 0 when fewer than two tokens.
	TPOTms float64 `json:"tpot_ms,omitempty"`
	// ITLms holds the gaps between token-carrying chunks. Not written to the
	// JSONL (it can be long); statistics fold it into histograms.
	ITLms []float64 `json:"-"`
	// Chunks counts SSE data events received, [DONE] excluded.
	Chunks int `json:"chunks,omitempty"`
	// TokenChunks counts the streamed chunks that carried a token
	// (content, reasoning or a tool-call delta; vLLM sends one token a
	// chunk), and LastTokenMs is when the last of them arrived, measured
	// as E2Ems is: together with E2Ems they tell a stream still flowing
	// when its budget ended from one that had gone silent.
	TokenChunks int     `json:"token_chunks,omitempty"`
	LastTokenMs float64 `json:"last_token_ms,omitempty"`
	// TimeoutMs is the time budget the request was sent with, and
	// TimeoutFrom where it came from (ACCEPTANCE_REQUEST_TIMEOUT, or
	// max_tokens at the measured pace).
	TimeoutMs   float64 `json:"timeout_ms,omitempty"`
	TimeoutFrom string  `json:"timeout_from,omitempty"`
	// NeedMs is how long max_tokens takes at the pace the suite measured
	// before the run (TTFT + max_tokens / decode rate), 0 when unknown:
	// a non-streamed request that timed out with NeedMs over TimeoutMs
	// may have been decoding all along.
	NeedMs  float64 `json:"need_ms,omitempty"`
	PaceTPS float64 `json:"pace_tok_s,omitempty"`

	PromptTokens     int    `json:"prompt_tokens,omitempty"`
	CompletionTokens int    `json:"completion_tokens,omitempty"`
	ReasoningTokens  int    `json:"reasoning_tokens,omitempty"`
	FinishReason     string `json:"finish_reason,omitempty"`
	// MaxTokens is the budget the request asked for, so a diagnosis of
	// "reasoning used it all" can name it.
	MaxTokens int `json:"max_tokens,omitempty"`
	// ToolChoice is the tool_choice sent ("auto", "required", "none", a
	// function name; "" when not sent) and Thinking the
	// chat_template_kwargs.enable_thinking sent (nil when not sent), so an
	// HTTP error can be read in their light: vLLM 0.10 answers 400 or 500
	// when reasoning eats the budget under a required or named choice.
	ToolChoice string `json:"tool_choice,omitempty"`
	Thinking   *bool  `json:"thinking,omitempty"`

	Content   string     `json:"content,omitempty"`
	Reasoning string     `json:"reasoning,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// StreamIssues lists structural problems seen in an SSE stream (name sent
	// twice, id changed, two finish chunks, markup in delta.content, ...).
	StreamIssues []string `json:"stream_issues,omitempty"`
	// WireIssues lists breaches of the OpenAI wire format in the tool calls
	// (plain and streamed), each one line naming the field:
	// function.arguments not a string, id missing or repeated, type not
	// "function", a streamed delta without index, usage missing though
	// stream_options.include_usage was sent.
	WireIssues []string `json:"wire_issues,omitempty"`

	ErrorKind ErrorKind `json:"error_kind,omitempty"`
	Error     string    `json:"error,omitempty"`
	// Body is the start of a non-2xx or undecodable body, for diagnosis.
	Body string `json:"body,omitempty"`
	// RetryAfter is the server's Retry-After header on 429/503, recorded as
	// data: the suite never retries.
	RetryAfter string `json:"retry_after,omitempty"`

	// Diagnoses are the codes found for this request (see package diagnosis).
	Diagnoses []string `json:"diagnoses,omitempty"`
}

// OK reports whether the request completed with a 2xx status and a decoded body.
func (r *Record) OK() bool { return r.ErrorKind == "" && r.Status >= 200 && r.Status < 300 }

// OutputTokensPerS is completion tokens over the time after the first token,
// or over the whole request when there was no first token.
func (r *Record) OutputTokensPerS() float64 {
	d := r.E2Ems - r.TTFTms
	if r.TTFTms == 0 || d <= 0 {
		d = r.E2Ems
	}
	if d <= 0 || r.CompletionTokens == 0 {
		return 0
	}
	return float64(r.CompletionTokens) / (d / 1000)
}
