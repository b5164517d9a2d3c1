package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToolFaults checks each tool-calling fault's exact signature on the
// test scenario, plain and streamed, and that the same persona answers a
// tool_choice required request correctly where the fault is auto-only.
func TestToolFaults(t *testing.T) {
	t.Parallel()
	type testCase struct {
		persona string
		// check gets the plain answer and the reassembled stream.
		check func(t *testing.T, c completion, s streamed)
		// requiredHealthy: under tool_choice required the call is correct
		// (guided decoding, not the tool parser).
		requiredHealthy bool
	}
	msg := func(c completion) (string, string) {
		m := c.Choices[0].Message
		content, reasoning := "", ""
		if m.Content != nil {
			content = *m.Content
		}
		if m.ReasoningContent != nil {
			reasoning = *m.ReasoningContent
		}
		return content, reasoning
	}
	firstArgs := func(t *testing.T, c completion) string {
		require.Len(t, c.Choices[0].Message.ToolCalls, 1)
		return c.Choices[0].Message.ToolCalls[0].fn(t).Arguments
	}
	run := func(t *testing.T, tc testCase) {
		_, url := serve(t, tc.persona)
		c := plain(t, url, body(t, false, nil))
		s := streamReq(t, url, body(t, true, nil))
		require.True(t, s.done)
		tc.check(t, c, s)
		if tc.requiredHealthy {
			c := plain(t, url, body(t, false, func(m map[string]any) { m["tool_choice"] = "required" }))
			assert.Equal(t, "tool_calls", c.Choices[0].FinishReason)
			assert.Equal(t, wantArgs, decodeArgs(t, firstArgs(t, c)))
		}
	}
	for _, tc := range []testCase{
		{persona: "hermes_leak", requiredHealthy: true, check: func(t *testing.T, c completion, s streamed) {
			content, _ := msg(c)
			assert.Equal(t, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"days\": 3, \"location\": \"Paris\", \"note\": \"nice\", \"unit\": \"celsius\"}}\n</tool_call>", content)
			assert.Empty(t, c.Choices[0].Message.ToolCalls)
			assert.Equal(t, "stop", c.Choices[0].FinishReason)
			assert.Equal(t, content, s.content)
			assert.Empty(t, s.calls)
		}},
		{persona: "xml_leak", requiredHealthy: true, check: func(t *testing.T, c completion, s streamed) {
			content, _ := msg(c)
			assert.True(t, strings.HasPrefix(content, "<tool_call>\n<function=get_weather>\n<parameter="), content)
			assert.Contains(t, content, "<parameter=location>\nParis\n</parameter>\n")
			assert.True(t, strings.HasSuffix(content, "</function>\n</tool_call>"))
			assert.Empty(t, c.Choices[0].Message.ToolCalls)
			assert.Equal(t, "stop", c.Choices[0].FinishReason)
		}},
		{persona: "reasoning_exhausted", check: func(t *testing.T, c completion, s streamed) {
			content, reasoning := msg(c)
			assert.Nil(t, c.Choices[0].Message.Content)
			assert.Empty(t, content)
			assert.Len(t, strings.Fields(reasoning), 1024)
			assert.Equal(t, "length", c.Choices[0].FinishReason)
			assert.Equal(t, 1024, c.Usage.CompletionTokens)
			assert.Empty(t, c.Choices[0].Message.ToolCalls)
			assert.Equal(t, 1024, s.usage)
		}},
		{persona: "think_leak", check: func(t *testing.T, c completion, s streamed) {
			content, reasoning := msg(c)
			assert.True(t, strings.HasPrefix(content, "<think>\n"), content)
			assert.Contains(t, content, "</think>")
			assert.Empty(t, reasoning)
			assert.Equal(t, wantArgs, decodeArgs(t, firstArgs(t, c)), "the call itself is fine")
			assert.Equal(t, "tool_calls", c.Choices[0].FinishReason)
		}},
		{persona: "tool_call_in_reasoning", requiredHealthy: true, check: func(t *testing.T, c completion, s streamed) {
			content, reasoning := msg(c)
			assert.Empty(t, content)
			assert.Contains(t, reasoning, "<tool_call>\n{\"name\": \"get_weather\"")
			assert.Empty(t, c.Choices[0].Message.ToolCalls)
			assert.Contains(t, s.reasoning, "<tool_call>")
		}},
		{persona: "prose", requiredHealthy: true, check: func(t *testing.T, c completion, s streamed) {
			content, _ := msg(c)
			assert.NotEmpty(t, content)
			assert.NotContains(t, content, "<")
			assert.NotContains(t, content, "{")
			assert.Empty(t, c.Choices[0].Message.ToolCalls)
			assert.Equal(t, "stop", c.Choices[0].FinishReason)
		}},
		{persona: "invalid_json", check: func(t *testing.T, c completion, s streamed) {
			a := firstArgs(t, c)
			assert.Equal(t, `{"days": 3, "location": "Paris", "note": "nice", "unit": "celsius"`, a)
			assert.Equal(t, a, s.calls[0].args)
		}},
		{persona: "double_encoded", check: func(t *testing.T, c completion, s streamed) {
			var inner string
			require.NoError(t, json.Unmarshal([]byte(firstArgs(t, c)), &inner))
			assert.Equal(t, wantArgs, decodeArgs(t, inner))
		}},
		{persona: "unknown_function", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, "get_weather_v2", *c.Choices[0].Message.ToolCalls[0].fn(t).Name)
			assert.Equal(t, "get_weather_v2", s.calls[0].name)
		}},
		{persona: "schema_violation", check: func(t *testing.T, c completion, s streamed) {
			a := decodeArgs(t, firstArgs(t, c))
			assert.NotContains(t, a, "location", "the first required parameter is dropped")
			assert.Equal(t, "celsius", a["unit"])
		}},
		{persona: "wrong_args", check: func(t *testing.T, c completion, s streamed) {
			a := decodeArgs(t, firstArgs(t, c))
			assert.Equal(t, 1003.0, a["days"], "a pinned value changed, same type")
			assert.Equal(t, "Paris", a["location"])
			assert.Equal(t, "celsius", a["unit"])
		}},
		{persona: "finish_mismatch", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, "stop", c.Choices[0].FinishReason)
			assert.Equal(t, wantArgs, decodeArgs(t, firstArgs(t, c)))
			assert.Equal(t, []string{"stop"}, s.finishes)
		}},
		{persona: "null_function", check: func(t *testing.T, c completion, s streamed) {
			require.Len(t, c.Choices[0].Message.ToolCalls, 1)
			assert.Equal(t, "null", string(c.Choices[0].Message.ToolCalls[0].Function))
			assert.Equal(t, "", s.calls[0].name)
		}},
		{persona: "stream_name_repeat", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, wantArgs, decodeArgs(t, firstArgs(t, c)))
			assert.Equal(t, 2, s.names[0])
			assert.Equal(t, wantArgs, decodeArgs(t, s.calls[0].args))
		}},
		{persona: "stream_id_change", check: func(t *testing.T, c completion, s streamed) {
			require.Len(t, s.ids[0], 2)
			assert.NotEqual(t, s.ids[0][0], s.ids[0][1])
		}},
		{persona: "stream_bad_index", check: func(t *testing.T, c completion, s streamed) {
			assert.NotContains(t, s.calls, 0)
			assert.Contains(t, s.calls, 1)
		}},
		{persona: "stream_double_finish", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, []string{"tool_calls", "tool_calls"}, s.finishes)
		}},
		{persona: "stream_markup_delta", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, "<tool_call>", s.content)
			assert.Equal(t, wantArgs, decodeArgs(t, s.calls[0].args))
			content, _ := msg(c)
			assert.Empty(t, content)
		}},
		{persona: "stream_args_differ", check: func(t *testing.T, c completion, s streamed) {
			assert.Equal(t, wantArgs, decodeArgs(t, firstArgs(t, c)))
			got := decodeArgs(t, s.calls[0].args)
			assert.NotEqual(t, wantArgs, got)
			assert.Equal(t, "PARIS", got["location"], "a case flip the Equals matcher accepts; unit is an enum and stays")
		}},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
}

