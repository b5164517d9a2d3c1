package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// weatherYAML is a small scenario in the fixtures' format: one call with
// every kind of matcher the simulator derives values from, then an answer.
const weatherYAML = `
purpose: sim test
category: multi_turn
messages:
  - role: user
    content: "What is the weather in Paris, in celsius?"
tools:
  - type: function
    function:
      name: get_weather
      parameters:
        type: object
        properties:
          location: {type: string}
          unit: {type: string, enum: [celsius, fahrenheit]}
          days: {type: integer}
          note: {type: string}
        required: [location, unit]
  - type: function
    function:
      name: web_search
      parameters:
        type: object
        properties:
          q: {type: string}
        required: [q]
steps:
  - calls:
      - name: get_weather
        args:
          location: Paris
          unit: {one_of: [celsius, c]}
          days: {number: 3}
          note: {regex: '^n', example: "nice"}
    results:
      get_weather: "Paris: 21 degrees celsius"
  - no_call: true
    answer_contains: ["21"]
`

func scenario(t *testing.T) *fixture.Scenario {
	t.Helper()
	sc, err := fixture.Parse([]byte(weatherYAML), "weather.yaml")
	require.NoError(t, err)
	return sc
}

func serve(t *testing.T, spec string, opts ...Option) (*Server, string) {
	t.Helper()
	p, err := Lookup(spec)
	require.NoError(t, err)
	s := New(p, []*fixture.Scenario{scenario(t)}, opts...)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// body builds a request for the test scenario.
func body(t *testing.T, stream bool, mod func(m map[string]any)) map[string]any {
	sc := scenario(t)
	m := map[string]any{
		"model":      DefaultModel,
		"messages":   []any{map[string]any{"role": "user", "content": sc.Messages[0].Content}},
		"tools":      json.RawMessage(sc.ToolsJSON()),
		"max_tokens": 1024,
		"stream":     stream,
	}
	if stream {
		m["stream_options"] = map[string]any{"include_usage": true}
	}
	if mod != nil {
		mod(m)
	}
	return m
}

func post(t *testing.T, url string, v any, hdr ...string) *http.Response {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// completion mirrors the non-streamed body, decoded with encoding/json.
type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role             string          `json:"role"`
			Content          *string         `json:"content"`
			ReasoningContent *string         `json:"reasoning_content"`
			Reasoning        *string         `json:"reasoning"`
			ToolCalls        []wireToolCall  `json:"tool_calls"`
			Raw              json.RawMessage `json:"-"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

type wireToolCall struct {
	Index    *int            `json:"index"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Function json.RawMessage `json:"function"`
}

type wireFunction struct {
	Name      *string `json:"name"`
	Arguments string  `json:"arguments"`
}

func (c wireToolCall) fn(t *testing.T) wireFunction {
	var f wireFunction
	require.NoError(t, json.Unmarshal(c.Function, &f))
	return f
}

func plain(t *testing.T, url string, v any) completion {
	t.Helper()
	resp := post(t, url, v)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var c completion
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	require.Len(t, c.Choices, 1)
	return c
}

// chunk is one streamed event.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role             *string        `json:"role"`
			Content          *string        `json:"content"`
			ReasoningContent *string        `json:"reasoning_content"`
			ToolCalls        []wireToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// sse reads a whole stream: the decoded chunks and whether [DONE] came.
func sse(t *testing.T, r io.Reader) ([]chunk, bool) {
	t.Helper()
	var out []chunk
	done := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		require.True(t, ok, "SSE line %q", line)
		require.False(t, done, "nothing after [DONE]")
		if data == "[DONE]" {
			done = true
			continue
		}
		var c chunk
		require.NoError(t, json.Unmarshal([]byte(data), &c), data)
		out = append(out, c)
	}
	return out, done
}

// streamed is a reassembled stream.
type streamed struct {
	chunks    []chunk
	done      bool
	content   string
	reasoning string
	finishes  []string
	calls     map[int]*struct{ id, name, args string }
	names     map[int]int
	ids       map[int][]string
	usage     int
}

