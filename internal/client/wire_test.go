package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// plainBody is a vLLM chat.completion (v0.10 serving_chat.py's shape) whose
// tool_calls entries are calls, given as raw JSON so each can break the
// wire format in its own way.
func plainBody(calls ...string) string {
	return `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":null,"tool_calls":[` +
		strings.Join(calls, ",") + `]},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}],"usage":{"prompt_tokens":10,"total_tokens":20,"completion_tokens":10}}`
}

const goodCall = `{"id":"chatcmpl-tool-1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}`

// TestPlainWireIssues: each malformed shape of a non-streamed tool call is
// one wire issue naming the field, never a panic or a decode failure.
func TestPlainWireIssues(t *testing.T) {
	type testCase struct {
		name   string
		calls  []string
		want   []string // pieces of the issues, in order; none for a clean call
		args   string   // Arguments as recorded, when checked
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		body := plainBody(tc.calls...)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		req := Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}}
		rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), req)
		require.True(t, rec.OK(), "a malformed call is a record with issues, not a failed request: %s", rec.Error)
		require.Len(t, rec.WireIssues, len(tc.want), "%s: %v", tc.reason, rec.WireIssues)
		for i, w := range tc.want {
			assert.Contains(t, rec.WireIssues[i], w, tc.reason)
			assert.NotContains(t, rec.WireIssues[i], "\n")
			assert.Less(t, len(rec.WireIssues[i]), 300, "one short line")
		}
		if tc.args != "" {
			require.NotEmpty(t, rec.ToolCalls)
			assert.JSONEq(t, tc.args, rec.ToolCalls[0].Arguments, "the object's JSON is kept for the checks that follow")
		}
	}
	for _, tc := range []testCase{
		{name: "well formed", calls: []string{goodCall}, reason: "vLLM's own shape"},
		{name: "object arguments", calls: []string{`{"id":"a","type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}`},
			want: []string{"tool_calls[0].function.arguments is a JSON object, not a string holding JSON"}, args: `{"city":"Paris"}`,
			reason: "json.loads(arguments) fails on a dict in the OpenAI Python client"},
		{name: "array arguments", calls: []string{`{"id":"a","type":"function","function":{"name":"get_weather","arguments":[1]}}`},
			want: []string{"function.arguments is a JSON array"}, reason: "not a string either"},
		{name: "arguments missing", calls: []string{`{"id":"a","type":"function","function":{"name":"get_weather"}}`},
			want: []string{"function.arguments is missing"}, reason: "no arguments field at all"},
		{name: "id missing", calls: []string{`{"type":"function","function":{"name":"get_weather","arguments":"{}"}}`},
			want: []string{"tool_calls[0].id is missing"}, reason: "no tool_call_id to answer with"},
		{name: "id empty", calls: []string{`{"id":"","type":"function","function":{"name":"get_weather","arguments":"{}"}}`},
			want: []string{"tool_calls[0].id is empty"}, reason: "an empty id is as useless"},
		{name: "id repeated", calls: []string{goodCall, goodCall},
			want: []string{`tool_calls[1].id "chatcmpl-tool-1" repeats tool_calls[0].id`}, reason: "two results could not be told apart"},
		{name: "type wrong", calls: []string{`{"id":"a","type":"tool","function":{"name":"get_weather","arguments":"{}"}}`},
			want: []string{`tool_calls[0].type is "tool" (want "function")`}, reason: "clients dispatch on type"},
		{name: "type missing", calls: []string{`{"id":"a","function":{"name":"get_weather","arguments":"{}"}}`},
			want: []string{`tool_calls[0].type is missing`}, reason: "required by the schema"},
		{name: "everything wrong", calls: []string{`{"type":7,"function":{"name":"get_weather","arguments":{"a":1}}}`},
			want: []string{"arguments is a JSON object", "id is missing", "type is 7"}, reason: "each field on its own line"},
		{name: "huge arguments string", calls: []string{`{"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"q\": \"` + strings.Repeat("x", 1<<20) + `\"}"}}`},
			reason: "a long string is still a string: no issue, no panic"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestStreamWireIssues: the streamed shapes, reassembled by the client.
func TestStreamWireIssues(t *testing.T) {
	noIndex := strings.Replace(toolArgs1, `"index":0,"function"`, `"function"`, 1)
	noID := strings.Replace(toolStart, `"id":"call_1",`, "", 1)
	badType := strings.Replace(toolStart, `"type":"function"`, `"type":"fn"`, 1)
	noType := strings.Replace(toolStart, `"type":"function",`, "", 1)
	objArgs := strings.Replace(toolArgs1, `"arguments":"{\"location\": "`, `"arguments":{"location":1}`, 1)
	second := strings.Replace(toolStart, `"tool_calls":[{"index":0`, `"tool_calls":[{"index":1`, 1)
	type testCase struct {
		name   string
		events []string
		want   string // "" for none
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse(w, 0, tc.events...) }))
		defer srv.Close()
		rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), streamReq())
		require.True(t, rec.OK(), rec.Error)
		if tc.want == "" {
			assert.Empty(t, rec.WireIssues, tc.reason)
			return
		}
		require.NotEmpty(t, rec.WireIssues, tc.reason)
		assert.Contains(t, strings.Join(rec.WireIssues, "; "), tc.want, tc.reason)
	}
	for _, tc := range []testCase{
		{"well formed", []string{roleChunk, toolStart, toolArgs1, toolArgs2, finish, usageChunk, done}, "", "vLLM's stream"},
		{"delta without index", []string{roleChunk, toolStart, noIndex, toolArgs2, finish, usageChunk, done}, "a tool_calls delta has no index", "openai-go would read it as 0"},
		{"id never sent", []string{roleChunk, noID, toolArgs1, toolArgs2, finish, usageChunk, done}, "tool_calls[0].id is missing", "no id in any delta"},
		{"id repeated across calls", []string{roleChunk, toolStart, toolArgs1, toolArgs2, second, finish, usageChunk, done}, `tool_calls[1].id "call_1" repeats tool_calls[0].id`, "two calls, one id"},
		{"wrong type", []string{roleChunk, badType, toolArgs1, toolArgs2, finish, usageChunk, done}, `type is "fn"`, "type must be function"},
		{"type never sent", []string{roleChunk, noType, toolArgs1, toolArgs2, finish, usageChunk, done}, "tool_calls[0].type is missing", "the first delta carries it"},
		{"object arguments delta", []string{roleChunk, toolStart, objArgs, finish, usageChunk, done}, "arguments delta is a JSON object", "deltas carry string pieces"},
		{"usage missing", []string{roleChunk, toolStart, toolArgs1, toolArgs2, finish, done}, "usage is missing: stream_options.include_usage was sent", "every streamed request asks for usage"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestLLMDCapturesAreWellFormed replays llm-d-inference-sim v0.10.2's
// recorded answers (testdata/llmd, a second implementation of vLLM's wire
// format): the wire checks must find nothing in any of them, or the interop
// run (scripts/interop.sh) would turn red for a format vLLM clients accept.
func TestLLMDCapturesAreWellFormed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "llmd", "chat_*.req.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, reqFile := range files {
		name := strings.TrimSuffix(filepath.Base(reqFile), ".req.json")
		t.Run(name, func(t *testing.T) {
			var sent struct {
				Stream        bool `json:"stream"`
				StreamOptions *struct {
					IncludeUsage bool `json:"include_usage"`
				} `json:"stream_options"`
			}
			b, err := os.ReadFile(reqFile)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &sent))
			ext := ".json"
			if sent.Stream {
				ext = ".sse"
			}
			body, err := os.ReadFile(filepath.Join("testdata", "llmd", name+ext))
			require.NoError(t, err, "every captured request has its answer beside it")
			status := capturedStatus(t, filepath.Join("testdata", "llmd", name+".md"))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if sent.Stream {
					w.Header().Set("Content-Type", "text/event-stream")
				} else {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(status)
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			req := Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}, Stream: sent.Stream}
			rec := newClient(t, srv.URL, Config{}).Chat(context.Background(), req)
			if status/100 != 2 {
				// An error answer replayed with its own status: the client
				// records it as an HTTP failure with that status.
				assert.Equal(t, record.ErrHTTP, rec.ErrorKind, "llm-d's %s (HTTP %d): %s", name, status, rec.Error)
				assert.Equal(t, status, rec.Status)
				return
			}
			require.True(t, rec.OK(), "llm-d's %s is a 2xx chat completion the client must read: %s", name, rec.Error)
			issues := rec.WireIssues
			if sent.Stream && (sent.StreamOptions == nil || !sent.StreamOptions.IncludeUsage) {
				// The capture was made without include_usage; the client
				// always asks for it, so only its absence is expected here.
				var rest []string
				for _, w := range issues {
					if !strings.HasPrefix(w, "usage is missing") {
						rest = append(rest, w)
					}
				}
				issues = rest
			}
			assert.Empty(t, issues, "llm-d's %s", name)
		})
	}
}