func TestNoAutoToolChoice(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "no_auto_tool_choice")
	for _, choice := range []any{nil, "auto"} {
		resp := post(t, url, body(t, false, func(m map[string]any) {
			if choice != nil {
				m["tool_choice"] = choice
			}
		}))
		require.Equal(t, 400, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		assert.JSONEq(t, `{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400}`, string(b))
	}
	c := plain(t, url, body(t, false, func(m map[string]any) { m["tool_choice"] = "required" }))
	assert.Len(t, c.Choices[0].Message.ToolCalls, 1)
}

func TestAlwaysCall(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "always_call")
	c := plain(t, url, body(t, false, func(m map[string]any) { m["tool_choice"] = "none" }))
	require.Len(t, c.Choices[0].Message.ToolCalls, 1)
	assert.Equal(t, "tool_calls", c.Choices[0].FinishReason)
	c = plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}, "max_tokens": 5})
	assert.Equal(t, 5, c.Usage.CompletionTokens, "no tools, nothing to call")
}

func TestTransportFaults(t *testing.T) {
	t.Parallel()
	type testCase struct {
		persona string
		stream  bool
		status  int
		ctype   string
		body    func(t *testing.T, b string)
	}
	run := func(t *testing.T, tc testCase) {
		_, url := serve(t, tc.persona)
		resp := post(t, url, body(t, tc.stream, nil))
		b, err := io.ReadAll(resp.Body)
		assert.Equal(t, tc.status, resp.StatusCode)
		if tc.ctype != "" {
			assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
		}
		if tc.persona == "stream_cut" {
			require.Error(t, err, "the connection is closed mid-body")
		} else {
			require.NoError(t, err)
		}
		if tc.body != nil {
			tc.body(t, string(b))
		}
	}
	for _, tc := range []testCase{
		{persona: "server_error", status: 500, body: func(t *testing.T, b string) { assert.Contains(t, b, `"code":500`) }},
		{persona: "unauthorized", status: 401, body: func(t *testing.T, b string) { assert.JSONEq(t, `{"error":"Unauthorized"}`, b) }},
		{persona: "rate_limited", status: 429},
		{persona: "unavailable", status: 503},
		{persona: "model_not_found", status: 404, body: func(t *testing.T, b string) { assert.Contains(t, b, "The model `Qwen/Qwen3-32B-AWQ` does not exist.") }},
		{persona: "html_error", status: 200, ctype: "text/html; charset=utf-8", body: func(t *testing.T, b string) { assert.True(t, strings.HasPrefix(b, "<!DOCTYPE html>")) }},
		{persona: "not_json", status: 200, ctype: "application/json", body: func(t *testing.T, b string) { assert.Equal(t, "<<garbage", b) }},
		{persona: "wrong_shape", status: 200, body: func(t *testing.T, b string) { assert.Contains(t, b, `"choices":[]`) }},
		{persona: "stream_cut", status: 200, stream: true, body: func(t *testing.T, b string) {
			assert.True(t, strings.HasPrefix(b, "data: {"))
			assert.False(t, strings.HasSuffix(b, "\n\n"), "cut mid-chunk")
			assert.NotContains(t, b, "[DONE]")
		}},
		{persona: "stream_cut", status: 200, body: func(t *testing.T, b string) { assert.False(t, json.Valid([]byte(b))) }},
		{persona: "no_done", status: 200, stream: true, body: func(t *testing.T, b string) {
			assert.NotContains(t, b, "[DONE]")
			assert.Contains(t, b, `"finish_reason":"tool_calls"`)
		}},
		{persona: "no_done", status: 200, body: func(t *testing.T, b string) { assert.True(t, json.Valid([]byte(b)), "plain answers stay healthy") }},
		{persona: "huge_body", status: 200, body: func(t *testing.T, b string) {
			assert.GreaterOrEqual(t, len(b), 50<<20)
			assert.True(t, json.Valid([]byte(b)))
		}},
		{persona: "huge_body", status: 200, stream: true, body: func(t *testing.T, b string) {
			assert.GreaterOrEqual(t, len(b), 50<<20)
			assert.True(t, strings.HasSuffix(b, "data: [DONE]\n\n"))
		}},
	} {
		name := tc.persona + map[bool]string{true: "/stream", false: "/plain"}[tc.stream]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
	t.Run("unauthorized models", func(t *testing.T) {
		_, url := serve(t, "unauthorized")
		resp, err := http.Get(url + "/v1/models")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 401, resp.StatusCode)
	})
	t.Run("model_not_found serves models", func(t *testing.T) {
		_, url := serve(t, "model_not_found")
		resp, err := http.Get(url + "/v1/models")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
	})
	t.Run("rate_limited Retry-After", func(t *testing.T) {
		_, url := serve(t, "rate_limited")
		resp := post(t, url, body(t, false, nil))
		assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	})
}

