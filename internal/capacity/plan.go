package capacity

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
)

// TimeBudget is the longest a capacity search may take with these knobs,
// the idle probe, the saturating probe and every step's drain included:
// ACCEPTANCE_CAPACITY_MAX_TIME, which the search never passes (a step that
// could is not started). At the seed report's pace the search ends by
// itself well before it (docs/capacity.md: under 5 minutes).
func TimeBudget(c config.Capacity) time.Duration { return c.CapacityMaxTime }

// Probe concurrency: the closed loop that bounds the throughput runs at
// the server's batch limit where /metrics tells it, capped at
// MaxProbeConcurrency, else at DefaultProbeConcurrency (vLLM does not
// publish --max-num-seqs; a search whose ceiling proves low tries it and
// goes on doubling, so a low default costs steps, not accuracy).
const (
	DefaultProbeConcurrency = 64
	MaxProbeConcurrency     = 256
)

// Probe concurrency sources (sidecar.CapacityProbe.ConcurrencySource).
const (
	SourceMaxNumSeqs = "max_num_seqs"
	SourceKVCache    = "kv_cache"
	SourceDefault    = "default"
)

// ProbeConcurrency is the saturating probe's requests in flight, from the
// engine's configuration as /metrics labels it (scrape.Snapshot.Info:
// "<gauge without vllm: and _info>.<label>"), and where it came from:
// a max_num_seqs label where an engine publishes one; else the KV cache's
// room, num_gpu_blocks × block_size tokens of vllm:cache_config_info (vLLM
// labels the gauge with CacheConfig's fields, num_gpu_blocks included once
// profiled: PrometheusStatLogger.log_engine_initialized → log_metrics_info(
// "cache_config") in vllm/v1/metrics/loggers.py, v0.10–v0.11, and
// CacheConfig.metrics_info, every field as a label),
// over tokensPerRequest; else DefaultProbeConcurrency.
func ProbeConcurrency(info map[string]string, tokensPerRequest int) (int, string, string) {
	for k, v := range info {
		if strings.HasSuffix(k, ".max_num_seqs") {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				c := min(n, MaxProbeConcurrency)
				return c, SourceMaxNumSeqs, fmt.Sprintf("%s=%d on /metrics", k, n)
			}
		}
	}
	blocks, errB := strconv.ParseFloat(info["cache_config_info.num_gpu_blocks"], 64)
	size, errS := strconv.ParseFloat(info["cache_config_info.block_size"], 64)
	if errB == nil && errS == nil && blocks > 0 && size > 0 && tokensPerRequest > 0 {
		room := int(blocks * size / float64(tokensPerRequest))
		if room >= 1 {
			c := min(room, MaxProbeConcurrency)
			return c, SourceKVCache, fmt.Sprintf("the KV cache holds %d requests of %d tokens (num_gpu_blocks %.0f × block_size %.0f)",
				room, tokensPerRequest, blocks, size)
		}
	}
	return DefaultProbeConcurrency, SourceDefault, "no batch limit on /metrics: the default"
}

// DrainFor is how long a step waits for its counted requests still in
// flight once its counted part ends: the TTFT SLO plus every further token
// at the TPOT SLO, after which a request still running is certainly
// outside the SLOs (Tally.Late). With no SLO it is the step's length.
func DrainFor(sloTTFT, sloTPOT time.Duration, tokens int, step time.Duration) time.Duration {
	if sloTTFT <= 0 || sloTPOT <= 0 {
		return step
	}
	return sloTTFT + time.Duration(max(tokens-1, 0))*sloTPOT
}
