package scrape

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/series"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestMetricsURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "http://h:5002/v1", "http://h:5002/metrics"},
		{"trailing slash", "http://h:5002/v1/", "http://h:5002/metrics"},
		{"path prefix kept", "https://gw.example/team/vllm/v1", "https://gw.example/team/vllm/metrics"},
		{"no /v1", "http://h:8000", "http://h:8000/metrics"},
		{"credentials and query dropped", "https://user:pw@h/v1?api_key=s3cret#frag", "https://h/metrics"},
		{"v1 only at the end", "http://h/v1x/v1", "http://h/v1x/metrics"},
		{"not a URL", "gpu-box:5002", ""},
		{"empty", "", ""},
		{"other scheme", "ftp://h/v1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, MetricsURL(tc.in)) })
	}
}

// fakeVLLM serves testdata/vllm-v0.10.txt with its preemption and TTFT
// counters raised by bump, as a vLLM server under load would.
type fakeVLLM struct {
	mu     sync.Mutex
	bump   int
	status int
	auth   []string
	hits   atomic.Int32
}

func (f *fakeVLLM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", "vllm-v0.10.txt"))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	text := string(b)
	// engine 0's preemptions 4 → 4+bump; its TTFT +Inf, count and the
	// buckets from 5 s up gain bump observations of ~3 s each.
	model := `model_name="Qwen/Qwen3-30B-A3B-Instruct-2507",engine="0"`
	text = strings.Replace(text, "vllm:num_preemptions_total{"+model+"} 4.0", fmt.Sprintf("vllm:num_preemptions_total{%s} %d", model, 4+f.bump), 1)
	text = strings.Replace(text, "vllm:time_to_first_token_seconds_count{"+model+"} 14.0", fmt.Sprintf("vllm:time_to_first_token_seconds_count{%s} %d", model, 14+f.bump), 1)
	text = strings.Replace(text, "vllm:time_to_first_token_seconds_sum{"+model+"} 7.506", fmt.Sprintf("vllm:time_to_first_token_seconds_sum{%s} %g", model, 7.506+3*float64(f.bump)), 1)
	for _, le := range []string{"5.0", "7.5", "10.0", "20.0", "40.0", "80.0", "160.0", "640.0", "2560.0", "+Inf"} {
		text = strings.Replace(text, "vllm:time_to_first_token_seconds_bucket{"+model+`,le="`+le+`"} 14.0`,
			fmt.Sprintf("vllm:time_to_first_token_seconds_bucket{%s,le=%q} %d", model, le, 14+f.bump), 1)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(text))
}

func (f *fakeVLLM) set(bump, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bump, f.status = bump, status
}

func TestSamplerBeforeDuringAfter(t *testing.T) {
	f := &fakeVLLM{}
	srv := httptest.NewServer(f)
	defer srv.Close()

	s := Start(context.Background(), srv.Client(), MetricsURL(srv.URL+"/v1"), "sk-test-key-123", 5*time.Millisecond)
	f.set(2, 0) // two TTFT observations and two preemptions during the run
	require.Eventually(t, func() bool { return f.hits.Load() >= 4 }, 2*time.Second, time.Millisecond)
	sm := s.Stop()

	require.True(t, sm.Available, sm.Note)
	assert.Empty(t, sm.Note)
	assert.Equal(t, 7.0, sm.Before[KeyPreemptions])
	assert.Equal(t, 9.0, sm.After[KeyPreemptions])
	assert.Equal(t, map[string]float64{
		KeyKVCacheUsage: 0, KeyRunning: 0, KeyWaiting: 0, KeyPreemptions: 2, KeyTTFTCount: 2,
		KeyTTFTSum: sm.Delta[KeyTTFTSum],
	}, sm.Delta)
	assert.InDelta(t, 6.0, sm.Delta[KeyTTFTSum], 1e-9)

	require.NotNil(t, sm.TTFT, "the run's own TTFT histogram")
	assert.Equal(t, 2.0, sm.TTFT.Count)
	for _, b := range sm.TTFT.Buckets {
		want := 0.0
		if b.LE >= 5 {
			want = 2
		}
		assert.Equal(t, want, b.Count, "le=%g", b.LE)
	}

	require.GreaterOrEqual(t, len(sm.Series), 3, "before, at least one during, after")
	assert.Equal(t, 7.0, sm.Series[0].Preemptions)
	assert.Equal(t, 9.0, sm.Series[len(sm.Series)-1].Preemptions)
	assert.Equal(t, 26.0, sm.Series[len(sm.Series)-1].TTFTCount)

	f.mu.Lock()
	for _, a := range f.auth {
		assert.Equal(t, "Bearer sk-test-key-123", a, "every scrape carries the API key")
	}
	f.mu.Unlock()

	c := PreemptionCheck(sm)
	assert.False(t, c.Passed)
	assert.False(t, c.Skipped)
	assert.Equal(t, 2.0, c.Value)
	assert.Contains(t, c.Detail, "preempted 2 request(s)")

	assert.Equal(t, sm, s.Stop(), "Stop is idempotent")
}