func TestSlowDrip(t *testing.T) {
	t.Parallel()
	s, url := serve(t, "slow_drip")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, _ := json.Marshal(body(t, false, nil))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(string(b)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	start := time.Now()
	buf := make([]byte, 2)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, `{"`, string(buf))
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "one byte per second")
	cancel()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.m.running == 0
	}, 3*time.Second, 10*time.Millisecond, "the handler ends with the client")
}

func TestNoiseIsSeeded(t *testing.T) {
	t.Parallel()
	seq := func(spec string) []time.Duration {
		p, err := Lookup(spec)
		require.NoError(t, err)
		s := New(p, nil)
		var out []time.Duration
		for range 20 {
			l, _ := s.draw(1)
			out = append(out, l.ttft)
		}
		return out
	}
	a, b := seq("noisy?seed=7"), seq("noisy?seed=7")
	assert.Equal(t, a, b, "same seed, same latencies")
	assert.NotEqual(t, a, seq("noisy?seed=8"))
	for _, d := range a {
		assert.InDelta(t, float64(20*time.Millisecond), float64(d), float64(6*time.Millisecond)+1, "within ±30 %%")
	}
	varies := false
	for _, d := range a {
		varies = varies || d != a[0]
	}
	assert.True(t, varies)
}

func TestRampAndLoad(t *testing.T) {
	t.Parallel()
	p, err := Lookup("degrading")
	require.NoError(t, err)
	s := New(p, nil)
	var ttfts []time.Duration
	for range 25 {
		l, _ := s.draw(1)
		ttfts = append(ttfts, l.ttft)
	}
	assert.Equal(t, 20*time.Millisecond, ttfts[0])
	assert.Equal(t, 28*time.Millisecond, ttfts[19], "×1.4 at request 20")
	assert.Equal(t, 28*time.Millisecond, ttfts[24], "and stays there")
	assert.Less(t, ttfts[5], ttfts[10])

	p, err = Lookup("healthy?ttft=10ms&load=0.5")
	require.NoError(t, err)
	s = New(p, nil)
	l, _ := s.draw(3)
	assert.Equal(t, 20*time.Millisecond, l.ttft, "1+0.5*(3-1)")
}

