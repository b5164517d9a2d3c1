package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/packages/respjson"
	"github.com/openai/openai-go/v3/shared"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// Request is one chat completion to send.
type Request struct {
	Model    string
	Messages []fixture.Message
	Tools    []fixture.Tool
	// ToolChoice: "" (not sent), "auto", "required", "none", or a function
	// name to force.
	ToolChoice  string
	MaxTokens   int
	Temperature *float64
	Stream      bool
	// Thinking sets chat_template_kwargs.enable_thinking when not nil.
	Thinking *bool
	// Extra body fields (vLLM extensions such as min_tokens, ignore_eos).
	Extra map[string]any
	// Timeout bounds this request instead of Config.Timeout when set (the
	// suite derives it from MaxTokens at the measured pace); TimeoutFrom
	// says where it came from, for the record and the diagnosis.
	Timeout     time.Duration
	TimeoutFrom string
	// Need is how long MaxTokens takes at the measured pace of PaceTPS
	// tokens/s (recorded for the diagnosis of a timeout).
	Need    time.Duration
	PaceTPS float64
}

func (r *Request) params() openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: r.Model}
	for _, m := range r.Messages {
		p.Messages = append(p.Messages, message(m))
	}
	for _, t := range r.Tools {
		fd := shared.FunctionDefinitionParam{Name: t.Function.Name}
		if t.Function.Description != "" {
			fd.Description = param.NewOpt(t.Function.Description)
		}
		if t.Function.Parameters != nil {
			fd.Parameters = shared.FunctionParameters(t.Function.Parameters)
		}
		if t.Function.Strict != nil {
			fd.Strict = param.NewOpt(*t.Function.Strict)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(fd))
	}
	switch r.ToolChoice {
	case "":
	case "auto", "required", "none":
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: param.NewOpt(r.ToolChoice)}
	default:
		p.ToolChoice = openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: r.ToolChoice})
	}
	if r.MaxTokens > 0 {
		p.MaxTokens = param.NewOpt(int64(r.MaxTokens))
	}
	if r.Temperature != nil {
		p.Temperature = param.NewOpt(*r.Temperature)
	}
	if r.Stream {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: param.NewOpt(true)}
	}
	extra := map[string]any{}
	for k, v := range r.Extra {
		extra[k] = v
	}
	if r.Thinking != nil {
		extra["chat_template_kwargs"] = map[string]any{"enable_thinking": *r.Thinking}
	}
	if len(extra) > 0 {
		p.SetExtraFields(extra)
	}
	return p
}

func message(m fixture.Message) openai.ChatCompletionMessageParamUnion {
	switch m.Role {
	case "system":
		return openai.SystemMessage(m.Content)
	case "tool":
		return openai.ToolMessage(m.Content, m.ToolCallID)
	case "assistant":
		a := openai.ChatCompletionAssistantMessageParam{}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			a.Content.OfString = param.NewOpt(m.Content)
		}
		for _, c := range m.ToolCalls {
			a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       c.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: c.Arguments},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}
	default:
		return openai.UserMessage(m.Content)
	}
}

// Chat sends req and returns its record. Failures are data: the returned
// Record carries Status, ErrorKind and Error; Chat never returns an error.
// The record's timing fields are filled; Test/Scenario/Attempt are the
// caller's to set.
func (c *Client) Chat(ctx context.Context, req Request) record.Record {
	return c.ChatAt(ctx, req, time.Time{})
}