func streamReq(t *testing.T, url string, v any) streamed {
	t.Helper()
	resp := post(t, url, v)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	cs, done := sse(t, resp.Body)
	s := streamed{chunks: cs, done: done, calls: map[int]*struct{ id, name, args string }{}, names: map[int]int{}, ids: map[int][]string{}}
	for _, c := range cs {
		if c.Usage != nil {
			s.usage = c.Usage.CompletionTokens
		}
		for _, ch := range c.Choices {
			d := ch.Delta
			if d.Content != nil {
				s.content += *d.Content
			}
			if d.ReasoningContent != nil {
				s.reasoning += *d.ReasoningContent
			}
			for _, tc := range d.ToolCalls {
				require.NotNil(t, tc.Index)
				cl := s.calls[*tc.Index]
				if cl == nil {
					cl = &struct{ id, name, args string }{}
					s.calls[*tc.Index] = cl
				}
				if tc.ID != "" {
					s.ids[*tc.Index] = append(s.ids[*tc.Index], tc.ID)
					cl.id = tc.ID
				}
				if string(tc.Function) == "null" {
					continue
				}
				f := tc.fn(t)
				if f.Name != nil {
					s.names[*tc.Index]++
					cl.name = *f.Name
				}
				cl.args += f.Arguments
			}
			if ch.FinishReason != nil {
				s.finishes = append(s.finishes, *ch.FinishReason)
			}
		}
	}
	return s
}

