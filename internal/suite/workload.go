package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// ClassTrace is the class of a trace replay's requests in requests.jsonl;
// ClassCalibration that of the probes that calibrate its prompts.
const (
	ClassTrace       = "trace"
	ClassCalibration = "calibration"
)

// OpenTrace names the open-loop concurrency run of a trace replay: its
// rate is the trace's (times ACCEPTANCE_TRACE_SPEEDUP), not a knob.
const OpenTrace = "open_trace"

// Calibration probe lengths in words: far enough apart that the slope
// (tokens per word) is measured to a fraction of a percent, the longer
// still well inside any served context.
const (
	calibrationShort = 64
	calibrationLong  = 1024
)

// replay is the run's trace (ACCEPTANCE_WORKLOAD) and its calibration,
// measured once, on the first load run that replays it.
type replay struct {
	trace  *trace.Trace
	once   sync.Once
	build  *trace.Builder
	calErr error
	// cursor is where the capacity search's next step starts in the trace.
	cursor int
}

// loadTrace reads ACCEPTANCE_WORKLOAD's trace, when it names one, before
// any request: a bad trace stops the run.
func (r *Run) loadTrace() error {
	path := r.Cfg.Trace()
	if path == "" {
		return nil
	}
	t, err := trace.Load(path)
	if err != nil {
		return fmt.Errorf("ACCEPTANCE_WORKLOAD=%s: %w", r.Cfg.Workload, err)
	}
	r.replay = &replay{trace: t}
	return nil
}

// Trace is the trace the load runs replay, or nil for the synthetic load.
func (r *Run) Trace() *trace.Trace {
	if r.replay == nil {
		return nil
	}
	return r.replay.trace
}

// calibration measures, once, how the served model counts the words
// Mooncake prompts are built from (trace.Calibration): vLLM's /tokenize
// on two prompts when the server has it, else usage.prompt_tokens of two
// probe requests (recorded in requests.jsonl under test, class
// "calibration"). Chat traces are sent as written: nil, nil.
func (r *Run) calibration(ctx context.Context, test string) (*trace.Builder, error) {
	rp := r.replay
	if rp.trace.Format != trace.Mooncake {
		return nil, nil
	}
	rp.once.Do(func() {
		short := trace.BlockWords(-1, calibrationShort)
		long := trace.BlockWords(-2, calibrationLong)
		var c trace.Calibration
		c1, err1 := r.tokenize(ctx, strings.Join(short, " "))
		c2, err2 := r.tokenize(ctx, strings.Join(long, " "))
		if err1 == nil && err2 == nil {
			c, rp.calErr = trace.Fit(calibrationShort, c1, calibrationLong, c2, "tokenize")
		} else {
			c1, err1 = r.probeTokens(ctx, test, short)
			c2, err2 = r.probeTokens(ctx, test, long)
			switch {
			case err1 != nil:
				rp.calErr = err1
			case err2 != nil:
				rp.calErr = err2
			default:
				c, rp.calErr = trace.Fit(calibrationShort, c1, calibrationLong, c2, "usage")
			}
		}
		if rp.calErr == nil {
			rp.build = trace.NewBuilder(c)
			r.Logf("trace %s: %.3f tokens per word, %.0f tokens of chat template (%s)", rp.trace.Name, c.TokensPerWord, c.Overhead, c.Source)
		}
	})
	if rp.calErr != nil {
		return nil, fmt.Errorf("cannot calibrate the trace's prompts to the model's tokens: %w", rp.calErr)
	}
	return rp.build, nil
}

// traceRequest is trace line l as a load request: streamed, thinking off,
// max_tokens the line's output length. A Mooncake line's prompt is built
// text (b), and ignore_eos asks the server for all output_length tokens,
// as vllm bench serve does for its synthetic datasets: the built prompt
// means nothing, so where the model would stop is noise.
func (r *Run) traceRequest(l trace.Request, b *trace.Builder) client.Request {
	req := r.loadRequest("", l.OutputLength)
	if b != nil {
		req.Messages = b.Messages(l)
		req.Extra = map[string]any{"ignore_eos": true}
	} else {
		req.Messages = l.Messages
	}
	return req
}

// probeTokens sends words as a one-message request (the shape of a
// replayed request, max_tokens 1) and returns usage.prompt_tokens.
func (r *Run) probeTokens(ctx context.Context, test string, words []string) (int, error) {
	req := r.loadRequest(strings.Join(words, " "), 1)
	req.Stream = false
	rec := r.Client.Chat(ctx, req)
	rec.Test, rec.Scenario, rec.Class, rec.Attempt = test, ClassCalibration, ClassCalibration, 1
	rec.Content, rec.Reasoning = "", ""
	r.Record(&rec)
	switch {
	case !rec.OK():
		return 0, fmt.Errorf("probe request failed: %s", r.Client.Redact(rec.Error))
	case rec.PromptTokens <= 0:
		return 0, fmt.Errorf("the server's answer has no usage.prompt_tokens")
	}
	return rec.PromptTokens, nil
}

// tokenize counts the prompt tokens of a one-message chat request with
// vLLM's POST /tokenize (vllm/entrypoints/serve/tokenize/api_router.py,
// TokenizeChatRequest in protocol.py: messages, chat_template_kwargs;
// the answer's "count"). The route sits beside /v1, not under it.
func (r *Run) tokenize(ctx context.Context, text string) (int, error) {
	u := TokenizeURL(r.Cfg.BaseURL)
	if u == "" {
		return 0, fmt.Errorf("no /tokenize URL for %s", r.Cfg.BaseURL)
	}
	body, err := json.Marshal(map[string]any{
		"model":                r.Cfg.Model,
		"messages":             []fixture.Message{{Role: "user", Content: text}},
		"chat_template_kwargs": map[string]any{"enable_thinking": false},
	})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.Cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.Cfg.APIKey)
	}
	resp, err := r.sideClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("/tokenize: %s", r.Client.Redact(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("/tokenize: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Count *int `json:"count"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Count == nil {
		return 0, fmt.Errorf("/tokenize: no count in the answer")
	}
	return *out.Count, nil
}

// TokenizeURL is vLLM's /tokenize beside the API's /v1: the base URL
// without credentials, query or a trailing /v1, plus /tokenize; "" when
// the base URL is not http(s).
func TokenizeURL(baseURL string) string {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	p := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v1")
	u.Path, u.RawPath = p+"/tokenize", ""
	return u.String()
}
