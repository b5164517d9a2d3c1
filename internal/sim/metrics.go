package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ttftBuckets are vLLM's vllm:time_to_first_token_seconds buckets (v0.10).
var ttftBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}

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
	ttftCount   int
	ttftSum     float64
	ttftBucket  []int
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

// finished records a completed answer.
func (s *Server) finished(prompt, completion int, finish string, ttftSeconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.promptTotal += prompt
	s.m.genTotal += completion
	if s.m.success == nil {
		s.m.success = map[string]int{}
	}
	s.m.success[finish]++
	if s.m.ttftBucket == nil {
		s.m.ttftBucket = make([]int, len(ttftBuckets))
	}
	s.m.ttftCount++
	s.m.ttftSum += ttftSeconds
	for i, b := range ttftBuckets {
		if ttftSeconds <= b {
			s.m.ttftBucket[i]++
		}
	}
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
	buckets := append([]int(nil), m.ttftBucket...)
	success := map[string]int{}
	for k, v := range m.success {
		success[k] = v
	}
	s.mu.Unlock()
	if buckets == nil {
		buckets = make([]int, len(ttftBuckets))
	}

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

	metric("vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig",
		`vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",gpu_memory_utilization="0.9"} 1.0`)
	metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", sample("vllm:num_requests_running", float64(m.running)))
	metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", sample("vllm:num_requests_waiting", float64(waiting)))
	metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", sample("vllm:kv_cache_usage_perc", kv))
	if s.p.Metrics != "no_preemptions" {
		metric("vllm:num_preemptions_total", "counter", "Cumulative number of preemption from the engine.", sample("vllm:num_preemptions_total", float64(m.preemptions)))
	}
	metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", sample("vllm:prompt_tokens_total", float64(m.promptTotal)))
	metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", sample("vllm:generation_tokens_total", float64(m.genTotal)))
	var succ []string
	for _, r := range []string{"abort", "length", "stop"} {
		succ = append(succ, fmt.Sprintf("vllm:request_success_total{%s,finished_reason=%q} %s", lbl, r, fl(float64(success[r]))))
	}
	metric("vllm:request_success_total", "counter", "Count of successfully processed requests.", succ...)
	var hist []string
	for i, le := range ttftBuckets {
		hist = append(hist, fmt.Sprintf("vllm:time_to_first_token_seconds_bucket{%s,le=%q} %s", lbl, fl(le), fl(float64(buckets[i]))))
	}
	hist = append(hist,
		fmt.Sprintf("vllm:time_to_first_token_seconds_bucket{%s,le=\"+Inf\"} %s", lbl, fl(float64(m.ttftCount))),
		sample("vllm:time_to_first_token_seconds_count", float64(m.ttftCount)),
		sample("vllm:time_to_first_token_seconds_sum", m.ttftSum))
	metric("vllm:time_to_first_token_seconds", "histogram", "Histogram of time to first token in seconds.", hist...)

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