func decodeArgs(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

var wantArgs = map[string]any{"location": "Paris", "unit": "celsius", "days": 3.0, "note": "nice"}

func TestHealthyPlain(t *testing.T) {
	t.Parallel()
	s, url := serve(t, "healthy")
	c := plain(t, url, body(t, false, nil))
	assert.True(t, strings.HasPrefix(c.ID, "chatcmpl-"))
	assert.Equal(t, "chat.completion", c.Object)
	assert.Equal(t, DefaultModel, c.Model)
	ch := c.Choices[0]
	assert.Equal(t, "tool_calls", ch.FinishReason)
	assert.Nil(t, ch.Message.Content, "content is null with tool calls")
	require.NotNil(t, ch.Message.ReasoningContent, "Qwen3 reasons by default")
	assert.NotEmpty(t, *ch.Message.ReasoningContent)
	assert.Nil(t, ch.Message.Reasoning, "reasoning_field defaults to reasoning_content only")
	require.Len(t, ch.Message.ToolCalls, 1)
	tc := ch.Message.ToolCalls[0]
	assert.True(t, strings.HasPrefix(tc.ID, "chatcmpl-tool-"))
	assert.Equal(t, "function", tc.Type)
	f := tc.fn(t)
	assert.Equal(t, "get_weather", *f.Name)
	assert.Equal(t, wantArgs, decodeArgs(t, f.Arguments))
	assert.Contains(t, f.Arguments, `"location": "Paris"`, "Python json.dumps separators, like vLLM's hermes parser")
	assert.Positive(t, c.Usage.PromptTokens)
	assert.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
	assert.Equal(t, 1, s.Requests())

	// Step 2: the call and its result are in the history, so: the answer.
	c = plain(t, url, body(t, false, func(m map[string]any) {
		m["messages"] = append(m["messages"].([]any),
			map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": tc.ID, "type": "function", "function": map[string]any{"name": "get_weather", "arguments": f.Arguments}}}},
			map[string]any{"role": "tool", "tool_call_id": tc.ID, "content": "Paris: 21 degrees celsius"})
		m["chat_template_kwargs"] = map[string]any{"enable_thinking": false}
	}))
	ch = c.Choices[0]
	assert.Equal(t, "stop", ch.FinishReason)
	require.NotNil(t, ch.Message.Content)
	assert.Contains(t, *ch.Message.Content, "21")
	assert.Empty(t, ch.Message.ToolCalls)
	assert.Nil(t, ch.Message.ReasoningContent, "enable_thinking false: no reasoning")
}

func TestHealthyStream(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy")
	s := streamReq(t, url, body(t, true, nil))
	require.True(t, s.done, "ends with [DONE]")
	first := s.chunks[0]
	require.Len(t, first.Choices, 1)
	require.NotNil(t, first.Choices[0].Delta.Role)
	assert.Equal(t, "assistant", *first.Choices[0].Delta.Role)
	require.NotNil(t, first.Choices[0].Delta.Content)
	assert.Equal(t, "", *first.Choices[0].Delta.Content)
	for _, c := range s.chunks {
		assert.Equal(t, s.chunks[0].ID, c.ID, "one id for every chunk")
		assert.Equal(t, "chat.completion.chunk", c.Object)
	}
	last := s.chunks[len(s.chunks)-1]
	assert.Empty(t, last.Choices, "the usage chunk has choices []")
	require.NotNil(t, last.Usage)
	assert.Equal(t, []string{"tool_calls"}, s.finishes)
	assert.NotEmpty(t, s.reasoning)
	assert.Empty(t, s.content)
	require.Len(t, s.calls, 1)
	assert.Equal(t, "get_weather", s.calls[0].name)
	assert.Equal(t, 1, s.names[0], "name sent once")
	assert.Len(t, s.ids[0], 1, "vLLM style: id only in the first delta")
	assert.Equal(t, wantArgs, decodeArgs(t, s.calls[0].args))

	// The stream and the plain answer agree on tokens.
	c := plain(t, url, body(t, false, nil))
	assert.Equal(t, c.Usage.CompletionTokens, s.usage)
	assert.Equal(t, *c.Choices[0].Message.ReasoningContent, s.reasoning)
}

func TestLLMDStyle(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy?style=llmd")
	s := streamReq(t, url, body(t, true, nil))
	require.Len(t, s.calls, 1)
	assert.Equal(t, 1, s.names[0], "name null after the first chunk")
	assert.Greater(t, len(s.ids[0]), 1, "every chunk repeats the id")
	for _, id := range s.ids[0] {
		assert.Equal(t, s.ids[0][0], id)
	}
	assert.Equal(t, wantArgs, decodeArgs(t, s.calls[0].args))
}

func TestGenericAnswers(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy")
	t.Run("no tools: exactly max_tokens", func(t *testing.T) {
		c := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "Tell me a story"}}, "max_tokens": 40})
		assert.Equal(t, "length", c.Choices[0].FinishReason)
		assert.Equal(t, 40, c.Usage.CompletionTokens)
		s := streamReq(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "Tell me a story"}}, "max_tokens": 40, "stream": true,
			"stream_options": map[string]any{"include_usage": true}, "chat_template_kwargs": map[string]any{"enable_thinking": false}})
		assert.Equal(t, 40, s.usage)
		assert.Len(t, strings.Fields(s.content), 40)
		tokens := 0
		for _, c := range s.chunks {
			for _, ch := range c.Choices {
				if ch.Delta.Content != nil && *ch.Delta.Content != "" {
					tokens++
				}
			}
		}
		assert.Equal(t, 40, tokens, "one chunk per token")
	})
	t.Run("no max_tokens: 16, stop", func(t *testing.T) {
		c := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}})
		assert.Equal(t, "stop", c.Choices[0].FinishReason)
		assert.Equal(t, 16, c.Usage.CompletionTokens)
	})
	t.Run("prompt grows with the conversation", func(t *testing.T) {
		short := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}})
		long := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"},
			map[string]any{"role": "assistant", "content": "hello there friend"}, map[string]any{"role": "user", "content": "and now?"}}})
		assert.Greater(t, long.Usage.PromptTokens, short.Usage.PromptTokens)
	})
	tools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "first", "parameters": map[string]any{"type": "object"}}},
		map[string]any{"type": "function", "function": map[string]any{"name": "ship", "parameters": map[string]any{
			"type": "object",
			"$defs": map[string]any{"Addr": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"},
				"zip": map[string]any{"type": "string"}}, "required": []any{"city"}}},
			"properties": map[string]any{
				"to":    map[string]any{"$ref": "#/$defs/Addr"},
				"mode":  map[string]any{"type": "string", "enum": []any{"air", "sea"}},
				"items": map[string]any{"type": "array", "items": map[string]any{"type": "integer"}},
				"opt":   map[string]any{"type": "string"},
			},
			"required": []any{"to", "mode", "items"},
		}}}}
	t.Run("unknown request, named tool: schema-generated arguments", func(t *testing.T) {
		c := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "ship it"}}, "tools": tools,
			"tool_choice": map[string]any{"type": "function", "function": map[string]any{"name": "ship"}}})
		require.Len(t, c.Choices[0].Message.ToolCalls, 1)
		f := c.Choices[0].Message.ToolCalls[0].fn(t)
		assert.Equal(t, "ship", *f.Name)
		assert.Equal(t, map[string]any{"to": map[string]any{"city": "example"}, "mode": "air", "items": []any{1.0}}, decodeArgs(t, f.Arguments))
		assert.Equal(t, "stop", c.Choices[0].FinishReason, "vLLM: named tool choice finishes stop")
	})
	t.Run("unknown request, auto: first tool", func(t *testing.T) {
		c := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "do it"}}, "tools": tools})
		require.Len(t, c.Choices[0].Message.ToolCalls, 1)
		assert.Equal(t, "first", *c.Choices[0].Message.ToolCalls[0].fn(t).Name)
		assert.Equal(t, "tool_calls", c.Choices[0].FinishReason)
	})
	t.Run("tool_choice none: prose", func(t *testing.T) {
		c := plain(t, url, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "do it"}}, "tools": tools, "tool_choice": "none"})
		assert.Empty(t, c.Choices[0].Message.ToolCalls)
		assert.NotEmpty(t, *c.Choices[0].Message.Content)
	})
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy")
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, b
	}
	resp, b := get("/v1/models")
	require.Equal(t, 200, resp.StatusCode)
	var models struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object, OwnedBy, Root string
			MaxModelLen               int `json:"max_model_len"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &models))
	assert.Equal(t, "list", models.Object)
	require.Len(t, models.Data, 1)
	assert.Equal(t, DefaultModel, models.Data[0].ID)
	assert.Equal(t, 32768, models.Data[0].MaxModelLen)
	assert.Contains(t, string(b), `"owned_by":"vllm"`)

	resp, b = get("/health")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, b)
	_, b = get("/version")
	assert.JSONEq(t, `{"version":"0.0.0-vllm-acceptance-sim"}`, string(b))

	resp = post(t, url, body(t, false, func(m map[string]any) { m["model"] = "Qwen/Qwen3-8B" }))
	assert.Equal(t, 404, resp.StatusCode)
	b, _ = io.ReadAll(resp.Body)
	assert.JSONEq(t, "{\"object\":\"error\",\"message\":\"The model `Qwen/Qwen3-8B` does not exist.\",\"type\":\"NotFoundError\",\"param\":null,\"code\":404}", string(b))
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy", WithAPIKey("sekrit"))
	resp := post(t, url, body(t, false, nil))
	assert.Equal(t, 401, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"error":"Unauthorized"}`, string(b))
	resp = post(t, url, body(t, false, nil), "Authorization", "Bearer wrong")
	assert.Equal(t, 401, resp.StatusCode)
	resp = post(t, url, body(t, false, nil), "Authorization", "Bearer sekrit")
	assert.Equal(t, 200, resp.StatusCode)
	h, err := http.Get(url + "/health")
	require.NoError(t, err)
	h.Body.Close()
	assert.Equal(t, 200, h.StatusCode, "like vLLM, only /v1 needs the key")
}

