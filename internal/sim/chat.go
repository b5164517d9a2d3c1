package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// noAutoToolChoice is vLLM's message when --enable-auto-tool-choice is off.
const noAutoToolChoice = `"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set`

// hugeBodyBytes is the size of huge_body's answer.
const hugeBodyBytes = 50 << 20

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	ctx := r.Context()

	var req chatRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		vllmError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("request body is not a chat completion request: %v", err))
		return
	}
	if len(req.Messages) == 0 {
		vllmError(w, http.StatusBadRequest, "BadRequestError", "messages: field required")
		return
	}
	if s.p.Fault == FaultModelNotFound || (req.Model != "" && req.Model != s.model) {
		vllmError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", req.Model))
		return
	}

	switch s.p.Fault {
	case FaultServerError:
		vllmError(w, http.StatusInternalServerError, "InternalServerError", "EngineCore encountered an issue. See stack trace (above) for the root cause.")
		return
	case FaultRateLimited:
		w.Header().Set("Retry-After", "2")
		vllmError(w, http.StatusTooManyRequests, "RateLimitError", "Too many requests: rate limit exceeded, retry after 2 seconds")
		return
	case FaultUnavailable:
		vllmError(w, http.StatusServiceUnavailable, "ServiceUnavailableError", "The server is temporarily unable to handle the request.")
		return
	case FaultHTMLError:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1><form action=\"/login\"></form></body></html>\n")
		return
	case FaultNotJSON:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<<garbage")
		return
	case FaultWrongShape:
		writeJSON(w, http.StatusOK, map[string]any{"id": "chatcmpl-" + s.hexID(), "object": "chat.completion", "created": s.now().Unix(), "model": s.model, "choices": []any{}})
		return
	case FaultHang:
		s.begin(0)
		defer s.end(0)
		<-ctx.Done()
		return
	case FaultNoAutoToolChoice:
		if len(req.Tools) > 0 && req.choice() == "auto" {
			vllmError(w, http.StatusBadRequest, "BadRequestError", noAutoToolChoice)
			return
		}
	}

	if s.refuseParams(w, &req) {
		return
	}
	if s.dead.Load() {
		apiError(w, http.StatusInternalServerError, "", "EngineCore encountered an issue. See stack trace (above) for the root cause.")
		return
	}
	var a answer
	spec := req.structured()
	if spec != nil {
		var status int
		var msg string
		if a, status, msg = s.structuredAnswer(&req, spec); status != 0 {
			apiError(w, status, "", msg)
			return
		}
		if s.p.Fault == FaultSOEngineDead {
			s.dead.Store(true)
		}
	} else {
		a = s.applyFault(&req, s.vary(s.plan(&req)))
	}
	if a.Status != 0 {
		vllmError(w, a.Status, "BadRequestError", a.ErrMsg)
		return
	}
	prompt, completion := req.promptTokens(), a.completionTokens()
	if s.p.Fault == FaultPromptMiscount {
		prompt += 3 // usage only: /tokenize counts the true figure
	}
	inFlight := s.begin(prompt + completion)
	defer s.end(prompt + completion)
	lat, fail := s.draw(inFlight)
	if fail {
		vllmError(w, http.StatusInternalServerError, "InternalServerError", "EngineCore encountered an issue. See stack trace (above) for the root cause.")
		return
	}
	if spec != nil && s.p.BreakAbove > 0 && inFlight > s.p.BreakAbove && len(a.Content) > 1 {
		// A grammar backend broken by batching: the constrained answer
		// loses its last character with more than break_above in flight.
		a.Content = a.Content[:len(a.Content)-1]
	}
	start := time.Now()
	hit := s.cache.lookup(req.promptSeq())
	lat.ttft += time.Duration(float64(s.p.Prefill) * float64(max(prompt-hit, 0)))
	id, created := "chatcmpl-"+s.requestID(r), s.now().Unix()
	var ttft time.Duration
	var itl []float64
	var ok, recorded bool
	// done records the answer in /metrics, as the engine does when the
	// last token is out: before the client can read the end of the body,
	// so a scrape right after the client's last request counts it.
	done := func(ttft time.Duration, itl []float64) {
		recorded = true
		finish := a.Finish
		if finish == "tool_calls" {
			finish = "stop" // the engine's reason; tool_calls is the API's
		}
		// The engine's own view: from arrival at the engine (after any
		// gateway) to the first token and to the end; no queue here.
		s.finished(prompt, completion, finish, timings{ttft: ttft.Seconds(), e2e: time.Since(start).Seconds(), itl: itl})
	}
	switch {
	case s.p.Fault == FaultHugeBody:
		ok = s.huge(ctx, w, &req, id, created)
	case s.p.Fault == FaultSlowDrip:
		var b []byte
		if req.Stream {
			var buf bytes.Buffer
			_, _, _ = s.stream(ctx, &buf, &req, a, id, created, prompt, latency{}, start, nil)
			b = buf.Bytes()
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		} else {
			b = s.completion(a, id, created, prompt)
			w.Header().Set("Content-Type", "application/json")
		}
		ok = drip(ctx, w, b)
	case req.Stream:
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		ttft, itl, ok = s.stream(ctx, w, &req, a, id, created, prompt, lat, start, done)
	default:
		if ok = wait.Sleep(ctx, lat.at(lat.ttft)); ok {
			ttft = time.Since(start)
			ok = wait.Sleep(ctx, lat.at(time.Duration(completion)*lat.itl))
			for range max(completion-1, 0) {
				itl = append(itl, lat.itl.Seconds())
			}
		}
		if ok {
			done(ttft, itl)
			b := s.completion(a, id, created, prompt)
			if s.p.Fault == FaultStreamCut {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", fmt.Sprint(len(b)))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(b[:len(b)/2])
				flush(w)
				panic(http.ErrAbortHandler) // closes the connection mid-body
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(len(b)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b)
		}
	}
	if ok && !recorded {
		done(ttft, itl)
	}
}

