// Package scrape reads vLLM's Prometheus /metrics before, during and after a
// run: KV-cache usage, running and waiting requests, preemptions and the
// server-side TTFT histogram.
//
// A server without /metrics (another OpenAI-compatible server, a gateway
// that hides it) is noted, never failed.
package scrape

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Metric names, newest first where vLLM renamed one. Prometheus' Python
// client writes a counter "x" as the series "x_total"; the text parser then
// files it under "x_total", so both spellings are looked up.
var (
	namesKVCache     = []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}
	namesRunning     = []string{"vllm:num_requests_running"}
	namesWaiting     = []string{"vllm:num_requests_waiting"}
	namesPreemptions = []string{"vllm:num_preemptions_total", "vllm:num_preemptions"}
	nameTTFT         = "vllm:time_to_first_token_seconds"
	// Prefix-cache counters, in tokens; the gpu_ names are vLLM 0.9's,
	// deprecated since (vllm/v1/metrics/loggers.py, v0.10).
	namesPrefixQueries = []string{"vllm:prefix_cache_queries_total", "vllm:prefix_cache_queries", "vllm:gpu_prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries"}
	namesPrefixHits    = []string{"vllm:prefix_cache_hits_total", "vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits"}
)

// Latency histograms of a load run's server view: Snapshot.Latency's keys
// and the vLLM series each is read from, newest name first
// (vllm/v1/metrics/loggers.py, PrometheusStatLogger: v0.10 has
// time_per_output_token_seconds, v0.11 adds inter_token_latency_seconds
// with the same observations and bounds and deprecates the other).
const (
	LatencyTTFT  = "ttft"
	LatencyE2E   = "e2e"
	LatencyQueue = "queue"
	LatencyITL   = "itl"
)

var latencySeries = map[string][]string{
	LatencyTTFT:  {nameTTFT},
	LatencyE2E:   {"vllm:e2e_request_latency_seconds"},
	LatencyQueue: {"vllm:request_queue_time_seconds"},
	LatencyITL:   {"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"},
}

// Keys of ServerMetrics.Before, After and Delta.
const (
	KeyKVCacheUsage = "kv_cache_usage"
	KeyRunning      = "running"
	KeyWaiting      = "waiting"
	KeyPreemptions  = "preemptions_total"
	KeyTTFTCount    = "ttft_count"
	KeyTTFTSum      = "ttft_sum_s"
	// KeyPrefixQueries and KeyPrefixHits: vLLM's prefix-cache counters
	// (in Found; the run's ServerView holds them, not Values).
	KeyPrefixQueries = "prefix_cache_queries"
	KeyPrefixHits    = "prefix_cache_hits"
)

// Snapshot is what one scrape said, summed over label sets (models,
// engines), except KVCacheUsage: a fraction per engine, so the fullest
// engine's value is kept (a sum of fractions means nothing).
type Snapshot struct {
	KVCacheUsage float64
	Running      float64
	Waiting      float64
	Preemptions  float64
	// TTFT is nil when the server exposes no TTFT histogram.
	TTFT *sidecar.Histogram
	// Latency holds the latency histograms found, by LatencyTTFT, ...;
	// LatencySeries the vLLM series each was read from.
	Latency       map[string]*sidecar.Histogram
	LatencySeries map[string]string
	// PrefixQueries and PrefixHits: vllm:prefix_cache_queries and
	// vllm:prefix_cache_hits (tokens), when Found says so.
	PrefixQueries float64
	PrefixHits    float64
	// SpecDrafts, SpecDraftTokens and SpecAccepted are vLLM's speculative
	// decoding counters, KVOffloadBytes its KV-offload bytes
	// (KVOffloadSeries the counters read); extended.go.
	SpecDrafts, SpecDraftTokens, SpecAccepted float64
	KVOffloadBytes                            float64
	KVOffloadSeries                           string
	// Found lists which of the keys above the text held.
	Found map[string]bool
	// Info is the engine configuration vLLM exposes as *_info gauges
	// (vllm:cache_config_info{block_size="16",...} 1): "<name without
	// vllm:>.<label>" → value, from the first series of each family.
	Info map[string]string
}

// Values returns the snapshot as the sidecar's Before/After map, holding
// only the keys that were found.
func (s Snapshot) Values() map[string]float64 {
	all := map[string]float64{
		KeyKVCacheUsage: s.KVCacheUsage,
		KeyRunning:      s.Running,
		KeyWaiting:      s.Waiting,
		KeyPreemptions:  s.Preemptions,
	}
	if s.TTFT != nil {
		all[KeyTTFTCount] = s.TTFT.Count
		all[KeyTTFTSum] = s.TTFT.Sum
	}
	out := map[string]float64{}
	for k, v := range all {
		if s.Found[k] {
			out[k] = v
		}
	}
	return out
}

// ErrNoVLLMMetrics is returned by Parse for valid Prometheus text with no
// vllm: metric in it (some other server's /metrics).
var ErrNoVLLMMetrics = errors.New("no vllm: metrics in the Prometheus text (not a vLLM server?)")