// ChatAt is Chat for an open-loop generator: latencies are measured from
// scheduled (when the request was meant to go out) when it is not zero.
func (c *Client) ChatAt(ctx context.Context, req Request, scheduled time.Time) record.Record {
	rec := record.Record{Stream: req.Stream, MaxTokens: req.MaxTokens, Scheduled: scheduled, ToolChoice: req.ToolChoice, Thinking: req.Thinking,
		RequestID: newRequestID()}
	timeout, idle := c.cfg.Timeout, c.cfg.IdleTimeout
	rec.TimeoutFrom = "ACCEPTANCE_REQUEST_TIMEOUT"
	if req.Timeout > 0 {
		timeout, idle = req.Timeout, min(idle, req.Timeout)
		rec.TimeoutFrom = req.TimeoutFrom
	}
	rec.TimeoutMs = ms(timeout)
	rec.NeedMs, rec.PaceTPS = ms(req.Need), req.PaceTPS
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var t *tap
	var resp *http.Response
	opts := []option.RequestOption{
		option.WithHeader(HeaderRequestID, rec.RequestID),
		option.WithResponseInto(&resp),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			res, err := next(r)
			if res != nil && res.Body != nil {
				t = newTap(res.Body, c.cfg.MaxResponseBytes, idle, cancel)
				res.Body = t
			}
			return res, err
		}),
	}
	rec.Start = time.Now()
	origin := rec.Start
	if !scheduled.IsZero() {
		origin = scheduled
	}
	if req.Stream {
		c.stream(ctx, req, &rec, origin, opts, &t, &resp)
	} else {
		c.plain(ctx, req, &rec, origin, opts, &t, &resp)
	}
	if t != nil {
		t.stop()
	}
	rec.E2Ems = ms(time.Since(origin))
	if rec.TTFTms > 0 && rec.CompletionTokens > 1 {
		rec.TPOTms = (rec.E2Ems - rec.TTFTms) / float64(rec.CompletionTokens-1)
	}
	return rec
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (c *Client) plain(ctx context.Context, req Request, rec *record.Record, origin time.Time, opts []option.RequestOption, t **tap, resp **http.Response) {
	cc, err := c.oa.Chat.Completions.New(ctx, req.params(), opts...)
	if *resp != nil {
		rec.Status = (*resp).StatusCode
		rec.RetryAfter = (*resp).Header.Get("Retry-After")
	}
	if err != nil {
		c.fail(ctx, rec, err, *t)
		return
	}
	if cc == nil || len(cc.Choices) == 0 {
		// A 2xx body of JSON null decodes to no completion at all.
		rec.ErrorKind = record.ErrDecode
		rec.Error = "response has no choices (not an OpenAI chat.completion body)"
		if *t != nil {
			rec.Body = c.redact.String((*t).head.String())
			rec.Error = fmt.Sprintf("HTTP %d response has no choices (not an OpenAI chat.completion body): %s", rec.Status, oneLine(rec.Body, 80))
		}
		return
	}
	ch := cc.Choices[0]
	rec.FinishReason = string(ch.FinishReason)
	rec.Content = ch.Message.Content
	rec.Reasoning = reasoning(ch.Message.JSON.ExtraFields)
	ids := map[string]int{}
	for i, tc := range ch.Message.ToolCalls {
		call := record.ToolCall{Index: i, ID: tc.ID, Type: string(tc.Type), Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		if !tc.JSON.Function.Valid() {
			call.NullFunction = true
		} else if w := argumentsField(tc.Function.JSON.Arguments.Raw()); w != "" {
			rec.WireIssues = append(rec.WireIssues, fmt.Sprintf("tool_calls[%d].function.arguments %s", i, w))
		}
		rec.WireIssues = append(rec.WireIssues, idAndType(i, tc.ID, tc.JSON.ID.Raw(), string(tc.Type), tc.JSON.Type.Raw(), ids)...)
		rec.ToolCalls = append(rec.ToolCalls, call)
	}
	usage(rec, cc.Usage)
}

// argumentsField checks the raw JSON of function.arguments: the wire format
// wants a string holding JSON, never the object itself (a client's
// json.loads(arguments) fails on a dict). openai-go keeps the raw text of a
// field it could not decode as a string, so Arguments still holds the
// object's JSON for the checks that follow. "" when the field is right.
func argumentsField(raw string) string {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "is missing (want a string holding a JSON object)"
	case raw == "null":
		return "is null (want a string holding a JSON object)"
	case raw[0] != '"':
		kind := "a JSON value"
		switch raw[0] {
		case '{':
			kind = "a JSON object"
		case '[':
			kind = "a JSON array"
		}
		return fmt.Sprintf("is %s, not a string holding JSON: %s", kind, oneLine(raw, 80))
	}
	return ""
}

// idAndType checks a call's id (present, unique within the response; ids
// maps the ids seen so far to their call) and type ("function").
func idAndType(i int, id, idRaw, typ, typRaw string, ids map[string]int) []string {
	var out []string
	switch {
	case idRaw == "" || idRaw == "null":
		out = append(out, fmt.Sprintf("tool_calls[%d].id is missing: a client has no tool_call_id to send the result back with", i))
	case id == "":
		out = append(out, fmt.Sprintf("tool_calls[%d].id is empty: a client has no tool_call_id to send the result back with", i))
	default:
		if j, seen := ids[id]; seen {
			out = append(out, fmt.Sprintf("tool_calls[%d].id %q repeats tool_calls[%d].id: ids must be unique within a response", i, oneLine(id, 60), j))
		} else {
			ids[id] = i
		}
	}
	switch {
	case typRaw == "" || typRaw == "null":
		out = append(out, fmt.Sprintf(`tool_calls[%d].type is missing (want "function")`, i))
	case typ != "function":
		out = append(out, fmt.Sprintf(`tool_calls[%d].type is %s (want "function")`, i, oneLine(typRaw, 40)))
	}
	return out
}

