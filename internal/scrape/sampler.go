package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/redact"
	"github.com/vllm-acceptance/vllm-acceptance/internal/series"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// MetricsURL turns an OpenAI-compatible base URL into its /metrics URL:
// http://h:5002/v1 becomes http://h:5002/metrics and
// https://gw/team/vllm/v1/ becomes https://gw/team/vllm/metrics. A path
// without /v1 gets /metrics appended. User info, query and fragment are
// dropped: /metrics needs none of them, and credentials in a URL must not
// travel on. It returns "" for a URL it cannot use.
func MetricsURL(baseURL string) string {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	u.Path, u.RawPath = p+"/metrics", ""
	return u.String()
}

// Config of a Sampler. Zero fields take the defaults noted.
type Config struct {
	// Client does the requests. Default: a client with a 10 s timeout.
	Client *http.Client
	// URL of /metrics, e.g. from MetricsURL.
	URL string
	// APIKey, when set, goes out as "Authorization: Bearer <key>", as to
	// the API itself. It is never logged or written.
	APIKey string
	// Interval between scrapes during the run. Default 5s.
	Interval time.Duration
	// MaxSamples kept in Series; beyond it the series is thinned evenly.
	// Default 3600.
	MaxSamples int
}

// Sampler scrapes /metrics at Start, every interval while the run goes
// on, and at Stop.
type Sampler struct {
	cfg    Config
	now    func() time.Time
	cancel context.CancelFunc
	done   chan struct{}

	stopOnce sync.Once
	result   sidecar.ServerMetrics

	mu       sync.Mutex
	before   *Snapshot
	note     string
	series   series.Series[sidecar.ServerSample]
	failures int
	scrapes  int
	lastErr  error
}

// Start scrapes once now (the "before"), then every interval until Stop.
// It never fails: a missing /metrics is recorded and Stop reports
// Available=false with the reason.
func Start(ctx context.Context, client *http.Client, metricsURL, apiKey string, interval time.Duration) *Sampler {
	return Config{Client: client, URL: metricsURL, APIKey: apiKey, Interval: interval}.Start(ctx)
}

// Start begins sampling with this configuration; see the package Start.
func (c Config) Start(ctx context.Context) *Sampler {
	return start(ctx, c, time.Now)
}

func start(ctx context.Context, cfg Config, now func() time.Time) *Sampler {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.MaxSamples < 2 {
		cfg.MaxSamples = 3600
	}
	s := &Sampler{cfg: cfg, now: now, done: make(chan struct{}), series: series.Series[sidecar.ServerSample]{Max: cfg.MaxSamples}}
	if cfg.URL == "" {
		s.note = "no /metrics: no usable base URL to derive it from"
		close(s.done)
		return s
	}
	snap, err := s.scrape(ctx)
	if err != nil {
		s.note = "no /metrics: " + err.Error()
		close(s.done)
		return s
	}
	s.before = &snap
	ctx, s.cancel = context.WithCancel(ctx)
	go s.loop(ctx)
	return s
}

func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	wait.Every(ctx, s.cfg.Interval, func() { _, _ = s.scrape(ctx) })
}

// scrape fetches and parses /metrics once, adding a Series point on success.
func (s *Sampler) scrape(ctx context.Context) (Snapshot, error) {
	t := s.now()
	snap, err := s.fetch(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && ctx.Err() != nil {
		// Stop cut a scrape short: not the server's fault.
		return snap, err
	}
	s.scrapes++
	if err != nil {
		s.failures++
		s.lastErr = err
		return snap, err
	}
	s.add(sidecar.ServerSample{
		T: t, KVCacheUsage: snap.KVCacheUsage, Running: snap.Running, Waiting: snap.Waiting,
		Preemptions: snap.Preemptions, TTFTCount: ttftCount(snap), TTFTSumS: ttftSum(snap),
	})
	return snap, nil
}

func ttftCount(s Snapshot) float64 {
	if s.TTFT == nil {
		return 0
	}
	return s.TTFT.Count
}

func ttftSum(s Snapshot) float64 {
	if s.TTFT == nil {
		return 0
	}
	return s.TTFT.Sum
}

// add keeps p in Series, thinned evenly once full.
func (s *Sampler) add(p sidecar.ServerSample) { s.series.Add(p) }

// maxBody bounds what is read of /metrics; vLLM's is some tens of KiB.
const maxBody = 8 << 20

func (s *Sampler) fetch(ctx context.Context) (Snapshot, error) { return s.cfg.fetch(ctx) }

// Fetch reads and parses /metrics once (the expected-config preflight's
// read of the *_info gauges).
func (c Config) Fetch(ctx context.Context) (Snapshot, error) {
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if c.URL == "" {
		return Snapshot{}, errors.New("no usable base URL to derive /metrics from")
	}
	return c.fetch(ctx)
}

// fetch reads and parses /metrics once.
func (c Config) fetch(ctx context.Context) (Snapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return Snapshot{}, fmt.Errorf("scrape %s: %w", redact.URL(c.URL), err)
	}
	// The classic text format is what Parse reads; prometheus_client
	// serves OpenMetrics only when asked for it.
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		// net/http errors name the URL; it has no credentials (MetricsURL
		// drops them) but mask any the caller passed in, and the key.
		return Snapshot{}, errors.New(redact.New(c.APIKey).String(fmt.Sprintf("scrape %s: %v", redact.URL(c.URL), unwrapURLError(err))))
	}
	defer resp.Body.Close()
	defer func() { _, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) }() // keep-alive
	where := redact.URL(c.URL)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Snapshot{}, fmt.Errorf("%s answered HTTP %d: check VLLM_API_KEY, or that the gateway lets /metrics through", where, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return Snapshot{}, fmt.Errorf("%s answered HTTP 404: the server exposes no Prometheus metrics there", where)
	case resp.StatusCode != http.StatusOK:
		return Snapshot{}, fmt.Errorf("%s answered HTTP %d", where, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil &&
		(mt == "text/html" || mt == "application/json") {
		return Snapshot{}, fmt.Errorf("%s answered %s, not Prometheus text", where, mt)
	}
	snap, err := Parse(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return snap, fmt.Errorf("%s: %w", where, err)
	}
	return snap, nil
}

// unwrapURLError drops *url.Error's "Get \"URL\":" prefix; the message
// names the URL itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Stop scrapes a last time (the "after") and returns what was seen.
// Further calls return the same result.
func (s *Sampler) Stop() sidecar.ServerMetrics {
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		<-s.done
		s.result = s.finish()
	})
	return s.result
}