func TestErrorRateIsSeeded(t *testing.T) {
	t.Parallel()
	fails := func(seed string) []bool {
		p, err := Lookup("erroring?seed=" + seed)
		require.NoError(t, err)
		s := New(p, nil)
		var out []bool
		for range 200 {
			_, f := s.draw(1)
			out = append(out, f)
		}
		return out
	}
	a := fails("1")
	assert.Equal(t, a, fails("1"))
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	assert.InDelta(t, 40, n, 20, "about 20 %% of 200")
}

func TestLatencyOnTheWire(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy?ttft=60ms&itl=1ms")
	start := time.Now()
	resp := post(t, url, body(t, true, nil))
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n') // the role chunk comes at once
	require.NoError(t, err)
	assert.Contains(t, line, `"role":"assistant"`)
	roleAt := time.Since(start)
	_, _ = r.ReadString('\n')
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, "reasoning_content")
	assert.GreaterOrEqual(t, time.Since(start)-roleAt, 50*time.Millisecond, "TTFT after the role chunk")

	start = time.Now()
	plain(t, url, body(t, false, nil))
	assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond, "plain answers wait ttft + n*itl")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s, url := serve(t, "preempting?ttft=100ms")
	scrape := func() string {
		resp, err := http.Get(url + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := scrape()
	for _, name := range []string{"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:num_preemptions_total", "vllm:time_to_first_token_seconds"} {
		assert.Contains(t, m, "# TYPE "+name+" ")
	}
	assert.Contains(t, m, `vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-32B-AWQ"} 0.0`)

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { plain(t, url, body(t, false, nil)) })
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.m.running == 3
	}, 2*time.Second, 5*time.Millisecond)
	m = scrape()
	assert.Contains(t, m, `vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-32B-AWQ"} 3.0`)
	assert.Contains(t, m, `vllm:num_preemptions_total{engine="0",model_name="Qwen/Qwen3-32B-AWQ"} 2.0`)
	assert.Regexp(t, `vllm:kv_cache_usage_perc\{[^}]*\} 0\.9[789]`, m)
	wg.Wait()
	m = scrape()
	assert.Contains(t, m, `vllm:time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-32B-AWQ"} 3.0`)
	assert.Contains(t, m, `vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-32B-AWQ"} 0.0`)
}