type jsonTransport struct{ body string }

func (j jsonTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(strings.NewReader(j.body)),
		Request: r,
	}, nil
}

// FuzzPlainToolCalls: any non-streamed body, malformed tool calls included,
// is a record (never a panic), and every wire issue is one line naming a
// field.
func FuzzPlainToolCalls(f *testing.F) {
	f.Add(plainBody(goodCall))
	f.Add(plainBody(`{"id":"a","type":"function","function":{"name":"f","arguments":{"x":[1,{"y":null}]}}}`))
	f.Add(plainBody(`{"type":7,"function":{"name":"f","arguments":null}}`, goodCall, goodCall))
	f.Add(plainBody(`{"id":null,"type":null,"function":null}`, `{}`, `null`, `"x"`))
	f.Add(plainBody(`{"id":"a","type":"function","function":{"name":"f","arguments":"` + strings.Repeat(`\"`, 4096) + `"}}`))
	f.Fuzz(func(t *testing.T, body string) {
		c, err := New(Config{BaseURL: "http://fuzz.invalid/v1", Timeout: 5 * time.Second})
		require.NoError(t, err)
		c.http.Transport = jsonTransport{body: body}
		rec := c.Chat(context.Background(), Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "hi"}}})
		for _, w := range rec.WireIssues {
			if strings.Contains(w, "\n") || len(w) > 400 {
				t.Fatalf("wire issue is not one short line: %q", w)
			}
			if !strings.Contains(w, "tool_calls[") && !strings.HasPrefix(w, "usage") {
				t.Fatalf("wire issue names no field: %q", w)
			}
		}
	})
}

// capturedStatus is the HTTP status in a capture's notes
// (testdata/llmd/NAME.md, "HTTP/1.1 404 Not Found").
func capturedStatus(t *testing.T, md string) int {
	t.Helper()
	b, err := os.ReadFile(md)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3}) `).FindSubmatch(b)
	require.NotNil(t, m, "%s names the answer's status", md)
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}