func flush(w io.Writer) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// message is the non-streamed choices[0].message.
func (s *Server) message(a answer) map[string]any {
	calls := []any{}
	for _, c := range a.Calls {
		var fn any = map[string]any{"name": c.Name, "arguments": s.wireArgs(c)}
		if c.NullFunction {
			fn = nil
		}
		calls = append(calls, s.wireCall(map[string]any{"id": c.ID, "type": "function", "function": fn}))
	}
	var content any = a.Content
	if a.NullContent && a.Content == "" {
		content = nil
	}
	m := map[string]any{
		"role": "assistant", "content": content, "refusal": nil, "annotations": nil,
		"audio": nil, "function_call": nil, "tool_calls": calls,
	}
	var reasoning any
	if a.Reasoning != "" {
		reasoning = a.Reasoning
	}
	for _, f := range s.reasoningFields() {
		m[f] = reasoning
	}
	return m
}

// wireArgs is function.arguments as sent: the string holding JSON, or
// under object_arguments the JSON object itself.
func (s *Server) wireArgs(c call) any {
	if s.p.Fault != FaultObjectArguments {
		return c.Args
	}
	var v any
	if json.Unmarshal([]byte(c.Args), &v) != nil {
		return c.Args
	}
	return v
}

// wireCall applies the wire faults to a tool call object (or its first
// delta): missing_ids drops "id", wrong_type sends type "tool".
func (s *Server) wireCall(m map[string]any) map[string]any {
	switch s.p.Fault {
	case FaultMissingIDs:
		delete(m, "id")
	case FaultWrongType:
		m["type"] = "tool"
	}
	return m
}

func (s *Server) reasoningFields() []string {
	if s.p.ReasoningField == "both" {
		return []string{"reasoning", "reasoning_content"}
	}
	return []string{s.p.ReasoningField}
}

