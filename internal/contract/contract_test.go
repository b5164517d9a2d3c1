package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// The 400 bodies are vLLM's: the nested OpenAI shape of vLLM >= 0.10.2
// (VLLMValidationError with its parameter, vllm/sampling_params.py at
// vllm-project/vllm@ec3b890c) and the older flat ErrorResponse.
func TestJudgeParam(t *testing.T) {
	topP := Params[1]
	ok := &record.Record{Status: 200}
	for _, tc := range []struct {
		name  string
		rec   record.Record
		after *record.Record
		want  sidecar.Outcome
		code  diagnosis.Code
	}{
		{"nested 400 naming param", record.Record{Status: 400, Body: `{"error":{"message":"top_p must be in (0, 1], got 2.0.","type":"BadRequestError","param":"top_p","code":400}}`}, ok, sidecar.Pass, ""},
		{"flat 400 naming it in the message", record.Record{Status: 400, Body: `{"object":"error","message":"top_p must be in (0, 1], got 2.0.","type":"BadRequestError","param":null,"code":400}`}, ok, sidecar.Pass, ""},
		{"accepted", record.Record{Status: 200, FinishReason: "stop"}, nil, sidecar.Fail, diagnosis.ContractParamAccepted},
		{"500", record.Record{Status: 500, Body: `{"error":{"message":"EngineCore encountered an issue"}}`}, nil, sidecar.Fail, diagnosis.ContractParamServerError},
		{"422", record.Record{Status: 422, Body: `{"detail":[{"loc":["body","top_p"]}]}`}, nil, sidecar.Fail, diagnosis.ContractErrorShape},
		{"400 plain text", record.Record{Status: 400, Body: `Bad Request`}, ok, sidecar.Fail, diagnosis.ContractErrorShape},
		{"400 naming nothing", record.Record{Status: 400, Body: `{"error":{"message":"invalid request"}}`}, ok, sidecar.Fail, diagnosis.ContractErrorShape},
		{"unhealthy after", record.Record{Status: 400, Body: `{"error":{"message":"x","param":"top_p"}}`}, &record.Record{Status: 500, ErrorKind: record.ErrHTTP}, sidecar.Fail, diagnosis.ContractUnhealthyAfterRefusal},
		{"no answer", record.Record{ErrorKind: record.ErrUnreachable, Error: "connection refused"}, nil, sidecar.Unknown, ""},
		{"interrupted", record.Record{ErrorKind: record.ErrInterrupted}, nil, sidecar.Unknown, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := JudgeParam(topP, &tc.rec, tc.after)
			assert.Equal(t, tc.want, c.Outcome, c.Detail)
			assert.Equal(t, string(tc.code), c.Code)
			if tc.code != "" {
				assert.Equal(t, "server", c.Kind)
				assert.NotEmpty(t, c.Remedy)
			}
		})
	}
}

func TestJudgeUsage(t *testing.T) {
	assert.Equal(t, sidecar.Pass, JudgePromptTokens(&record.Record{Status: 200, PromptTokens: 17}, 17, "").Outcome)
	c := JudgePromptTokens(&record.Record{Status: 200, PromptTokens: 20}, 17, "")
	assert.Equal(t, sidecar.Fail, c.Outcome)
	assert.Contains(t, c.Detail, "+3")
	assert.Equal(t, sidecar.Unknown, JudgePromptTokens(&record.Record{Status: 200, PromptTokens: 20}, 0, "HTTP 404: the server has no /tokenize").Outcome, "no /tokenize: unknown")

	plain := &record.Record{Status: 200, Content: "Paris", PromptTokens: 17, CompletionTokens: 5}
	stream := &record.Record{Status: 200, Stream: true, Content: "Paris", PromptTokens: 17, CompletionTokens: 5, TTFTms: 3, ITLms: []float64{1, 1, 1, 1}}
	assert.Equal(t, sidecar.Pass, JudgeStreamUsage(plain, stream).Outcome)
	short := *stream
	short.CompletionTokens = 3
	assert.Equal(t, sidecar.Fail, JudgeStreamUsage(plain, &short).Outcome, "fewer tokens than token chunks")
	other := *stream
	other.CompletionTokens = 6
	assert.Equal(t, sidecar.Fail, JudgeStreamUsage(plain, &other).Outcome, "the same answer counted differently")
	none := *stream
	none.CompletionTokens, none.PromptTokens = 0, 0
	assert.Equal(t, sidecar.Fail, JudgeStreamUsage(plain, &none).Outcome, "include_usage sent, no usage")
}

// TestParamNamedAsAWord: a one-letter parameter is named only as a word.
func TestParamNamedAsAWord(t *testing.T) {
	n := Params[3]
	assert.Empty(t, shapeProblem(`{"error":{"message":"n must be at least 1","param":null}}`, n))
	assert.NotEmpty(t, shapeProblem(`{"error":{"message":"invalid request","param":null}}`, n), "the letter n inside a word names nothing")
	// llm-d-inference-sim v0.10.2 names max_tokens in words.
	assert.Empty(t, shapeProblem(`{"error":{"message":"Max completion tokens and max tokens should be positive","param":null}}`, Params[2]))
}