func TestLookup(t *testing.T) {
	t.Parallel()
	p, err := Lookup("healthy?ttft=200ms&itl=5ms&noise=0.3&seed=7&ramp=0.4")
	require.NoError(t, err)
	assert.Equal(t, 200*time.Millisecond, p.TTFT)
	assert.Equal(t, 5*time.Millisecond, p.ITL)
	assert.Equal(t, 0.3, p.Noise)
	assert.Equal(t, uint64(7), p.Seed)
	assert.Equal(t, 0.4, p.Ramp)
	assert.Equal(t, 20, p.RampRequests)
	assert.Equal(t, "vllm", p.Style)

	p, err = Lookup("noisy?seed=3")
	require.NoError(t, err)
	assert.Equal(t, 0.3, p.Noise, "the persona's own values stay")
	assert.Equal(t, uint64(3), p.Seed)

	_, err = Lookup("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hermes_leak", "lists the known personas")
	_, err = Lookup("healthy?ttft=fast")
	assert.ErrorContains(t, err, "ttft=20ms")
	_, err = Lookup("healthy?bogus=1")
	assert.ErrorContains(t, err, "unknown parameter")

	names := Names()
	assert.IsIncreasing(t, names)
	for _, n := range names {
		assert.NotEmpty(t, Describe(n), n)
		assert.NotContains(t, Describe(n), "\n", n)
		_, err := Lookup(n)
		assert.NoError(t, err, n)
	}
}

func TestRequestsCountsChat(t *testing.T) {
	t.Parallel()
	s, url := serve(t, "server_error")
	for range 3 {
		resp := post(t, url, body(t, false, nil))
		assert.Equal(t, 500, resp.StatusCode)
	}
	assert.Equal(t, 3, s.Requests())
}