func (s *Sampler) finish() sidecar.ServerMetrics {
	if s.before == nil {
		return sidecar.ServerMetrics{Available: false, Note: s.note}
	}
	// The run's context may be cancelled by now (interrupted run); the
	// last scrape gets a short context of its own.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	after, err := s.scrape(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	sm := sidecar.ServerMetrics{
		Available: true,
		Series:    s.series.Items(),
		Before:    s.before.Values(),
		// The engine configuration as the run started.
		EngineConfig: s.before.Info,
	}
	var notes []string
	if s.failures > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d scrapes failed; last: %v", s.failures, s.scrapes, s.lastErr))
	}
	if err != nil {
		notes = append(notes, "no after-run scrape, so no delta")
		sm.Note = strings.Join(notes, "; ")
		return sm
	}
	sm.After = after.Values()
	sm.Delta = map[string]float64{}
	for k, a := range sm.After {
		if b, ok := sm.Before[k]; ok {
			sm.Delta[k] = a - b
		}
	}
	sm.TTFT = SubHistogram(after.TTFT, s.before.TTFT)
	for _, k := range []string{KeyPreemptions, KeyTTFTCount} {
		if d, ok := sm.Delta[k]; ok && d < 0 {
			notes = append(notes, fmt.Sprintf("counter %s went down (%g → %g): the server restarted during the run", k, sm.Before[k], sm.After[k]))
		}
	}
	sm.Note = strings.Join(notes, "; ")
	return sm
}

// PreemptionCheck fails when vLLM preempted requests during the run (KV
// cache ran out and running requests were evicted and recomputed).
//
// When /metrics was unreadable, held no vllm: series (another server's or a
// gateway's /metrics), or lacked the preemption counter, preemptions are
// unknown: the check is Skipped and not Passed. A run's verdict ignores
// skipped checks (load.Verdict), so an unknown neither fails the run nor
// counts as a pass; the report prints it as "unknown" with the reason.
func PreemptionCheck(sm sidecar.ServerMetrics) sidecar.Check {
	c := sidecar.Check{Name: sidecar.CheckPreemptions, Passed: true, Threshold: 0}
	unknown := func(why string) sidecar.Check {
		c.Passed, c.Skipped = false, true
		c.Detail = "preemptions unknown: " + why
		return c
	}
	if !sm.Available {
		why := sm.Note
		if strings.Contains(why, ErrNoVLLMMetrics.Error()) {
			why = "/metrics answers, but with no vllm: series (another server's or a gateway's /metrics?); point VLLM_BASE_URL at the vLLM server itself to judge preemptions"
		}
		return unknown(why)
	}
	d, ok := sm.Delta[KeyPreemptions]
	if !ok {
		why := "preemption counter not read before and after the run"
		if sm.Note != "" {
			why += ": " + sm.Note
		}
		return unknown(why)
	}
	c.Value = d
	switch {
	case d < 0:
		c.Passed = false
		c.Detail = fmt.Sprintf("preemption counter went down (%g → %g): the server restarted during the run; rerun against a stable server", sm.Before[KeyPreemptions], sm.After[KeyPreemptions])
	case d > 0:
		c.Passed = false
		c.Detail = fmt.Sprintf("vLLM preempted %g request(s) during the run: KV cache ran out; lower --max-num-seqs, raise --gpu-memory-utilization or shorten --max-model-len", d)
	default:
		c.Detail = "no preemptions during the run"
	}
	return c
}
