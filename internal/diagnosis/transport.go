package diagnosis

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// Transport classifies a request that produced no usable answer: a non-2xx
// status or a transport ErrorKind. It returns nil for a 2xx record without an
// ErrorKind (use Response for those) and for a run interrupted on purpose
// (record.ErrInterrupted), which is not the server's fault.
func Transport(r *record.Record) []Finding {
	if r == nil {
		return nil
	}
	switch r.ErrorKind {
	case record.ErrTimeout:
		if d, ok := stillStreaming(r); ok {
			return one(TimeoutTooShort, d)
		}
		return one(Timeout, firstNonEmpty(r.Error, "no answer within the request timeout"))
	case record.ErrUnreachable:
		return one(Unreachable, r.Error)
	case record.ErrDecode:
		// The client's Error already names what the body was (an HTML
		// page, not JSON, no choices) and quotes its start.
		return one(BadResponse, firstNonEmpty(line(r.Error), snippet(r.Body)))
	case record.ErrStream:
		return one(StreamBroken, r.Error)
	case record.ErrTooLarge:
		return one(ResponseTooLarge, r.Error)
	case record.ErrInterrupted, record.ErrCanceled:
		return nil
	}
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	if r.Status == 0 {
		// No status and no known kind: something failed before an answer.
		if r.ErrorKind == "" && r.Error == "" {
			return nil
		}
		return one(Unreachable, firstNonEmpty(r.Error, string(r.ErrorKind)))
	}
	msg := errorMessage(r.Body)
	detail := fmt.Sprintf("HTTP %d", r.Status)
	if msg != "" {
		detail += ": " + msg
	}
	switch {
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return one(AuthFailed, detail)
	case r.Status == http.StatusNotFound:
		return one(ModelNotFound, detail)
	case r.Status == http.StatusTooManyRequests:
		if r.RetryAfter != "" {
			detail += " (Retry-After " + r.RetryAfter + ")"
		}
		return one(RateLimited, detail)
	case r.Status == http.StatusBadRequest && guidedOutputInvalid(r.Body) && guided(r.ToolChoice):
		// vLLM 0.10 serving_chat.py validates the "required" output with
		// TypeAdapter(list[FunctionDefinition]).validate_json(content); a
		// ValueError there becomes HTTP 400. Guided decoding makes the JSON
		// certain unless the output was cut: by reasoning eating the budget
		// when thinking is on, by max_tokens inside the call otherwise.
		if thinkingOn(r) {
			return one(ReasoningExhaustedMaxTokens, fmt.Sprintf("%s under tool_choice %s with thinking on: %s; vLLM 0.10 answers 400 when reasoning leaves no room for the call (newer versions answer with no call)", budgetName(r), choiceName(r.ToolChoice), detail))
		}
		return one(ToolCallTruncatedMaxTokens, fmt.Sprintf("%s under tool_choice %s: %s; vLLM 0.10 answers 400 when the guided call is cut off", budgetName(r), choiceName(r.ToolChoice), detail))
	case r.Status == http.StatusInternalServerError && bareInternalError(r.Body) && guided(r.ToolChoice) && r.Thinking != nil && *r.Thinking:
		// vLLM 0.10 serving_chat.py asserts "content is not None" on the
		// "required" path; a reasoning parser that found no </think> (the
		// budget ran out while thinking) leaves content None, and the
		// AssertionError escapes as Starlette's plain 500.
		return one(ReasoningExhaustedMaxTokens, fmt.Sprintf("%s under tool_choice %s with thinking on: %s; vLLM 0.10 fails its content assertion when reasoning leaves no content (newer versions answer with no call)", budgetName(r), choiceName(r.ToolChoice), detail))
	case r.Status == http.StatusBadRequest && toolParserMissing(r.Body):
		return one(ToolParserNotEnabled, detail)
	case r.Status == http.StatusBadRequest && contextTooLong(r.Body):
		return one(ContextLengthExceeded, detail)
	case r.Status >= 400 && r.Status < 500:
		return one(BadRequest, detail)
	case r.Status >= 500:
		return one(ServerError, detail)
	}
	return one(BadResponse, detail) // 1xx/3xx reaching here: not an OpenAI answer
}

// guidedOutputInvalid matches vLLM 0.10's 400 for a "required" output that
// does not parse: pydantic's "1 validation error for
// list[FunctionDefinition] ... Invalid JSON: EOF while parsing ..."
// (type=json_invalid).
func guidedOutputInvalid(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "list[functiondefinition]") ||
		(strings.Contains(b, "validation error") && (strings.Contains(b, "json_invalid") || strings.Contains(b, "invalid json")))
}

// bareInternalError: Starlette's body for an exception no handler caught,
// "Internal Server Error" as plain text (not vLLM's JSON error).
func bareInternalError(body string) bool {
	return strings.EqualFold(strings.TrimSpace(body), "Internal Server Error")
}

// thinkingOn: thinking was asked for, or left to the model's default
// (Qwen3 thinks unless told not to).
func thinkingOn(r *record.Record) bool { return r.Thinking == nil || *r.Thinking }

func budgetName(r *record.Record) string {
	if r.MaxTokens > 0 {
		return fmt.Sprintf("max_tokens=%d", r.MaxTokens)
	}
	return "max_tokens"
}

func choiceName(c string) string {
	if c == "required" {
		return `"required"`
	}
	return fmt.Sprintf("%q (named)", c)
}

