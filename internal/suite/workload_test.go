package suite

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// bpeCount stands in for a real tokenizer behind vLLM's /tokenize: a
// chat template of 11 tokens, one token per word, a second one for words
// of more than 6 letters (a BPE vocabulary splits the rarer, longer
// words), and the answer shape of TokenizeResponse
// (vllm/entrypoints/serve/tokenize/protocol.py: count, max_model_len,
// tokens).
func bpeCount(text string) int {
	n := 11
	for _, w := range strings.Fields(text) {
		n++
		if len(w) > 6 {
			n++
		}
	}
	return n
}

// TestCalibrationByTokenize: prompts built for the demo trace, calibrated
// by /tokenize on a tokenizer that is not one token per word, count
// within 2 % of the trace's input lengths in all.
func TestCalibrationByTokenize(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
			Kwargs   map[string]any             `json:"chat_template_kwargs"`
		}
		if r.URL.Path != "/tokenize" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) != 1 {
			http.NotFound(w, r)
			return
		}
		assert.Equal(t, false, req.Kwargs["enable_thinking"], "counted with the load runs' template: thinking off")
		n := bpeCount(req.Messages[0].Content)
		_ = json.NewEncoder(w).Encode(map[string]any{"count": n, "max_model_len": 32768, "tokens": make([]int, n)})
	}))
	t.Cleanup(srv.Close)
	tr, err := trace.Load(config.FromRoot("traces/demo.jsonl"))
	require.NoError(t, err)
	c, err := client.New(client.Config{BaseURL: srv.URL + "/v1"})
	require.NoError(t, err)
	r := &Run{Cfg: config.Default(), Client: c, replay: &replay{trace: tr}, log: func(string) {}}
	r.Cfg.BaseURL = srv.URL + "/v1"
	b, err := r.calibration(context.Background(), "TestCalibration")
	require.NoError(t, err)
	cal := b.Calibration()
	assert.Equal(t, "tokenize", cal.Source)
	assert.Equal(t, []string{"/tokenize", "/tokenize"}, paths, "two counts, beside /v1, no probe request")
	assert.Greater(t, cal.TokensPerWord, 1.05, "the long words count twice")
	var asked, diff float64
	for _, l := range tr.Requests {
		got := bpeCount(b.Messages(l)[0].Content)
		asked += float64(l.InputLength)
		diff += math.Abs(float64(got - l.InputLength))
	}
	t.Logf("calibration %.3f tokens/word + %.1f; built prompts off the trace's lengths by %.2f %% in all", cal.TokensPerWord, cal.Overhead, 100*diff/asked)
	assert.Less(t, diff/asked, 0.02)
}

func TestTokenizeURL(t *testing.T) {
	assert.Equal(t, "http://gpu:8000/tokenize", TokenizeURL("http://user:pw@gpu:8000/v1/"))
	assert.Equal(t, "https://gw/llm/tokenize", TokenizeURL("https://gw/llm/v1?x=1"))
	assert.Empty(t, TokenizeURL("gpu:8000"))
}
