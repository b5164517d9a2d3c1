// Package contract judges the API contract an OpenAI-compatible server
// promises its clients (TestContract): usage that adds up, and
// out-of-range parameters refused with an OpenAI-shaped HTTP 400. Every
// function here is pure: recorded answers in, a sidecar.ContractCheck out.
// docs/verdicts.md ("The API contract") says what vLLM promises and where.
package contract

import (
	"encoding/json"
	"fmt"
	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
	"regexp"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Check names (TestContract/<name>/<plain|stream>), from the one table
// of check names.
const (
	PromptTokens = checkname.PromptTokens
	StreamUsage  = checkname.StreamUsage
)

// Param is one out-of-range parameter probe: the check's name, the
// parameter it names, and the value sent.
type Param struct {
	Check string
	Name  string
	Value any
}

// Params are the probes, each refused by vLLM with HTTP 400:
// vllm/sampling_params.py SamplingParams._verify_args (temperature, top_p,
// max_tokens, n), vllm/entrypoints/openai/protocol.py
// ChatCompletionRequest (tool_choice naming no offered tool, a
// response_format type outside its Literal); vllm-project/vllm@ec3b890c.
var Params = []Param{
	{checkname.TemperatureNegative, "temperature", -1.0},
	{checkname.TopPAboveOne, "top_p", 2.0},
	{checkname.MaxTokensZero, "max_tokens", 0},
	{checkname.NZero, "n", 0},
	{checkname.ToolChoiceUnknown, "tool_choice", "no_such_tool_xyz"},
	{checkname.ResponseFormatMalformed, "response_format", map[string]any{"type": "not_a_format"}},
}

// Names lists every check in the order TestContract runs them.
func Names() []string {
	out := []string{PromptTokens, StreamUsage}
	for _, p := range Params {
		out = append(out, p.Check)
	}
	return out
}

func mode(stream bool) string {
	if stream {
		return "stream"
	}
	return "plain"
}

func fail(c sidecar.ContractCheck, code diagnosis.Code, detail string) sidecar.ContractCheck {
	info := diagnosis.Lookup(code)
	c.Outcome, c.Code, c.Kind, c.Remedy, c.Detail = sidecar.Fail, string(code), string(diagnosis.KindOf(code, "")), info.Remedy, detail
	return c
}

func unknown(c sidecar.ContractCheck, why string) sidecar.ContractCheck {
	c.Outcome, c.Detail = sidecar.Unknown, why
	return c
}

// noAnswer is the unknown (or not run) outcome of a request that got no
// answer to judge, or "" when it got one.
func noAnswer(rec *record.Record) string {
	switch {
	case rec.ErrorKind.Interrupted():
		return "not run: the suite stopped the request"
	case !rec.OK():
		return fmt.Sprintf("no answer to judge (%s): %s", firstNonEmpty(string(rec.ErrorKind), fmt.Sprint(rec.Status)), oneLine(firstNonEmpty(diagnosis.ErrorMessage(rec.Body), rec.Error), 100))
	}
	return ""
}

// JudgePromptTokens compares rec's usage.prompt_tokens with what /tokenize
// counted for the same messages; tokenizeErr says why there is no count
// (the server has no /tokenize: unknown, never failed).
func JudgePromptTokens(rec *record.Record, count int, tokenizeErr string) sidecar.ContractCheck {
	c := sidecar.ContractCheck{Name: PromptTokens, Mode: mode(rec.Stream), Status: rec.Status, Expected: float64(count)}
	if tokenizeErr != "" {
		return unknown(c, "no /tokenize count to compare with: "+tokenizeErr)
	}
	if why := noAnswer(rec); why != "" {
		return unknown(c, why)
	}
	c.Value = float64(rec.PromptTokens)
	if rec.PromptTokens == 0 {
		return fail(c, diagnosis.ContractPromptTokens, "the answer carries no usage.prompt_tokens")
	}
	if rec.PromptTokens != count {
		return fail(c, diagnosis.ContractPromptTokens, fmt.Sprintf("usage.prompt_tokens %d, /tokenize counts %d for the same messages (%+d)", rec.PromptTokens, count, rec.PromptTokens-count))
	}
	c.Outcome, c.Detail = sidecar.Pass, fmt.Sprintf("usage.prompt_tokens %d = /tokenize", count)
	return c
}

// TokenChunks is how many streamed chunks carried tokens (content,
// reasoning or a tool-call delta): each carries at least one.
func TokenChunks(rec *record.Record) int {
	if rec.TTFTms <= 0 {
		return 0
	}
	return len(rec.ITLms) + 1
}

// JudgeStreamUsage compares a streamed answer's usage with its own chunks
// (a chunk carries at least one token, so completion_tokens is at least
// the token chunks) and with the non-streamed answer to the same request
// (same seed, temperature 0): the same prompt_tokens, and the same
// completion_tokens when the two answers have the same text.
func JudgeStreamUsage(plain, stream *record.Record) sidecar.ContractCheck {
	c := sidecar.ContractCheck{Name: StreamUsage, Mode: "stream", Status: stream.Status}
	if why := noAnswer(stream); why != "" {
		return unknown(c, why)
	}
	chunks := TokenChunks(stream)
	c.Value, c.Expected = float64(stream.CompletionTokens), float64(chunks)
	if stream.CompletionTokens == 0 && stream.PromptTokens == 0 {
		return fail(c, diagnosis.ContractStreamUsage, "no usage chunk although stream_options.include_usage was sent")
	}
	if stream.CompletionTokens < chunks {
		return fail(c, diagnosis.ContractStreamUsage, fmt.Sprintf("usage.completion_tokens %d, but %d chunks carried tokens", stream.CompletionTokens, chunks))
	}
	if noAnswer(plain) != "" {
		c.Outcome, c.Detail = sidecar.Pass, fmt.Sprintf("completion_tokens %d ≥ %d token chunks (no non-streamed answer to compare with)", stream.CompletionTokens, chunks)
		return c
	}
	if plain.PromptTokens != stream.PromptTokens {
		return fail(c, diagnosis.ContractStreamUsage, fmt.Sprintf("prompt_tokens %d streamed, %d non-streamed for the same request", stream.PromptTokens, plain.PromptTokens))
	}
	if plain.Content == stream.Content && plain.Reasoning == stream.Reasoning && plain.CompletionTokens != stream.CompletionTokens {
		return fail(c, diagnosis.ContractStreamUsage, fmt.Sprintf("completion_tokens %d streamed, %d non-streamed for the same answer", stream.CompletionTokens, plain.CompletionTokens))
	}
	c.Outcome, c.Detail = sidecar.Pass, fmt.Sprintf("completion_tokens %d ≥ %d token chunks, same as non-streamed", stream.CompletionTokens, chunks)
	return c
}

// JudgeParam judges the answer to a request with p out of range: HTTP 400
// with an OpenAI-shaped error naming the parameter passes; 200 (clamped
// or ignored) and 5xx fail; another 4xx, or a 400 whose body does not
// name the parameter, fails on the error's shape. after is the healthy
// request sent right after a refusal (nil when none was sent): it must be
// answered.
func JudgeParam(p Param, rec, after *record.Record) sidecar.ContractCheck {
	c := sidecar.ContractCheck{Name: p.Check, Mode: mode(rec.Stream), Status: rec.Status}
	if rec.ErrorKind.Interrupted() {
		return unknown(c, "not run: the suite stopped the request")
	}
	switch {
	case rec.Status == 0:
		return unknown(c, "no answer to judge: "+oneLine(rec.Error, 100))
	case rec.Status >= 200 && rec.Status < 300:
		return fail(c, diagnosis.ContractParamAccepted, fmt.Sprintf("%s=%s answered HTTP %d (finish %s): accepted instead of refused", p.Name, show(p.Value), rec.Status, rec.FinishReason))
	case rec.Status >= 500:
		return fail(c, diagnosis.ContractParamServerError, fmt.Sprintf("%s=%s answered HTTP %d: %s", p.Name, show(p.Value), rec.Status, oneLine(diagnosis.ErrorMessage(rec.Body), 100)))
	case rec.Status != 400:
		return fail(c, diagnosis.ContractErrorShape, fmt.Sprintf("%s=%s answered HTTP %d, want 400: %s", p.Name, show(p.Value), rec.Status, oneLine(rec.Body, 100)))
	}
	if why := shapeProblem(rec.Body, p); why != "" {
		return fail(c, diagnosis.ContractErrorShape, why)
	}
	if after != nil && !after.OK() && !after.ErrorKind.Interrupted() {
		return fail(c, diagnosis.ContractUnhealthyAfterRefusal, fmt.Sprintf("the healthy request after %s=%s got HTTP %d: %s", p.Name, show(p.Value), after.Status, oneLine(firstNonEmpty(diagnosis.ErrorMessage(after.Body), after.Error), 100)))
	}
	c.Outcome, c.Detail = sidecar.Pass, fmt.Sprintf("HTTP 400 naming %s; the next request was answered", p.Name)
	return c
}

// shapeProblem says what is wrong with a 400 body, or "": an OpenAI
// error object ({"error": {"message", "type", "param", "code"}}) or
// vLLM's older flat ErrorResponse ({"object": "error", "message", ...}),
// whose param or message names the parameter (or the bad value, for an
// unknown tool name).
func shapeProblem(body string, p Param) string {
	var nested struct {
		Error *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Param   any    `json:"param"`
		} `json:"error"`
	}
	var flat struct {
		Object  string `json:"object"`
		Message string `json:"message"`
		Param   any    `json:"param"`
	}
	msg, param := "", ""
	switch {
	case json.Unmarshal([]byte(body), &nested) == nil && nested.Error != nil && nested.Error.Message != "":
		msg, param = nested.Error.Message, fmt.Sprint(nested.Error.Param)
	case json.Unmarshal([]byte(body), &flat) == nil && flat.Message != "":
		msg, param = flat.Message, fmt.Sprint(flat.Param)
	default:
		return fmt.Sprintf("HTTP 400 for %s, but the body is not an OpenAI error object: %s", p.Name, oneLine(body, 100))
	}
	names := []string{p.Name, strings.ReplaceAll(p.Name, "_", " ")}
	if s, ok := p.Value.(string); ok {
		names = append(names, s)
	}
	for _, n := range names {
		// A whole word ("n must be at least 1" names n; "invalid" does not).
		word := regexp.MustCompile(`(?i)(^|[^a-z0-9_])` + regexp.QuoteMeta(n) + `([^a-z0-9_]|$)`)
		if param == p.Name || word.MatchString(msg) {
			return ""
		}
	}
	return fmt.Sprintf("HTTP 400 for %s, but the error names neither the parameter nor its value: %s", p.Name, oneLine(msg, 100))
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// FailureMessage is the line a failed (or unknown) check's test prints:
// the code, its kind, what was seen and the remedy.
func FailureMessage(c sidecar.ContractCheck) string {
	if c.Outcome != sidecar.Fail {
		return c.Name + " (" + c.Mode + "): " + string(c.Outcome) + ": " + c.Detail
	}
	return fmt.Sprintf("%s (%s): %s [%s]: %s\n  seen: %s\n  remedy: %s", c.Name, c.Mode, c.Code, c.Kind, diagnosis.Lookup(diagnosis.Code(c.Code)).Seen, c.Detail, c.Remedy)
}
