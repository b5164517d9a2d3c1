package sim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Bucket bounds of vLLM's latency histograms, from PrometheusStatLogger in
// vllm/v1/metrics/loggers.py (v0.10, commit 005a810b; v0.11 keeps them and
// adds vllm:inter_token_latency_seconds with the TPOT bounds).
var (
	// ttftBuckets: vllm:time_to_first_token_seconds.
	ttftBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}
	// tokenBuckets: vllm:time_per_output_token_seconds and
	// vllm:inter_token_latency_seconds.
	tokenBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}
	// requestBuckets: vllm:e2e_request_latency_seconds and
	// vllm:request_queue_time_seconds (request_latency_buckets).
	requestBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}
)

// Names of the latency histograms the simulator publishes.
const (
	histTTFT  = "vllm:time_to_first_token_seconds"
	histE2E   = "vllm:e2e_request_latency_seconds"
	histQueue = "vllm:request_queue_time_seconds"
	histITL   = "vllm:inter_token_latency_seconds"
	histTPOT  = "vllm:time_per_output_token_seconds"
)

// hist is one Prometheus histogram: per-bucket (not cumulative) counts.
type hist struct {
	bounds []float64
	counts []int
	n      int
	sum    float64
}

func newHist(bounds []float64) hist { return hist{bounds: bounds, counts: make([]int, len(bounds))} }

func (h *hist) observe(v float64) {
	h.n++
	h.sum += v
	for i, b := range h.bounds {
		if v <= b {
			h.counts[i]++
			return
		}
	}
}

// add merges o (same bounds) into h.
func (h *hist) add(o hist) {
	h.n += o.n
	h.sum += o.sum
	for i := range o.counts {
		h.counts[i] += o.counts[i]
	}
}

func (h hist) clone() hist {
	h.counts = append([]int(nil), h.counts...)
	return h
}

// lines are the histogram's samples in the text format: cumulative
// _bucket lines up to le="+Inf", then _count and _sum.
func (h hist) lines(name, lbl string, fl func(float64) string) []string {
	var out []string
	cum := 0
	for i, le := range h.bounds {
		cum += h.counts[i]
		out = append(out, fmt.Sprintf("%s_bucket{%s,le=%q} %s", name, lbl, fl(le), fl(float64(cum))))
	}
	return append(out,
		fmt.Sprintf("%s_bucket{%s,le=\"+Inf\"} %s", name, lbl, fl(float64(h.n))),
		fmt.Sprintf("%s_count{%s} %s", name, lbl, fl(float64(h.n))),
		fmt.Sprintf("%s_sum{%s} %s", name, lbl, fl(h.sum)))
}

// timings is what the engine measured of one finished request, in seconds:
// the histograms' observations.
type timings struct {
	ttft, e2e, queue float64
	// itl holds the gaps between output tokens.
	itl []float64
}

// specTokens is the draft tokens per step of the spec_decode persona;
// kvBytesPerToken the KV cache one token takes (Qwen3-8B in bf16: 36
// layers × 8 KV heads × 128 × 2 × 2 bytes = 144 KiB).
const (
	specTokens      = 3
	kvBytesPerToken = 36 * 8 * 128 * 2 * 2
)

// kvCapacity is the simulated KV cache size in tokens; in-flight tokens
// over it give vllm:kv_cache_usage_perc.
const kvCapacity = 16384

// metrics is the state /metrics reports; guarded by Server.mu.
type metrics struct {
	running     int
	tokens      int // prompt + planned completion tokens of in-flight requests
	preemptions int
	promptTotal int
	genTotal    int
	success     map[string]int // by finish reason
	// Speculative decoding and KV offload counters (Persona.SpecDecode,
	// Persona.KVOffload).
	specDrafts, specDraftTokens, specAccepted float64
	offloadBytes                              float64
	// hists by name (histTTFT, ...), created on first use.
	hists map[string]*hist
}

func (m *metrics) hist(name string, bounds []float64) *hist {
	if m.hists == nil {
		m.hists = map[string]*hist{}
	}
	h := m.hists[name]
	if h == nil {
		nh := newHist(bounds)
		h = &nh
		m.hists[name] = h
	}
	return h
}

// begin registers an in-flight request of n tokens; it returns the number
// in flight including this one.
func (s *Server) begin(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.running++
	s.m.tokens += n
	if s.p.Preempt && s.m.running > 1 {
		s.m.preemptions++
	}
	return s.m.running
}

func (s *Server) end(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.running--
	s.m.tokens -= n
}

