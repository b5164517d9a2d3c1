package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func toks(n int, tag string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", tag, i)
	}
	return out
}

func TestPromptSeqMatchesPromptTokens(t *testing.T) {
	t.Parallel()
	var req chatRequest
	require.NoError(t, json.Unmarshal([]byte(`{"messages":[{"role":"system","content":"be brief"},
		{"role":"user","content":[{"type":"text","text":"what is the weather"}]},
		{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":"{\"location\": \"Paris\"}"}}]},
		{"role":"tool","content":"21 C"}],
		"tools":[{"type":"function","function":{"name":"get_weather","description":"current weather in a city"}}]}`), &req))
	assert.Len(t, req.promptSeq(), req.promptTokens(), "the cache hashes the same tokens usage counts")
}

func TestPrefixCache(t *testing.T) {
	t.Parallel()
	type step struct {
		tokens []string
		hit    int
	}
	shared := toks(40, "s")
	run := func(t *testing.T, max int, steps []step) *prefixCache {
		c := newPrefixCache(max)
		for i, st := range steps {
			assert.Equal(t, st.hit, c.lookup(st.tokens), "step %d", i)
		}
		return c
	}
	t.Run("a repeated prompt hits its whole blocks but the one holding its last token", func(t *testing.T) {
		c := run(t, 100, []step{{shared, 0}, {shared, 32}})
		st := c.snapshot()
		assert.Equal(t, PrefixStats{Queries: 80, Hits: 32, Blocks: 2}, st)
	})
	t.Run("a shared prefix hits up to the first differing block", func(t *testing.T) {
		other := append(append([]string{}, shared[:20]...), toks(30, "o")...)
		run(t, 100, []step{{shared, 0}, {other, 16}})
	})
	t.Run("a prefix is keyed by everything before it", func(t *testing.T) {
		// Same second block, different first: no hit at all (chained hashes).
		a := append(toks(16, "a"), toks(20, "x")...)
		b := append(toks(16, "b"), toks(20, "x")...)
		run(t, 100, []step{{a, 0}, {b, 0}})
	})
	t.Run("the cache is bounded: least recently used blocks go first", func(t *testing.T) {
		c := run(t, 2, []step{{toks(33, "a"), 0}, {toks(33, "b"), 0}, {toks(33, "a"), 0}})
		assert.Equal(t, 2, c.snapshot().Blocks)
	})
}

// scrapeSim reads the simulator's /metrics with the Prometheus text parser.
func scrapeSim(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func longPrompt(m map[string]any) {
	m["messages"] = []any{
		map[string]any{"role": "system", "content": strings.Join(toks(200, "sys"), " ")},
		map[string]any{"role": "user", "content": "What is the weather in Paris?"},
	}
	delete(m, "tools")
	m["max_tokens"] = 16
}

func TestMetricsHistogramsAndPrefixCounters(t *testing.T) {
	t.Parallel()
	s, url := serve(t, "prefix_caching?ttft=5ms&itl=1ms")
	resp := post(t, url, body(t, true, longPrompt), "X-Request-Id", "va-test-1")
	_, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	c := plain(t, url, body(t, false, longPrompt))
	assert.True(t, strings.HasPrefix(c.ID, "chatcmpl-"))

	fams := scrapeSim(t, url)
	for _, name := range []string{histTTFT, histE2E, histQueue, histITL} {
		mf := fams[name]
		require.NotNil(t, mf, name)
		require.Equal(t, dto.MetricType_HISTOGRAM, mf.GetType(), name)
		n := mf.GetMetric()[0].GetHistogram().GetSampleCount()
		if name == histITL {
			assert.Greater(t, n, uint64(2), "one observation per gap between tokens")
			continue
		}
		assert.EqualValues(t, 2, n, name)
	}
	assert.Nil(t, fams[histTPOT], "v0.11 publishes inter_token_latency only")
	ttft := fams[histTTFT].GetMetric()[0].GetHistogram()
	assert.Greater(t, ttft.GetSampleSum(), 0.010, "two TTFTs of at least 5 ms")

	counter := func(name string) float64 {
		mf := fams[name]
		require.NotNil(t, mf, name)
		require.Equal(t, dto.MetricType_COUNTER, mf.GetType(), name)
		return mf.GetMetric()[0].GetCounter().GetValue()
	}
	own := s.PrefixCache()
	assert.Equal(t, float64(own.Queries), counter("vllm:prefix_cache_queries_total"))
	assert.Equal(t, float64(own.Hits), counter("vllm:prefix_cache_hits_total"))
	assert.Positive(t, own.Hits, "the second request shares the 200-word system prompt")
}

func TestResponseIDCarriesXRequestID(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy")
	resp := post(t, url, body(t, false, nil), "X-Request-Id", "va-abc-7")
	var c completion
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	assert.Equal(t, "chatcmpl-va-abc-7", c.ID, "vLLM: request_id = \"chatcmpl-\" + X-Request-Id")
}

func TestNoHistogramsPersona(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "no_histograms")
	plain(t, url, body(t, false, nil))
	fams := scrapeSim(t, url)
	assert.Nil(t, fams[histTTFT])
	assert.Nil(t, fams[histE2E])
	assert.NotNil(t, fams["vllm:prefix_cache_queries_total"])
	assert.NotNil(t, fams["vllm:num_requests_running"])
}

func TestVLLM010PublishesTPOT(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "healthy?vllm=0.10")
	plain(t, url, body(t, false, nil))
	fams := scrapeSim(t, url)
	assert.NotNil(t, fams[histTPOT])
	assert.Nil(t, fams[histITL])
}

// TestGatewayDelayIsOutsideTheEngine: the gateway's delay is in what the
// client waits for and not in the server's TTFT histogram.
func TestGatewayDelayIsOutsideTheEngine(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "slow_gateway?gateway=30ms&ttft=2ms")
	t0 := time.Now()
	plain(t, url, body(t, false, nil))
	assert.GreaterOrEqual(t, time.Since(t0), 32*time.Millisecond)
	h := scrapeSim(t, url)[histTTFT].GetMetric()[0].GetHistogram()
	require.EqualValues(t, 1, h.GetSampleCount())
	assert.Less(t, h.GetSampleSum(), 0.025, "the engine saw ~2 ms, not the gateway's 30 ms")
}

// TestPrefixHitSkipsPrefill: with prefill time per token, a cached prompt's
// TTFT is shorter by the prefill of its cached blocks.
func TestPrefixHitSkipsPrefill(t *testing.T) {
	t.Parallel()
	_, url := serve(t, "prefix_caching?ttft=1ms&prefill=1ms")
	ttft := func() float64 {
		before := scrapeSim(t, url)[histTTFT]
		var sum0 float64
		if before != nil {
			sum0 = before.GetMetric()[0].GetHistogram().GetSampleSum()
		}
		plain(t, url, body(t, false, longPrompt))
		return scrapeSim(t, url)[histTTFT].GetMetric()[0].GetHistogram().GetSampleSum() - sum0
	}
	miss, hit := ttft(), ttft()
	// ~215 prompt tokens: a miss pays ~215 ms of prefill, a hit only the
	// tokens after its last cached block (under 16 ms); the margin is for
	// timer noise on a loaded machine.
	assert.Greater(t, miss, 0.2)
	assert.Less(t, hit, miss/3)
}