// usageInfo is vLLM's UsageInfo, fields in its order.
type usageInfo struct {
	PromptTokens        int `json:"prompt_tokens"`
	TotalTokens         int `json:"total_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails any `json:"prompt_tokens_details"`
}

func usage(prompt, completion int) *usageInfo {
	return &usageInfo{PromptTokens: prompt, TotalTokens: prompt + completion, CompletionTokens: completion}
}

// wireChunk is vLLM's ChatCompletionStreamResponse, fields in its order.
type wireChunk struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []any      `json:"choices"`
	Usage   *usageInfo `json:"usage,omitempty"`
}

// wireCompletion is vLLM's ChatCompletionResponse, fields in its order.
type wireCompletion struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	Choices           []any      `json:"choices"`
	ServiceTier       any        `json:"service_tier"`
	SystemFingerprint any        `json:"system_fingerprint"`
	Usage             *usageInfo `json:"usage"`
	PromptLogprobs    any        `json:"prompt_logprobs"`
	KVTransferParams  any        `json:"kv_transfer_params"`
}

// completion is the non-streamed chat.completion body.
func (s *Server) completion(a answer, id string, created int64, prompt int) []byte {
	b, _ := json.Marshal(wireCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: s.model,
		Choices: []any{map[string]any{
			"index": 0, "message": s.message(a), "logprobs": nil, "finish_reason": a.Finish, "stop_reason": nil,
		}},
		Usage: usage(prompt, a.completionTokens()),
	})
	return b
}

// event is one SSE chunk to send; token chunks are paced by the latency model.
type event struct {
	choice map[string]any
	token  bool
}

func delta(d map[string]any) event {
	return event{choice: map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": nil}, token: true}
}

// events lays out the stream of answer a, with streaming fault f (the
// persona's, or one load brought on) applied.
func (s *Server) events(a answer, f Fault) []event {
	role := delta(map[string]any{"role": "assistant", "content": ""})
	role.token = false
	evs := []event{role}
	for _, t := range tokenize(a.Reasoning) {
		d := map[string]any{}
		for _, k := range s.reasoningFields() {
			d[k] = t
		}
		evs = append(evs, delta(d))
	}
	if f == FaultStreamMarkupDelta && len(a.Calls) > 0 {
		evs = append(evs, delta(map[string]any{"content": "<tool_call>"}))
	}
	for _, t := range tokenize(a.Content) {
		evs = append(evs, delta(map[string]any{"content": t}))
	}
	for i, c := range a.Calls {
		idx := i
		if f == FaultStreamBadIndex {
			idx = 2*i + 1
		}
		tc := func(m map[string]any) event {
			if f != FaultStreamNoIndex {
				m["index"] = idx
			}
			return delta(map[string]any{"tool_calls": []any{m}})
		}
		if c.NullFunction {
			evs = append(evs, tc(map[string]any{"id": c.ID, "type": "function", "function": nil}))
			continue
		}
		if f == FaultObjectArguments {
			// The whole object in one delta, where vLLM streams string pieces.
			evs = append(evs, tc(s.wireCall(map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": s.wireArgs(c)}})))
			continue
		}
		evs = append(evs, tc(s.wireCall(map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": ""}})))
		args := c.Args
		if f == FaultStreamArgsDiffer {
			args = streamVariant(c)
		}
		for j, p := range tokenize(args) {
			fn := map[string]any{"arguments": p}
			m := map[string]any{"function": fn}
			if s.p.Style == "llmd" {
				m["id"], m["type"], fn["name"] = c.ID, "function", nil
			}
			if j == 0 && f == FaultStreamNameRepeat {
				fn["name"] = c.Name
			}
			if j == 0 && f == FaultStreamIDChange {
				m["id"] = c.ID + "0"
			}
			evs = append(evs, tc(m))
			if j == 1 && f == FaultStreamArgsRepeat {
				evs = append(evs, tc(map[string]any{"function": map[string]any{"arguments": p}}))
			}
		}
	}
	fin := event{choice: map[string]any{"index": 0, "delta": map[string]any{}, "logprobs": nil, "finish_reason": a.Finish, "stop_reason": nil}}
	evs = append(evs, fin)
	if f == FaultStreamDoubleFin {
		evs = append(evs, fin)
	}
	return evs
}

// stream writes answer a as SSE, pacing token chunks by lat. start is when
// the request arrived (for the TTFT it reports); a nil-able writer without
// flushing is fine (slow_drip renders into a buffer). It returns the time
// to the first token chunk, the gaps between later token chunks in
// seconds, and whether the stream was written to the end. done, when not
// nil, is called once the last choice chunk is out, before the usage chunk
// and [DONE].
func (s *Server) stream(ctx context.Context, w io.Writer, req *chatRequest, a answer, id string, created int64, prompt int, lat latency, start time.Time, done func(time.Duration, []float64)) (ttft time.Duration, itl []float64, ok bool) {
	var last time.Time
	write := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		flush(w)
		return ctx.Err() == nil
	}
	chunk := func(choices []any) *wireChunk {
		return &wireChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.model, Choices: choices}
	}
	first := true
	f := s.p.Fault
	if s.p.BreakAbove > 0 && lat.inFlight > s.p.BreakAbove {
		f = FaultStreamArgsRepeat
	}
	// Tokens are due at absolute times, each the last one's due time plus
	// its delay: a timer that fires late (a loaded machine) makes the
	// next gap shorter instead of slowing the whole stream, so the
	// declared TTFT and ITL hold on average (docs/capacity.md).
	due := time.Now()
	tokens := 0
	for i, ev := range s.events(a, f) {
		if ev.token {
			if tokens++; s.p.StallAfter > 0 && tokens > s.p.StallAfter {
				<-ctx.Done() // stopped sending: silence until the client leaves
				return ttft, itl, false
			}
			d := lat.itl
			if first {
				d = lat.ttft
			}
			due = due.Add(lat.at(d))
			if !wait.Until(ctx, due) {
				return ttft, itl, false
			}
			now := time.Now()
			if first {
				ttft, first = now.Sub(start), false
			} else {
				itl = append(itl, now.Sub(last).Seconds())
			}
			last = now
		}
		if s.p.Fault == FaultStreamCut && i == 1 {
			b, _ := json.Marshal(chunk([]any{ev.choice}))
			_, _ = fmt.Fprintf(w, "data: %s", b[:len(b)/2])
			flush(w)
			panic(http.ErrAbortHandler) // closes the connection mid-chunk
		}
		if !write(chunk([]any{ev.choice})) {
			return ttft, itl, false
		}
	}
	if done != nil {
		done(ttft, itl)
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && s.p.Fault != FaultStreamNoUsage {
		u := chunk([]any{})
		u.Usage = usage(prompt, a.completionTokens())
		if s.p.Fault == FaultStreamUsage {
			u.Usage = usage(prompt, max(a.completionTokens()-2, 0))
		}
		if !write(u) {
			return ttft, itl, false
		}
	}
	if s.p.Fault != FaultNoDone {
		if _, err := io.WriteString(w, "data: [DONE]\n\n"); err != nil {
			return ttft, itl, false
		}
		flush(w)
	}
	return ttft, itl, true
}

// drip writes b one byte per second.
func drip(ctx context.Context, w http.ResponseWriter, b []byte) bool {
	w.WriteHeader(http.StatusOK)
	for i := range b {
		if i > 0 && !wait.Sleep(ctx, time.Second) {
			return false
		}
		if _, err := w.Write(b[i : i+1]); err != nil {
			return false
		}
		flush(w)
	}
	return true
}

// huge writes a 50 MB answer piece by piece, never holding it whole.
func (s *Server) huge(ctx context.Context, w http.ResponseWriter, req *chatRequest, id string, created int64) bool {
	piece := strings.Repeat("lorem ipsum ", 64<<10/12)
	var head, each, tail string
	if req.Stream {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		c := func(d map[string]any, finish any) string {
			b, _ := json.Marshal(wireChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.model,
				Choices: []any{map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}})
			return "data: " + string(b) + "\n\n"
		}
		head = c(map[string]any{"role": "assistant", "content": ""}, nil)
		each = c(map[string]any{"content": piece}, nil)
		tail = c(map[string]any{}, "length") + "data: [DONE]\n\n"
	} else {
		w.Header().Set("Content-Type", "application/json")
		head = fmt.Sprintf(`{"id":%q,"object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"`, id, created, s.model)
		each = piece
		tail = `"},"logprobs":null,"finish_reason":"length","stop_reason":null}],"usage":{"prompt_tokens":1,"total_tokens":1,"completion_tokens":0}}`
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, head); err != nil {
		return false
	}
	for n := 0; n < hugeBodyBytes; n += len(each) {
		if ctx.Err() != nil {
			return false
		}
		if _, err := io.WriteString(w, each); err != nil {
			return false
		}
	}
	_, err := io.WriteString(w, tail)
	flush(w)
	return err == nil
}