func TestSamplerUnavailable(t *testing.T) {
	type testCase struct {
		name    string
		handler http.HandlerFunc
		url     func(srv *httptest.Server) string
		note    string
	}
	run := func(t *testing.T, tc testCase) {
		srv := httptest.NewServer(tc.handler)
		defer srv.Close()
		url := srv.URL + "/metrics"
		if tc.url != nil {
			url = tc.url(srv)
		}
		sm := Start(context.Background(), srv.Client(), url, "sk-secret-abcdef", time.Hour).Stop()
		assert.False(t, sm.Available)
		assert.Contains(t, sm.Note, tc.note)
		assert.True(t, strings.HasPrefix(sm.Note, "no /metrics: "), sm.Note)
		assert.NotContains(t, sm.Note, "sk-secret-abcdef", "the key never shows")
		assert.Empty(t, sm.Series)

		c := PreemptionCheck(sm)
		assert.True(t, c.Skipped, "a missing /metrics is noted, never failed")
		assert.False(t, c.Passed, "preemptions are unknown, not a pass")
		assert.Contains(t, c.Detail, "preemptions unknown")
	}
	for _, tc := range []testCase{
		{
			name:    "404, e.g. a gateway or another server",
			handler: http.NotFound,
			note:    "HTTP 404",
		},
		{
			name:    "401",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
			note:    "check VLLM_API_KEY",
		},
		{
			name: "HTML page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte("<html><body>hello</body></html>"))
			},
			note: "text/html, not Prometheus text",
		},
		{
			name: "garbage as text/plain",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("this is { not metrics\n"))
			},
			note: "not Prometheus text",
		},
		{
			name: "Prometheus text of another server",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("# TYPE go_goroutines gauge\ngo_goroutines 8\n"))
			},
			note: "no vllm: metrics",
		},
		{
			name:    "unreachable",
			handler: http.NotFound,
			url: func(srv *httptest.Server) string {
				u := srv.URL + "/metrics"
				srv.Close()
				return u
			},
			note: "connection refused",
		},
		{
			name:    "no URL",
			handler: http.NotFound,
			url:     func(*httptest.Server) string { return MetricsURL("not a url") },
			note:    "no usable base URL",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestSamplerAfterFails(t *testing.T) {
	f := &fakeVLLM{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := Start(context.Background(), srv.Client(), srv.URL+"/metrics", "", time.Hour)
	f.set(0, http.StatusServiceUnavailable)
	sm := s.Stop()
	require.True(t, sm.Available, "the before scrape worked")
	assert.NotEmpty(t, sm.Before)
	assert.Empty(t, sm.After)
	assert.Empty(t, sm.Delta)
	assert.Contains(t, sm.Note, "HTTP 503")
	assert.Contains(t, sm.Note, "no after-run scrape")
	c := PreemptionCheck(sm)
	assert.True(t, c.Skipped)
	assert.False(t, c.Passed, "no after-run scrape: unknown, not a pass")
}

func TestSamplerNoKeyNoHeader(t *testing.T) {
	f := &fakeVLLM{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	Start(context.Background(), srv.Client(), srv.URL+"/metrics", "", time.Hour).Stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.auth)
	for _, a := range f.auth {
		assert.Empty(t, a)
	}
}

func TestSamplerSeriesIsBounded(t *testing.T) {
	s := &Sampler{cfg: Config{MaxSamples: 16}, series: series.Series[sidecar.ServerSample]{Max: 16}}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 500; i++ {
		s.add(sidecar.ServerSample{T: base.Add(time.Duration(i) * time.Second), Running: float64(i)})
	}
	series := s.series.Items()
	assert.LessOrEqual(t, len(series), 16)
	assert.GreaterOrEqual(t, len(series), 8)
	assert.Equal(t, 0.0, series[0].Running)
	for i := 1; i < len(series); i++ {
		assert.True(t, series[i].T.After(series[i-1].T))
	}
}

func TestPreemptionCheck(t *testing.T) {
	type testCase struct {
		name    string
		sm      sidecar.ServerMetrics
		passed  bool
		skipped bool
	}
	run := func(t *testing.T, tc testCase) {
		c := PreemptionCheck(tc.sm)
		assert.Equal(t, sidecar.CheckPreemptions, c.Name)
		assert.Equal(t, tc.passed, c.Passed, c.Detail)
		assert.Equal(t, tc.skipped, c.Skipped, c.Detail)
		assert.NotEmpty(t, c.Detail)
	}
	both := func(before, after float64) sidecar.ServerMetrics {
		return sidecar.ServerMetrics{
			Available: true,
			Before:    map[string]float64{KeyPreemptions: before},
			After:     map[string]float64{KeyPreemptions: after},
			Delta:     map[string]float64{KeyPreemptions: after - before},
		}
	}
	for _, tc := range []testCase{
		{name: "none during the run, some before it", sm: both(5, 5), passed: true},
		{name: "one during the run", sm: both(5, 6), passed: false},
		{name: "counter went down: restart", sm: both(5, 0), passed: false},
		{name: "unavailable", sm: sidecar.ServerMetrics{Note: "no /metrics: HTTP 404"}, passed: false, skipped: true},
		{name: "no vllm: series", sm: sidecar.ServerMetrics{Note: "no /metrics: " + ErrNoVLLMMetrics.Error()}, passed: false, skipped: true},
		{name: "server lacks the counter", sm: sidecar.ServerMetrics{Available: true, Delta: map[string]float64{KeyRunning: 0}}, passed: false, skipped: true},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
