package sidecar

// ServerView is the server's own account of one load run: vLLM's latency
// histograms and prefix-cache counters on /metrics, after the run minus
// before it (summed over engines and models), set beside what the client
// measured. Available is false, with Note saying why, when /metrics was
// not read or held no vllm: series; a histogram the server does not
// publish is nil.
//
// The window is the run's, so the server's figures include every request
// the server served meanwhile: another shard's, another tenant's.
// Requests (the TTFT histogram's count) against the client's count shows
// how much.
type ServerView struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	// Requests is the number of first tokens the server observed in the
	// window (the TTFT histogram's count); ClientRequests the requests of
	// this run that completed with a first token.
	Requests       float64 `json:"requests"`
	ClientRequests int     `json:"client_requests"`
	// WarmupRequests is the run's own uncounted warm-up requests inside
	// the window (an open loop's or a capacity step's warm-up is the head
	// of the same schedule), also in Requests.
	WarmupRequests int `json:"warmup_requests,omitempty"`
	// TTFTms, E2Ems, QueueMs and ITLms: vllm:time_to_first_token_seconds,
	// vllm:e2e_request_latency_seconds, vllm:request_queue_time_seconds and
	// vllm:inter_token_latency_seconds (vllm:time_per_output_token_seconds
	// on vLLM 0.10; ITLSeries names the one read), in milliseconds.
	TTFTms    *ServerLatency `json:"ttft_ms,omitempty"`
	E2Ems     *ServerLatency `json:"e2e_ms,omitempty"`
	QueueMs   *ServerLatency `json:"queue_ms,omitempty"`
	ITLms     *ServerLatency `json:"itl_ms,omitempty"`
	ITLSeries string         `json:"itl_series,omitempty"`
	// PrefixCacheQueries and PrefixCacheHits are prompt tokens looked up
	// in vLLM's prefix cache and found there during the run
	// (vllm:prefix_cache_queries, vllm:prefix_cache_hits); the hit rate is
	// their ratio, nil without those counters or without queries.
	PrefixCacheQueries float64  `json:"prefix_cache_queries,omitempty"`
	PrefixCacheHits    float64  `json:"prefix_cache_hits,omitempty"`
	PrefixCacheHitRate *float64 `json:"prefix_cache_hit_rate,omitempty"`
	// Preemptions is vllm:num_preemptions' increase over the run; nil
	// without the counter.
	Preemptions *float64 `json:"preemptions,omitempty"`
	// KVOffloadBytes is the KV cache moved by an offloading connector
	// during the run (KVOffloadSeries names the counter read); nil when
	// the server publishes none (no offloading).
	KVOffloadBytes  *float64 `json:"kv_offload_bytes,omitempty"`
	KVOffloadSeries string   `json:"kv_offload_series,omitempty"`
	// SpecDecode is speculative decoding over the run; nil when the
	// server publishes no vllm:spec_decode_* counters (none configured).
	SpecDecode *SpecDecode `json:"spec_decode,omitempty"`
	// Gap is the client's figure minus the server's, nil when either side
	// has no TTFT.
	Gap *ClientServerGap `json:"gap,omitempty"`
}

// ServerLatency is one of vLLM's latency histograms over a run, in
// milliseconds. Mean is exact (_sum/_count); the quantiles are estimated
// from the buckets (linear interpolation within the bucket, as
// Prometheus' histogram_quantile does), so each is known only to within
// its bucket: P50Low and P50High bound the true median.
type ServerLatency struct {
	N       float64 `json:"n"`
	Mean    float64 `json:"mean"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	P50Low  float64 `json:"p50_low"`
	P50High float64 `json:"p50_high"`
	// Histogram is the differenced histogram itself, in seconds.
	Histogram *Histogram `json:"histogram,omitempty"`
}

// ClientServerGap is what the path in front of the engine adds to each
// request (network, gateway, proxy, vLLM's API server before the engine
// core): the client's TTFT minus the server's, in milliseconds. TTFTShiftMs
// is what client_server_gap judges: the client's quantile at the server's
// exact cumulative fraction at a bucket bound, minus that bound, taken at
// the bound nearest the median (ShiftAt is its fraction; docs/methods.md).
// By mean (exact on both sides, moved by outliers) and by median (the
// server's known only to within its bucket) for comparison.
type ClientServerGap struct {
	TTFTShiftMs float64 `json:"ttft_shift_ms"`
	ShiftAt     float64 `json:"shift_at"`
	TTFTMeanMs  float64 `json:"ttft_mean_ms"`
	TTFTP50Ms   float64 `json:"ttft_p50_ms"`
	// E2EMeanMs is the same on end-to-end latency, 0 when the server
	// publishes no e2e histogram.
	E2EMeanMs float64 `json:"e2e_mean_ms,omitempty"`
}

// SpecDecode is speculative decoding over one run, from vLLM's counters
// (SpecDecodingProm in vllm/v1/spec_decode/metrics.py): AcceptanceRate is
// accepted / draft tokens, MeanAcceptedLength 1 + accepted / drafts (the
// bonus token included, as vLLM's own log line counts it); nil without
// drafts.
type SpecDecode struct {
	Drafts             float64  `json:"drafts"`
	DraftTokens        float64  `json:"draft_tokens"`
	AcceptedTokens     float64  `json:"accepted_tokens"`
	AcceptanceRate     *float64 `json:"acceptance_rate,omitempty"`
	MeanAcceptedLength *float64 `json:"mean_accepted_length,omitempty"`
}