// toolParserMissing matches vLLM's validation errors for tool_choice without
// a parser. protocol.py (ChatCompletionRequest.check_tool_usage) raises
// `"auto" tool choice requires --enable-auto-tool-choice and
// --tool-call-parser to be set`; some versions reject tool_choice "required"
// with `tool_choice="required" requires --tool-call-parser to be set`. The
// body may be JSON-escaped (\"auto\"), so only the flag text is matched.
func toolParserMissing(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "requires --enable-auto-tool-choice") ||
		strings.Contains(b, "requires --tool-call-parser")
}

// contextTooLong matches vLLM's context-length errors across versions:
//
//	This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (...)
//	This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens. ...
//	'max_tokens' or 'max_completion_tokens' is too large: 16384. This model's maximum context length is ...
//	The prompt (total length 25938) is too long to fit into the model (context length 4096). ...
//	The decoder prompt (length 5000) is longer than the maximum model length of 4096. ...
//	Input prompt (2664 tokens) is too long and exceeds limit of 2048
func contextTooLong(body string) bool {
	b := strings.ToLower(body)
	for _, s := range []string{
		"maximum context length",
		"is too long to fit into the model",
		"longer than the maximum model length",
		"is too long and exceeds limit",
		"max_model_len",
	} {
		if strings.Contains(b, s) {
			return true
		}
	}
	return strings.Contains(b, "max_tokens") && strings.Contains(b, "is too large")
}

// errorMessage extracts the message of an OpenAI-style error body, in
// either of vLLM's shapes: {"error": {"message": ...}} (newer) or
// {"object": "error", "message": ...} (before ~0.10), or {"detail": ...}
// (FastAPI validation). Anything else is returned trimmed.
func errorMessage(body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return ""
	}
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal([]byte(body), &e) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case len(e.Error) > 0 && json.Unmarshal(e.Error, &inner) == nil && inner.Message != "":
			return snippet(inner.Message)
		case len(e.Error) > 0 && json.Unmarshal(e.Error, &s) == nil && s != "":
			return snippet(s)
		case e.Message != "":
			return snippet(e.Message)
		case len(e.Detail) > 0:
			if json.Unmarshal(e.Detail, &s) == nil {
				return snippet(s)
			}
			return snippet(string(e.Detail))
		}
	}
	return snippet(body)
}

// Still streaming when the budget ended (TimeoutTooShort): at least
// MinStreamTokens tokens came at MinStreamRate tokens/s or more, and the
// last one came no longer before the end than StreamGapFactor mean gaps
// between tokens (at least MinStreamSilence). A stream that had gone
// silent longer than that stays a Timeout: the server stopped sending.
const (
	MinStreamTokens  = 2
	MinStreamRate    = 1.0
	StreamGapFactor  = 4.0
	MinStreamSilence = time.Second
)

// stillStreaming says whether a timed-out streamed request was still
// delivering tokens at a steady rate when its budget ended, and if so the
// figures: tokens received, rate, budget and the knob.
func stillStreaming(r *record.Record) (string, bool) {
	if !r.Stream {
		return plainTooShort(r)
	}
	if r.TokenChunks < MinStreamTokens || r.LastTokenMs <= r.TTFTms || r.TTFTms <= 0 {
		return "", false
	}
	span := r.LastTokenMs - r.TTFTms
	gap := span / float64(r.TokenChunks-1)
	rate := 1000 / gap
	silence := r.E2Ems - r.LastTokenMs
	if rate < MinStreamRate || silence > max(StreamGapFactor*gap, float64(MinStreamSilence.Milliseconds())) {
		return "", false
	}
	from := budgetKnob(r)
	return fmt.Sprintf("%s ended the stream while it was still delivering tokens: %d tokens received at %.1f tok/s, the last %s before the end; %s; not a server fault",
		from, r.TokenChunks, rate, time.Duration(silence*float64(time.Millisecond)).Round(time.Millisecond), budgetName(r)), true
}

// plainTooShort: a non-streamed request shows no tokens, so its evidence is
// the pace the suite measured before the run: when max_tokens needs longer
// than the budget at that pace, the server may have been decoding all
// along, and the budget is what to change (its streamed twin tells a
// stalled server apart: it reads timeout).
func plainTooShort(r *record.Record) (string, bool) {
	if r.NeedMs <= 0 || r.TimeoutMs <= 0 || r.NeedMs <= r.TimeoutMs {
		return "", false
	}
	ms := func(x float64) time.Duration {
		return time.Duration(x * float64(time.Millisecond)).Round(100 * time.Millisecond)
	}
	return fmt.Sprintf("%s ended a non-streamed answer: %s needs about %s at the measured %.0f tok/s, more than the budget of %s; not a server fault (the streamed attempts show whether tokens were still coming)",
		budgetKnob(r), budgetName(r), ms(r.NeedMs), r.PaceTPS, ms(r.TimeoutMs)), true
}

// budgetKnob names the budget and the knob that sets it.
func budgetKnob(r *record.Record) string {
	budget := time.Duration(r.TimeoutMs * float64(time.Millisecond)).Round(100 * time.Millisecond)
	switch {
	case r.TimeoutMs <= 0:
		return "the request timeout (ACCEPTANCE_REQUEST_TIMEOUT)"
	case r.TimeoutFrom != "" && r.TimeoutFrom != "ACCEPTANCE_REQUEST_TIMEOUT":
		return fmt.Sprintf("the request budget %s (%s; ACCEPTANCE_REQUEST_TIMEOUT overrides it)", budget, r.TimeoutFrom)
	}
	return "ACCEPTANCE_REQUEST_TIMEOUT=" + budget.String()
}
