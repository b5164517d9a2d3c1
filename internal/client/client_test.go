package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// sse writes events with a pause before each; "" events are skipped.
func sse(w http.ResponseWriter, pause time.Duration, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		time.Sleep(pause)
		fmt.Fprint(w, e)
		w.(http.Flusher).Flush()
	}
}

const (
	roleChunk   = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"
	reasonChunk = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}` + "\n\n"
	toolStart   = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}` + "\n\n"
	toolArgs1   = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\": "}}]},"finish_reason":null}]}` + "\n\n"
	toolArgs2   = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}` + "\n\n"
	finish      = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\n"
	usageChunk  = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}}` + "\n\n"
	done        = "data: [DONE]\n\n"
)

func newClient(t *testing.T, url string, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = url + "/v1"
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func streamReq() Request {
	return Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}, Stream: true, MaxTokens: 64}
}

func TestStreamTimingsAndReassembly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The role chunk comes at once; the first real token 50 ms later.
		sse(w, 0, roleChunk)
		sse(w, 50*time.Millisecond, reasonChunk, toolStart, toolArgs1, toolArgs2, finish, usageChunk, done)
	}))
	defer srv.Close()
	rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), streamReq())
	require.True(t, rec.OK(), rec.Error)
	assert.GreaterOrEqual(t, rec.TTFTms, 45.0, "TTFT is the first token, not the role chunk")
	assert.Less(t, rec.TTFRms, rec.TTFOms, "reasoning came before the first output token")
	assert.Equal(t, rec.TTFTms, rec.TTFRms)
	assert.Equal(t, "hmm", rec.Reasoning, "reasoning_content deltas are read")
	require.Len(t, rec.ToolCalls, 1)
	assert.Equal(t, "get_weather", rec.ToolCalls[0].Name)
	assert.JSONEq(t, `{"location":"Paris"}`, rec.ToolCalls[0].Arguments)
	assert.Equal(t, "tool_calls", rec.FinishReason)
	assert.Equal(t, 7, rec.CompletionTokens, "usage from the include_usage chunk")
	assert.Empty(t, rec.StreamIssues)
	assert.Len(t, rec.ITLms, 3, "one gap per token chunk after the first (4 token chunks)")
	assert.InDelta(t, (rec.E2Ems-rec.TTFTms)/6, rec.TPOTms, 0.01)
}

func TestStreamStructureIssues(t *testing.T) {
	nameAgain := strings.Replace(toolArgs1, `"function":{"arguments"`, `"function":{"name":"get_weather","arguments"`, 1)
	idChange := strings.Replace(toolArgs1, `"index":0,"function"`, `"index":0,"id":"call_2","function"`, 1)
	badIndex := strings.Replace(toolStart, `"index":0,"id"`, `"index":3,"id"`, 1)
	type testCase struct {
		name   string
		events []string
		want   string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse(w, 0, tc.events...) }))
		defer srv.Close()
		rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), streamReq())
		require.True(t, rec.OK(), rec.Error)
		require.NotEmpty(t, rec.StreamIssues, tc.reason)
		assert.Contains(t, strings.Join(rec.StreamIssues, "; "), tc.want, tc.reason)
	}
	for _, tc := range []testCase{
		{"name twice", []string{roleChunk, toolStart, nameAgain, toolArgs2, finish, done}, "name sent in more than one delta", "the name must come once and whole"},
		{"id changed", []string{roleChunk, toolStart, idChange, toolArgs2, finish, done}, "id changed", "the id is sent once or repeated identically"},
		{"index jump", []string{roleChunk, badIndex, finish, done}, "index 3", "indices start at 0 and count up"},
		{"two finishes", []string{roleChunk, toolStart, toolArgs1, toolArgs2, finish, finish, done}, "2 finish chunks", "exactly one finish chunk"},
		{"no finish", []string{roleChunk, toolStart, toolArgs1, toolArgs2, done}, "0 finish chunks", "exactly one finish chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestFailuresAreRecords(t *testing.T) {
	type testCase struct {
		name    string
		handler http.HandlerFunc
		req     Request
		cfg     Config
		kind    record.ErrorKind
		status  int
		want    string
		reason  string
	}
	run := func(t *testing.T, tc testCase) {
		srv := httptest.NewServer(tc.handler)
		defer srv.Close()
		start := time.Now()
		rec := newClient(t, srv.URL, tc.cfg).Chat(context.Background(), tc.req)
		assert.Less(t, time.Since(start), 5*time.Second, "bounded by the timeouts")
		assert.False(t, rec.OK())
		assert.Equal(t, tc.kind, rec.ErrorKind, tc.reason)
		assert.Equal(t, tc.status, rec.Status)
		assert.Contains(t, rec.Error, tc.want, tc.reason)
	}
	plain := Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}}
	for _, tc := range []testCase{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Login required</body></html>")
		}, plain, Config{}, record.ErrDecode, 200, "HTML page", "a proxy's HTML page is named as such"},
		{"401", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"Unauthorized"}`)
		}, plain, Config{}, record.ErrHTTP, 401, "Unauthorized", "vLLM's 401 body is read"},
		{"no choices", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"x","object":"chat.completion","choices":[]}`)
		}, plain, Config{}, record.ErrDecode, 200, "no choices", "valid JSON of the wrong shape"},
		{"no done", func(w http.ResponseWriter, r *http.Request) {
			sse(w, 0, roleChunk, toolStart, finish)
		}, streamReq(), Config{}, record.ErrStream, 200, "without data: [DONE]", "a stream that never sends [DONE]"},
		{"cut mid-chunk", func(w http.ResponseWriter, r *http.Request) {
			sse(w, 0, roleChunk, toolStart[:40])
		}, streamReq(), Config{}, record.ErrStream, 200, "[DONE]", "a stream cut off mid-chunk"},
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // the server notices the client leaving only once the body is read
			<-r.Context().Done()
		}, plain, Config{Timeout: 300 * time.Millisecond}, record.ErrTimeout, 0, "no answer within 300ms", "a server that never answers"},
		{"stalled stream", func(w http.ResponseWriter, r *http.Request) {
			sse(w, 0, roleChunk)
			<-r.Context().Done()
		}, streamReq(), Config{Timeout: 3 * time.Second, IdleTimeout: 200 * time.Millisecond}, record.ErrTimeout, 200, "idle timeout", "silence inside a body ends at the idle timeout"},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"`+strings.Repeat("x", 4096)+`"}`)
		}, plain, Config{MaxResponseBytes: 1024}, record.ErrTooLarge, 200, "1024 bytes", "bodies are capped"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	rec := newClient(t, url, Config{Timeout: 2 * time.Second}).Chat(context.Background(), Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}})
	assert.Equal(t, record.ErrUnreachable, rec.ErrorKind)
	assert.Contains(t, rec.Error, "cannot connect")
}

