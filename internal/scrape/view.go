package scrape

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Window is one load run's look at /metrics: a scrape as the run starts
// and one as it ends, whose difference is the server's own view of the run.
type Window struct {
	cfg    Config
	before Snapshot
	err    error
}

// OpenWindow scrapes /metrics once, as a load run starts. It never fails:
// an unreadable /metrics makes Close report Available false with the reason.
func OpenWindow(ctx context.Context, client *http.Client, metricsURL, apiKey string) *Window {
	w := &Window{cfg: Config{Client: client, URL: metricsURL, APIKey: apiKey}}
	if w.cfg.Client == nil {
		w.cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if metricsURL == "" {
		w.err = errors.New("no usable base URL to derive /metrics from")
		return w
	}
	w.before, w.err = w.cfg.fetch(ctx)
	return w
}

// Close scrapes /metrics again, as the run ends, and returns the server's
// view of the run. The last scrape gets a context of its own: the run's may
// be cancelled by now (an interrupted run still gets its figures).
func (w *Window) Close() *sidecar.ServerView {
	if w.err != nil {
		return &sidecar.ServerView{Note: "no /metrics: " + w.err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	after, err := w.cfg.fetch(ctx)
	if err != nil {
		return &sidecar.ServerView{Note: "no after-run scrape of /metrics: " + err.Error()}
	}
	return View(w.before, after)
}

// View is the server's view of what happened between two scrapes: each
// latency histogram after minus before (SubHistogram), summarised in
// milliseconds, and the prefix-cache counters' increase. A histogram the
// server does not publish, or whose counts went down (a restart), is left
// out and named in Note. The client's side (ClientRequests, Gap) is the
// caller's to fill.
func View(before, after Snapshot) *sidecar.ServerView {
	v := &sidecar.ServerView{Available: true}
	var notes, missing []string
	for _, key := range []string{LatencyTTFT, LatencyE2E, LatencyQueue, LatencyITL} {
		a, b := after.Latency[key], before.Latency[key]
		if a == nil || b == nil {
			missing = append(missing, latencySeries[key][0])
			continue
		}
		d := SubHistogram(a, b)
		if d == nil {
			notes = append(notes, fmt.Sprintf("%s went down or changed buckets between the scrapes (a server restart?): left out", after.LatencySeries[key]))
			continue
		}
		l := Latency(d)
		switch key {
		case LatencyTTFT:
			v.TTFTms, v.Requests = l, d.Count
		case LatencyE2E:
			v.E2Ems = l
		case LatencyQueue:
			v.QueueMs = l
		case LatencyITL:
			v.ITLms, v.ITLSeries = l, after.LatencySeries[key]
		}
	}
	if len(missing) == 4 {
		notes = append(notes, "the server publishes none of vLLM's latency histograms")
	} else if len(missing) > 0 {
		notes = append(notes, "not published: "+strings.Join(missing, ", "))
	}
	if before.Found[KeyPrefixQueries] && after.Found[KeyPrefixQueries] && before.Found[KeyPrefixHits] && after.Found[KeyPrefixHits] {
		q, h := after.PrefixQueries-before.PrefixQueries, after.PrefixHits-before.PrefixHits
		if q >= 0 && h >= 0 {
			v.PrefixCacheQueries, v.PrefixCacheHits = q, h
			if q > 0 {
				r := h / q
				v.PrefixCacheHitRate = &r
			}
		}
	}
	extendView(v, before, after)
	v.Note = strings.Join(notes, "; ")
	return v
}

// Latency summarises a histogram of seconds in milliseconds: the exact
// mean (_sum/_count) and the quantiles Quantile estimates.
func Latency(h *sidecar.Histogram) *sidecar.ServerLatency {
	l := &sidecar.ServerLatency{N: h.Count, Histogram: h}
	if h.Count <= 0 {
		return l
	}
	ms := func(s float64) float64 { return math.Round(s*1e6) / 1e3 }
	l.Mean = ms(h.Sum / h.Count)
	p50, lo, hi := Quantile(h, 0.5)
	p90, _, _ := Quantile(h, 0.9)
	p99, _, _ := Quantile(h, 0.99)
	l.P50, l.P90, l.P99, l.P50Low, l.P50High = ms(p50), ms(p90), ms(p99), ms(lo), ms(hi)
	return l
}

// Quantile estimates the q-quantile of a cumulative histogram as
// Prometheus' histogram_quantile does: with rank r = q·count, take the
// first bucket whose cumulative count reaches r, and interpolate linearly
// between its lower bound (the bucket before's upper bound, 0 for the
// first bucket) and its upper bound, as if its observations were spread
// evenly: lo + (hi−lo)·(r − count below)/(count in bucket). A rank past
// the last finite bucket (in +Inf) returns the last finite bound, the
// most the buckets can say. lo and hi are the bucket's bounds: the true
// quantile lies between them (hi is +Inf past the last bucket), so the
// estimate's error is at most the bucket's width. Latencies are never
// negative, which makes 0 the right lower bound of the first bucket.
func Quantile(h *sidecar.Histogram, q float64) (est, lo, hi float64) {
	if h == nil || h.Count <= 0 || len(h.Buckets) == 0 {
		return 0, 0, 0
	}
	rank := q * h.Count
	below := 0.0
	for _, b := range h.Buckets {
		if b.Count >= rank && b.Count > below {
			hi = b.LE
			return lo + (hi-lo)*(rank-below)/(b.Count-below), lo, hi
		}
		lo, below = b.LE, b.Count
	}
	return lo, lo, math.Inf(1)
}
