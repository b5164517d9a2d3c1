package diagnosis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// recordFromBody maps a recorded response body onto a record.Record the way
// the client does: a 2xx chat.completion fills choices[0].message.{content,
// reasoning_content|reasoning, tool_calls}, finish_reason and usage; an error
// body becomes Status, ErrorKind http and Body.
//
// Test files may carry fields starting with "_" that are not on the wire:
// _source (where the body comes from), _status (the HTTP status; 200 when
// absent), _max_tokens (the budget the request sent), _tool_choice and
// _thinking (the request's tool_choice and enable_thinking). They are stripped
// before the body is interpreted. recordFromBody never panics; a body that is
// not a chat completion is an error (fuzzed input) or a decode record.
func recordFromBody(data []byte) (*record.Record, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	r := &record.Record{Status: 200}
	if s, ok := raw["_status"]; ok {
		if err := json.Unmarshal(s, &r.Status); err != nil {
			return nil, fmt.Errorf("_status: %w", err)
		}
	}
	if m, ok := raw["_max_tokens"]; ok {
		if err := json.Unmarshal(m, &r.MaxTokens); err != nil {
			return nil, fmt.Errorf("_max_tokens: %w", err)
		}
	}
	if c, ok := raw["_tool_choice"]; ok {
		if err := json.Unmarshal(c, &r.ToolChoice); err != nil {
			return nil, fmt.Errorf("_tool_choice: %w", err)
		}
	}
	if th, ok := raw["_thinking"]; ok {
		if err := json.Unmarshal(th, &r.Thinking); err != nil {
			return nil, fmt.Errorf("_thinking: %w", err)
		}
	}
	for k := range raw {
		if strings.HasPrefix(k, "_") {
			delete(raw, k)
		}
	}
	wire, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	if r.Status < 200 || r.Status >= 300 {
		r.ErrorKind, r.Body = record.ErrHTTP, string(wire)
		return r, nil
	}
	var body struct {
		Choices []struct {
			FinishReason *string `json:"finish_reason"`
			Message      struct {
				Content          *string `json:"content"`
				ReasoningContent *string `json:"reasoning_content"`
				Reasoning        *string `json:"reasoning"`
				ToolCalls        []struct {
					Index    *int            `json:"index"`
					ID       string          `json:"id"`
					Type     string          `json:"type"`
					Function json.RawMessage `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens            int `json:"prompt_tokens"`
			CompletionTokens        int `json:"completion_tokens"`
			CompletionTokensDetails *struct {
				ReasoningTokens int `json:"reasoning_tokens"`
			} `json:"completion_tokens_details"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(wire, &body); err != nil || len(body.Choices) == 0 {
		r.ErrorKind, r.Body = record.ErrDecode, string(wire)
		r.Error = "not a chat.completion body"
		return r, nil
	}
	c := body.Choices[0]
	if c.FinishReason != nil {
		r.FinishReason = *c.FinishReason
	}
	if m := c.Message.Content; m != nil {
		r.Content = *m
	}
	switch {
	case c.Message.Reasoning != nil:
		r.Reasoning = *c.Message.Reasoning
	case c.Message.ReasoningContent != nil:
		r.Reasoning = *c.Message.ReasoningContent
	}
	for i, tc := range c.Message.ToolCalls {
		call := record.ToolCall{Index: i, ID: tc.ID, Type: tc.Type}
		if tc.Index != nil {
			call.Index = *tc.Index
		}
		var fn *struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		}
		if len(bytes.TrimSpace(tc.Function)) == 0 || json.Unmarshal(tc.Function, &fn) != nil || fn == nil {
			call.NullFunction = true
		} else {
			call.Name, call.Arguments = fn.Name, fn.Arguments
		}
		r.ToolCalls = append(r.ToolCalls, call)
	}
	if u := body.Usage; u != nil {
		r.PromptTokens, r.CompletionTokens = u.PromptTokens, u.CompletionTokens
		if u.CompletionTokensDetails != nil {
			r.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
		}
	}
	return r, nil
}

func loadRecord(name string) (*record.Record, error) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		return nil, err
	}
	return recordFromBody(data)
}