func TestKeyOnlyInAuthorizationHeader(t *testing.T) {
	const key = "sk-canary-client-0123456789"
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.WriteHeader(500)
		fmt.Fprint(w, `{"error":{"message":"boom `+key+`"}}`)
	}))
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "sk-other-env-key-should-not-be-sent")
	rec := newClient(t, srv.URL, Config{APIKey: key}).Chat(context.Background(), Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}})
	assert.Equal(t, "Bearer "+key, seen.Get("Authorization"))
	assert.NotContains(t, rec.Error, key, "a server echoing the key does not put it in the record")
	assert.NotContains(t, rec.Body, key)
}

func TestRoot(t *testing.T) {
	assert.Equal(t, "http://h:5002", Root("http://h:5002/v1"))
	assert.Equal(t, "https://h/prefix", Root("https://u:p@h/prefix/v1/?key=x"))
}

// Markup in delta.content with no parsed call is a parser mismatch (named by
// the diagnosis), not a malformed stream; next to a parsed call it is one.
func TestMarkupInDeltasIsAStreamIssueOnlyBesideCalls(t *testing.T) {
	leak := `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"<tool_call>{\"name\": \"f\"}</tool_call>"},"finish_reason":null}]}` + "\n\n"
	stop := strings.Replace(finish, `"tool_calls"`, `"stop"`, 1)
	for name, tc := range map[string]struct {
		events []string
		want   bool
	}{
		"leak without calls": {[]string{roleChunk, leak, stop, done}, false},
		"leak beside calls":  {[]string{roleChunk, leak, toolStart, toolArgs1, toolArgs2, finish, done}, true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse(w, 0, tc.events...) }))
			defer srv.Close()
			rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), streamReq())
			require.True(t, rec.OK(), rec.Error)
			assert.Equal(t, tc.want, strings.Contains(strings.Join(rec.StreamIssues, ";"), "markup"), rec.StreamIssues)
			assert.Contains(t, rec.Content, "<tool_call>", "the content keeps the markup for the diagnosis")
		})
	}
}

// TestRequestIDHeader: every request carries its own X-Request-Id, the one
// its record holds, streamed or not, answered or failed.
func TestRequestIDHeader(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get(HeaderRequestID))
		if len(seen) == 1 {
			sse(w, 0, roleChunk, finish, usageChunk, done)
			return
		}
		w.WriteHeader(500)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, Config{})
	a := c.Chat(context.Background(), streamReq())
	b := c.Chat(context.Background(), Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}})
	require.Len(t, seen, 2)
	assert.Equal(t, []string{a.RequestID, b.RequestID}, seen)
	assert.NotEqual(t, a.RequestID, b.RequestID)
	assert.Regexp(t, `^va-[0-9a-f]{12}-\d+$`, a.RequestID)
	assert.Equal(t, 500, b.Status, "a failed request keeps its id too")
}

func TestEndpointURL(t *testing.T) {
	assert.Equal(t, "http://h:5002/tokenize", endpointURL("http://h:5002/v1", "tokenize"))
	assert.Equal(t, "http://h:5002/tokenize", endpointURL("http://h:5002/v1/", "tokenize"))
	assert.Equal(t, "https://gw/vllm/tokenize?api_key=x", endpointURL("https://gw/vllm/v1?api_key=x", "tokenize"), "a gateway prefix and query stay")
}