// finished records a completed answer and what the engine measured of it.
func (s *Server) finished(prompt, completion int, finish string, t timings) {
	itl := newHist(tokenBuckets)
	for _, d := range t.itl {
		itl.observe(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.promptTotal += prompt
	s.m.genTotal += completion
	if s.m.success == nil {
		s.m.success = map[string]int{}
	}
	s.m.success[finish]++
	if a := s.p.SpecDecode; a > 0 && completion > 0 {
		// Each step drafts specTokens tokens and accepts a of them on
		// average, plus the bonus token: completion / (1 + specTokens·a)
		// steps.
		drafts := math.Ceil(float64(completion) / (1 + specTokens*a))
		s.m.specDrafts += drafts
		s.m.specDraftTokens += drafts * specTokens
		s.m.specAccepted += drafts * specTokens * a
	}
	if s.p.KVOffload {
		s.m.offloadBytes += float64(prompt+completion) * kvBytesPerToken
	}
	s.m.hist(histTTFT, ttftBuckets).observe(t.ttft)
	s.m.hist(histE2E, requestBuckets).observe(t.e2e)
	s.m.hist(histQueue, requestBuckets).observe(t.queue)
	s.m.hist(histITL, tokenBuckets).add(itl)
}

func (s *Server) kvUsage() float64 {
	u := float64(s.m.tokens) / kvCapacity
	if s.p.Preempt && s.m.running > 1 {
		u = max(u, 0.97+0.005*float64(min(s.m.running, 6)))
	}
	return min(u, 1)
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	switch s.p.Metrics {
	case "404":
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	case "500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case "none":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n")
		return
	}
	s.mu.Lock()
	m := s.m
	kv := s.kvUsage()
	waiting := 0
	if s.p.Preempt && m.running > 2 {
		waiting = m.running - 2
	}
	hists := map[string]hist{}
	for _, n := range []string{histTTFT, histE2E, histQueue, histITL} {
		if h := m.hists[n]; h != nil {
			hists[n] = h.clone()
		}
	}
	success := map[string]int{}
	for k, v := range m.success {
		success[k] = v
	}
	s.mu.Unlock()
	pc := s.cache.snapshot()

	lbl := fmt.Sprintf("engine=\"0\",model_name=%q", s.model)
	var b strings.Builder
	metric := func(name, typ, help string, lines ...string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	fl := func(v float64) string {
		s := f(v)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	}
	sample := func(name string, v float64) string { return fmt.Sprintf("%s{%s} %s", name, lbl, fl(v)) }

	// The labels are CacheConfig.metrics_info(): every field as str(),
	// so Python's "True"/"False" (PrometheusStatLogger.log_metrics_info in
	// vllm/v1/metrics/loggers.py, v0.10, commit 005a810b).
	metric("vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig",
		fmt.Sprintf(`vllm:cache_config_info{block_size="%d",cache_dtype="auto",enable_prefix_caching=%q,gpu_memory_utilization=%q,num_gpu_blocks="%d"} 1.0`,
			s.p.BlockSize, pyBool(!s.p.NoPrefixCaching), f(s.p.GPUMemoryUtilization), s.p.NumGPUBlocks))
	metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", sample("vllm:num_requests_running", float64(m.running)))
	metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", sample("vllm:num_requests_waiting", float64(waiting)))
	metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", sample("vllm:kv_cache_usage_perc", kv))
	if s.p.Metrics != "no_preemptions" {
		metric("vllm:num_preemptions_total", "counter", "Cumulative number of preemption from the engine.", sample("vllm:num_preemptions_total", float64(m.preemptions)))
	}
	if s.p.SpecDecode > 0 {
		// SpecDecodingProm (vllm/v1/spec_decode/metrics.py, commit
		// 016a8587): registered only with a speculative config.
		metric("vllm:spec_decode_num_drafts_total", "counter", "Number of spec decoding drafts.", sample("vllm:spec_decode_num_drafts_total", m.specDrafts))
		metric("vllm:spec_decode_num_draft_tokens_total", "counter", "Number of draft tokens.", sample("vllm:spec_decode_num_draft_tokens_total", m.specDraftTokens))
		metric("vllm:spec_decode_num_accepted_tokens_total", "counter", "Number of accepted tokens.", sample("vllm:spec_decode_num_accepted_tokens_total", m.specAccepted))
	}
	if s.p.KVOffload {
		// The offloading connector's counter, by transfer type
		// (vllm/distributed/kv_transfer/kv_connector/v1/offloading/metrics.py).
		metric("vllm:kv_offload_total_bytes_total", "counter", "Number of bytes offloaded by KV connector",
			fmt.Sprintf(`vllm:kv_offload_total_bytes_total{%s,transfer_type="GPU_to_CPU"} %s`, lbl, fl(m.offloadBytes)))
	}
	metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", sample("vllm:prompt_tokens_total", float64(m.promptTotal)))
	metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", sample("vllm:generation_tokens_total", float64(m.genTotal)))
	var succ []string
	for _, r := range []string{"abort", "length", "stop"} {
		succ = append(succ, fmt.Sprintf("vllm:request_success_total{%s,finished_reason=%q} %s", lbl, r, fl(float64(success[r]))))
	}
	metric("vllm:request_success_total", "counter", "Count of successfully processed requests.", succ...)
	// Counters: prometheus_client writes counter "x" as "# TYPE x_total
	// counter" with samples x_total (exposition.generate_latest).
	metric("vllm:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.",
		sample("vllm:prefix_cache_queries_total", float64(pc.Queries)))
	metric("vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.",
		sample("vllm:prefix_cache_hits_total", float64(pc.Hits)))
	if !s.p.NoHistograms {
		itl, itlHelp := histITL, "Histogram of inter-token latency in seconds."
		if s.p.VLLM == "0.10" {
			// v0.10 publishes the same observations as TPOT only.
			itl, itlHelp = histTPOT, "Histogram of time per output token in seconds."
		}
		for _, h := range []struct{ name, src, help string }{
			{histTTFT, histTTFT, "Histogram of time to first token in seconds."},
			{itl, histITL, itlHelp},
			{histE2E, histE2E, "Histogram of e2e request latency in seconds."},
			{histQueue, histQueue, "Histogram of time spent in WAITING phase for request."},
		} {
			bounds := map[string][]float64{histTTFT: ttftBuckets, histITL: tokenBuckets, histE2E: requestBuckets, histQueue: requestBuckets}[h.src]
			v, ok := hists[h.src]
			if !ok {
				v = newHist(bounds)
			}
			metric(h.name, "histogram", h.help, v.lines(h.name, lbl, fl)...)
		}
	}

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// pyBool is str() of a Python bool.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
