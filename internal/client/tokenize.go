package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Tokenized is what vLLM's POST /tokenize said about a chat prompt.
type Tokenized struct {
	// Count is the prompt's tokens under the model's chat template.
	Count int
	// Status is the HTTP status (0: no answer); Absent reports a server
	// without the endpoint (404, 405, or no answer at all).
	Status int
	Absent bool
	// Err says what went wrong, one line, the key never in it.
	Err string
}

// Tokenize asks the server's /tokenize (vLLM's, at the server root, not
// under /v1: vllm/entrypoints/openai/api_server.py, request
// TokenizeChatRequest in protocol.py, vllm-project/vllm@ec3b890c) to count
// messages as a chat completion's prompt: the chat template applied with
// the generation prompt, as usage.prompt_tokens counts it.
func (c *Client) Tokenize(ctx context.Context, model string, msgs []fixture.Message, tools []fixture.Tool) Tokenized {
	endpoint := endpointURL(c.cfg.BaseURL, "tokenize")
	body := map[string]any{"model": model, "messages": msgs, "add_generation_prompt": true}
	if len(tools) > 0 {
		body["tools"] = tools
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Tokenized{Err: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return Tokenized{Err: c.redact.String(err.Error()), Absent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderRequestID, newRequestID())
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Tokenized{Err: c.redact.String(rootMsg(err)), Absent: true}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	out := Tokenized{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		out.Absent = true
		out.Err = fmt.Sprintf("HTTP %d: the server has no /tokenize", resp.StatusCode)
		return out
	}
	if resp.StatusCode != http.StatusOK {
		out.Err = c.redact.String(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, oneLine(string(raw), 120)))
		return out
	}
	var tr struct {
		Count  *int  `json:"count"`
		Tokens []int `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &tr); err != nil || (tr.Count == nil && tr.Tokens == nil) {
		out.Err = "the /tokenize answer has no count: " + c.redact.String(oneLine(string(raw), 120))
		return out
	}
	if tr.Count != nil {
		out.Count = *tr.Count
	} else {
		out.Count = len(tr.Tokens)
	}
	return out
}

// endpointURL is path at the server root of an OpenAI base URL (".../v1"
// without "v1"), the base URL's query kept (a gateway token).
func endpointURL(base, path string) string {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1") + "/" + path
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v1") + "/" + path
	u.RawPath = ""
	return u.String()
}
