package client

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkedTransport answers every request with body, delivered in pieces
// whose boundaries come from seed: the same bytes, cut differently.
type chunkedTransport struct {
	body string
	seed uint64
}

type chunkReader struct {
	rest string
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.rest == "" {
		return 0, io.EOF
	}
	n := 1 + c.rng.IntN(min(len(c.rest), 64))
	n = min(n, len(p))
	copy(p, c.rest[:n])
	c.rest = c.rest[n:]
	return n, nil
}

func (t chunkedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body io.Reader = strings.NewReader(t.body)
	if t.seed != 0 {
		body = &chunkReader{rest: t.body, rng: rand.New(rand.NewPCG(t.seed, t.seed^0x9e3779b97f4a7c15))}
	}
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"text/event-stream"}},
		Body:    io.NopCloser(body),
		Request: r,
	}, nil
}

func fuzzClient(t testing.TB, body string, seed uint64) *Client {
	c, err := New(Config{BaseURL: "http://fuzz.invalid/v1", Timeout: 5 * time.Second})
	require.NoError(t, err)
	c.http.Transport = chunkedTransport{body: body, seed: seed}
	return c
}

// FuzzStreamChunking: how the bytes of an SSE stream are cut into reads
// must not change what the client reassembles, and no input may panic.
func FuzzStreamChunking(f *testing.F) {
	f.Add(roleChunk+reasonChunk+toolStart+toolArgs1+toolArgs2+finish+usageChunk+done, uint64(1))
	f.Add(roleChunk+toolStart+toolArgs1, uint64(7))
	f.Add("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi <tool_call>\"}}]}\n\ndata: [DONE]\n\n", uint64(3))
	f.Add("event: x\ndata: {}\n\n:comment\n\ndata: [DONE]", uint64(99))
	// Malformed calls (issue 10): an index-less delta, object arguments,
	// no id, a wrong type, no usage, a huge arguments piece.
	f.Add(roleChunk+strings.Replace(toolArgs1, `"index":0,`, "", 1)+finish+done, uint64(5))
	f.Add(roleChunk+strings.Replace(toolStart, `"arguments":""`, `"arguments":{"a":1}`, 1)+finish+usageChunk+done, uint64(11))
	f.Add(roleChunk+strings.Replace(strings.Replace(toolStart, `"id":"call_1",`, "", 1), `"function"`, `"tool"`, 1)+toolArgs2+finish+done, uint64(13))
	f.Add(roleChunk+strings.Replace(toolArgs1, `{\"location\": `, strings.Repeat("x", 4096), 1)+finish+usageChunk+done, uint64(17))
	f.Fuzz(func(t *testing.T, body string, seed uint64) {
		if seed == 0 {
			seed = 1
		}
		whole := fuzzClient(t, body, 0).Chat(context.Background(), streamReq())
		cut := fuzzClient(t, body, seed).Chat(context.Background(), streamReq())
		assert.Equal(t, whole.ErrorKind, cut.ErrorKind)
		assert.Equal(t, whole.Content, cut.Content)
		assert.Equal(t, whole.Reasoning, cut.Reasoning)
		assert.Equal(t, whole.ToolCalls, cut.ToolCalls)
		assert.Equal(t, whole.FinishReason, cut.FinishReason)
		assert.Equal(t, whole.StreamIssues, cut.StreamIssues)
		assert.Equal(t, whole.WireIssues, cut.WireIssues)
		assert.Equal(t, whole.Chunks, cut.Chunks)
	})
}