// Parse reads Prometheus text exposition format (what vLLM's /metrics
// serves). Metric names with ':' are valid there and parse as such.
func Parse(r io.Reader) (Snapshot, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Snapshot{}, fmt.Errorf("not Prometheus text: %w", err)
	}
	s := Snapshot{Found: map[string]bool{}}
	if mf := first(fams, namesKVCache); mf != nil {
		s.KVCacheUsage, s.Found[KeyKVCacheUsage] = reduce(mf, math.Max), true
	}
	if mf := first(fams, namesRunning); mf != nil {
		s.Running, s.Found[KeyRunning] = reduce(mf, sum), true
	}
	if mf := first(fams, namesWaiting); mf != nil {
		s.Waiting, s.Found[KeyWaiting] = reduce(mf, sum), true
	}
	if mf := first(fams, namesPreemptions); mf != nil {
		s.Preemptions, s.Found[KeyPreemptions] = reduce(mf, sum), true
	}
	if mf := fams[nameTTFT]; mf != nil && mf.GetType() == dto.MetricType_HISTOGRAM {
		s.TTFT = mergeHistograms(mf)
		s.Found[KeyTTFTCount], s.Found[KeyTTFTSum] = true, true
	}
	if mf := first(fams, namesPrefixQueries); mf != nil {
		s.PrefixQueries, s.Found[KeyPrefixQueries] = reduce(mf, sum), true
	}
	if mf := first(fams, namesPrefixHits); mf != nil {
		s.PrefixHits, s.Found[KeyPrefixHits] = reduce(mf, sum), true
	}
	for key, names := range latencySeries {
		for _, n := range names {
			if mf := fams[n]; mf != nil && mf.GetType() == dto.MetricType_HISTOGRAM && len(mf.GetMetric()) > 0 {
				if s.Latency == nil {
					s.Latency, s.LatencySeries = map[string]*sidecar.Histogram{}, map[string]string{}
				}
				s.Latency[key], s.LatencySeries[key] = mergeHistograms(mf), n
				break
			}
		}
	}
	parseExtended(fams, &s)
	for name, mf := range fams {
		if !strings.HasPrefix(name, "vllm:") || !strings.HasSuffix(name, "_info") || len(mf.GetMetric()) == 0 {
			continue
		}
		short := strings.TrimPrefix(name, "vllm:")
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			if s.Info == nil {
				s.Info = map[string]string{}
			}
			s.Info[short+"."+lp.GetName()] = lp.GetValue()
		}
	}
	if len(s.Found) == 0 {
		return s, ErrNoVLLMMetrics
	}
	return s, nil
}

func first(fams map[string]*dto.MetricFamily, names []string) *dto.MetricFamily {
	for _, n := range names {
		if mf := fams[n]; mf != nil && len(mf.GetMetric()) > 0 {
			return mf
		}
	}
	return nil
}

func sum(a, b float64) float64 { return a + b }

// reduce folds the value of every series of a gauge, counter or untyped
// family; the first value seeds the fold.
func reduce(mf *dto.MetricFamily, f func(a, b float64) float64) float64 {
	var acc float64
	for i, m := range mf.GetMetric() {
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		}
		if i == 0 {
			acc = v
		} else {
			acc = f(acc, v)
		}
	}
	return acc
}

// mergeHistograms sums every series bucket by bucket. Series with other
// bounds (not seen from vLLM) merge into the union of bounds, each series
// adding to the bounds it has.
func mergeHistograms(mf *dto.MetricFamily) *sidecar.Histogram {
	h := &sidecar.Histogram{}
	byLE := map[float64]float64{}
	for _, m := range mf.GetMetric() {
		mh := m.GetHistogram()
		h.Count += float64(mh.GetSampleCount())
		if mh.SampleCountFloat != nil {
			h.Count += mh.GetSampleCountFloat()
		}
		h.Sum += mh.GetSampleSum()
		for _, b := range mh.GetBucket() {
			le := b.GetUpperBound()
			if math.IsInf(le, +1) {
				continue
			}
			byLE[le] += float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
		}
	}
	for le, c := range byLE {
		h.Buckets = append(h.Buckets, sidecar.HistogramBucket{LE: le, Count: c})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].LE < h.Buckets[j].LE })
	return h
}

// SubHistogram is after minus before, bucket by bucket: the observations
// made in between. It returns nil if either is nil or the bounds differ, or
// if a count went down (the server restarted in between).
func SubHistogram(after, before *sidecar.Histogram) *sidecar.Histogram {
	if after == nil || before == nil || len(after.Buckets) != len(before.Buckets) || after.Count < before.Count {
		return nil
	}
	d := &sidecar.Histogram{Count: after.Count - before.Count, Sum: after.Sum - before.Sum}
	for i, b := range after.Buckets {
		if b.LE != before.Buckets[i].LE || b.Count < before.Buckets[i].Count {
			return nil
		}
		d.Buckets = append(d.Buckets, sidecar.HistogramBucket{LE: b.LE, Count: b.Count - before.Buckets[i].Count})
	}
	return d
}