func usage(rec *record.Record, u openai.CompletionUsage) {
	rec.PromptTokens = int(u.PromptTokens)
	rec.CompletionTokens = int(u.CompletionTokens)
	rec.ReasoningTokens = int(u.CompletionTokensDetails.ReasoningTokens)
}

// reasoning reads vLLM's reasoning text under either of its names:
// "reasoning_content" (vLLM up to 0.10) or "reasoning" (later versions).
func reasoning(extra map[string]respjson.Field) string {
	for _, k := range []string{"reasoning_content", "reasoning"} {
		if f, ok := extra[k]; ok {
			var s string
			if json.Unmarshal([]byte(f.Raw()), &s) == nil && s != "" {
				return s
			}
		}
	}
	return ""
}

func (c *Client) fail(ctx context.Context, rec *record.Record, err error, t *tap) {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) || rec.Status >= 300 {
		// A non-2xx status is an HTTP failure even when its body is not the
		// OpenAI error shape (vLLM's 401 is {"error": "Unauthorized"}).
		body := ""
		if apiErr != nil {
			rec.Status = apiErr.StatusCode
			body = apiErr.RawJSON()
			if apiErr.Response != nil {
				rec.RetryAfter = apiErr.Response.Header.Get("Retry-After")
			}
		}
		if body == "" && t != nil {
			body = t.head.String()
		}
		rec.ErrorKind = record.ErrHTTP
		rec.Body = c.redact.String(trim(body, headBytes))
		rec.Error = fmt.Sprintf("HTTP %d: %s", rec.Status, c.redact.String(oneLine(errorMessage(body), 200)))
		return
	}
	kind, msg := c.classify(ctx, err, t, time.Duration(rec.TimeoutMs*float64(time.Millisecond)))
	if kind == "" {
		kind = record.ErrDecode
		if t != nil {
			rec.Body = c.redact.String(t.head.String())
		}
		if rec.Stream && looksSSE(rec.Body) {
			// The stream itself broke: say so in stream terms, not as a
			// body that failed to decode (which quotes its first event).
			kind = record.ErrStream
			msg = describeStream(rec, msg, t)
		} else {
			msg = describeBody(rec, msg)
		}
	}
	rec.ErrorKind = kind
	rec.Error = msg
}

// looksSSE: the body starts like a server-sent event stream.
func looksSSE(body string) bool {
	b := strings.TrimSpace(body)
	return strings.HasPrefix(b, "data:") || strings.HasPrefix(b, "event:") || strings.HasPrefix(b, ":")
}

// describeStream turns a broken SSE stream into one line: how far it got
// and why it stopped.
func describeStream(rec *record.Record, msg string, t *tap) string {
	n := int64(0)
	if t != nil {
		n = t.n
	}
	if strings.Contains(msg, "without data: [DONE]") || strings.Contains(msg, "cut off") {
		return msg
	}
	if strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "connection reset") {
		return fmt.Sprintf("stream cut off after %d bytes and %d complete chunks (%s): the connection closed mid-event, no data: [DONE]", n, rec.Chunks, msg)
	}
	return fmt.Sprintf("stream broke after %d bytes and %d chunks: %s", n, rec.Chunks, oneLine(msg, 160))
}

// describeBody turns a decode failure into what a user recognises.
func describeBody(rec *record.Record, msg string) string {
	b := strings.TrimSpace(rec.Body)
	switch {
	case strings.HasPrefix(strings.ToLower(b), "<!doctype html") || strings.HasPrefix(strings.ToLower(b), "<html"):
		return fmt.Sprintf("HTTP %d with an HTML page, not JSON (a proxy or login page?): %s", rec.Status, oneLine(b, 80))
	case b == "":
		return fmt.Sprintf("HTTP %d with an empty or unreadable body: %s", rec.Status, msg)
	default:
		return fmt.Sprintf("HTTP %d body is not a chat completion (%s): %s", rec.Status, msg, oneLine(b, 80))
	}
}

// errorMessage pulls the human message out of an OpenAI/vLLM error body:
// {"error": {"message": ...}}, {"message": ...} or {"error": "..."}.
func errorMessage(body string) string {
	var v struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Detail  any             `json:"detail"`
	}
	if json.Unmarshal([]byte(body), &v) != nil {
		if strings.Contains(strings.ToLower(body), "<html") {
			return "an HTML page, not JSON: " + oneLine(body, 80)
		}
		return body
	}
	if v.Message != "" {
		return v.Message
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return s
	}
	var inner struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &inner) == nil && inner.Message != "" {
		return inner.Message
	}
	if v.Detail != nil {
		return fmt.Sprint(v.Detail)
	}
	return body
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
