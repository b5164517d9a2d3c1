package loadmsg

import (
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// remedies is what to do about each failed check of a load run, printed
// after its failure line by LoadFailure.
var remedies = map[string]string{
	sidecar.CheckRequests: "the run did not finish: rerun it to the end (raise go test -timeout above the run's length, " +
		"which is about ACCEPTANCE_STABILITY_REQUESTS × (ACCEPTANCE_STABILITY_INTERVAL + one request))",
	sidecar.CheckSuccessRate: "look up the failing statuses/kinds in requests.jsonl and the server log; " +
		"timeouts: raise ACCEPTANCE_REQUEST_TIMEOUT or lower the load; http_5xx: server crash or OOM; " +
		"the limit is ACCEPTANCE_MIN_SUCCESS_RATE",
	sidecar.CheckDegradation: "latency rose within a request class during the run: look for KV-cache pressure and " +
		"preemptions (server_metrics), VRAM growth (gpu) or other tenants on the GPU, and rerun to confirm; " +
		"the limit is ACCEPTANCE_MAX_DEGRADATION",
	sidecar.CheckGoodputRatio: "too few requests met ACCEPTANCE_SLO_TTFT/ACCEPTANCE_SLO_TPOT at this load: scale the " +
		"server or tune --max-num-seqs/--max-num-batched-tokens, lower ACCEPTANCE_CONCURRENCY/ACCEPTANCE_OPEN_LOOP_RATE " +
		"to find the load it sustains, or fix the SLOs if they are wrong",
	sidecar.CheckErrors: "see the turn's error in requests.jsonl; context_length_exceeded means --max-model-len is too " +
		"small for ACCEPTANCE_CONVERSATION_TURNS",
	sidecar.CheckLatencyGrowth: "TTFT grew faster than the context explains: enable prefix caching " +
		"(--enable-prefix-caching), and check KV-cache usage and preemptions in server_metrics",
	sidecar.CheckLoadGenerator: "the client could not keep up: run fewer requests per second from this machine " +
		"(ACCEPTANCE_OPEN_LOOP_RATE, ACCEPTANCE_CONCURRENCY), give it more cores, or split the load over several " +
		"processes or pods with ACCEPTANCE_SHARD=i/N (docs/scaling-out.md)",
	sidecar.CheckWorkload: "the trace's prompts are calibrated against the server before the run (vLLM's /tokenize, " +
		"else two probe requests reading usage.prompt_tokens): make one of them answer, or replay a chat-format trace, sent as written",
	sidecar.CheckShards: "a shard is missing or did not finish: look at its pod's log (kubectl logs) or its output folder; " +
		"rerun the whole run with a new ACCEPTANCE_START_AT (a shard run later would not overlap the others)",
	sidecar.CheckVRAMGrowth: "VRAM grew during the run: a leak or fragmentation; compare with server_metrics " +
		"kv_cache_usage and rerun longer to confirm",
	sidecar.CheckVRAMMax: "VRAM close to full: lower --gpu-memory-utilization or --max-model-len",
	sidecar.CheckClientServerGap: "the engine's own TTFT is fine; the time is lost before it: point VLLM_BASE_URL past the gateway " +
		"to confirm, then fix or bypass the slow hop (gateway, proxy, service mesh, cross-zone network), or raise " +
		"--api-server-count if vLLM's API server is saturated; a known, accepted hop: raise ACCEPTANCE_MAX_CLIENT_SERVER_GAP",
}
