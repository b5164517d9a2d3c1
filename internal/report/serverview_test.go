package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestServerViewSection: a stability run whose server view says vLLM's own
// TTFT sat in (20, 40] ms while the client's median was 20 ms more, with a
// prefix cache half hit: the section shows both sides, the gap, the queue
// and the hit rate, and the chart sets the two CDFs side by side.
func TestServerViewSection(t *testing.T) {
	m, recs := fixture(t)
	hit := 0.5
	h := &sidecar.Histogram{Count: 10, Sum: 0.25, Buckets: []sidecar.HistogramBucket{{LE: 0.02, Count: 0}, {LE: 0.04, Count: 10}, {LE: 0.06, Count: 10}}}
	m.Stability.Runs[0].ServerView = &sidecar.ServerView{
		Available: true, Requests: 10, ClientRequests: 10,
		TTFTms:             &sidecar.ServerLatency{N: 10, Mean: 25, P50: 30, P90: 38, P99: 39.8, P50Low: 20, P50High: 40, Histogram: h},
		QueueMs:            &sidecar.ServerLatency{N: 10, Mean: 0.5, P50: 0.1, P99: 3, P50High: 300},
		Gap:                &sidecar.ClientServerGap{TTFTShiftMs: 20, ShiftAt: 0.5, TTFTMeanMs: 21, TTFTP50Ms: 15},
		Note:               "not published: vllm:e2e_request_latency_seconds",
		PrefixCacheQueries: 2000, PrefixCacheHits: 1000, PrefixCacheHitRate: &hit,
	}
	m.Concurrency.Runs[0].ServerView = &sidecar.ServerView{Note: "no /metrics: HTTP 404"}
	var b strings.Builder
	require.NoError(t, Markdown(&b, m, recs))
	md := b.String()
	i := strings.Index(md, "## The server's own view")
	require.Positive(t, i, "the section is there")
	sec := md[i:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	assert.Contains(t, sec, "| mixed | 10/10 |")
	assert.Contains(t, sec, "30.0 ms [20–40]", "the server's median with the bucket that holds it")
	assert.Contains(t, sec, "+20.0 ms", "the gap")
	assert.Contains(t, sec, "50.0 % of 2000 tokens", "the prefix-cache hit rate")
	assert.Contains(t, sec, "0.5 ms / 3.0 ms", "the queue")
	assert.Contains(t, sec, "not published: vllm:e2e_request_latency_seconds")
	assert.Contains(t, sec, "HTTP 404", "a run without /metrics says why")

	dir := t.TempDir()
	files, err := Charts(dir, m, recs)
	require.NoError(t, err)
	var found bool
	for _, f := range files {
		if filepath.Base(f) == "server-view-mixed-ttft-cdf.svg" {
			found = true
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			text := svgDoc(t, data)
			assert.Contains(t, text, "vLLM's own, at its bucket bounds (n=10)")
			assert.Contains(t, text, "client (n=")
		}
	}
	assert.True(t, found, "the chart is drawn: %v", files)
}
