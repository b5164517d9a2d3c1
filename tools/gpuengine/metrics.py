"""vLLM's /metrics series, through prometheus_client as vLLM itself does
(so the exposition, `# TYPE` lines, `_total` and `_created` suffixes are
prometheus_client's, not hand-written).

Names, labels (model_name, engine; finished_reason on request_success),
documentation strings and buckets follow vllm/v1/metrics/loggers.py at
commit 005a810bc40faa25b8870fbc8559c3462581eee3 (v0.10.1, PrometheusStatLogger).
vllm:inter_token_latency_seconds is the later name of
vllm:time_per_output_token_seconds (listed among the v1 metrics in
docs/design/metrics.md at commit f7e3a0879e633f9924d477b85a3775cb1ae2a2e5),
with the same buckets; both are exported, as vLLM did while the old name
was deprecated. This engine has no prefix cache: prefix_cache_queries
counts every prompt token, prefix_cache_hits stays 0.
"""

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                20.0, 40.0, 80.0, 160.0, 640.0, 2560.0]
TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
                40.0, 80.0]
REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
                           120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0]
FINISH_REASONS = ("stop", "length", "abort")


def build_1_2_5_buckets(max_value):
    out, exp = [], 0
    while True:
        for m in (1, 2, 5):
            v = m * 10 ** exp
            if v > max_value:
                return out
            out.append(v)
        exp += 1


class Metrics:
    def __init__(self, model_name, max_model_len, cache_info):
        self.registry = reg = CollectorRegistry()
        self.lock = threading.Lock()
        lv = (model_name, "0")
        ln = ["model_name", "engine"]

        def gauge(name, doc):
            return Gauge(name, doc, ln, registry=reg).labels(*lv)

        def counter(name, doc):
            return Counter(name, doc, ln, registry=reg).labels(*lv)

        def hist(name, doc, buckets):
            return Histogram(name, doc, ln, buckets=buckets, registry=reg).labels(*lv)

        self.running = gauge("vllm:num_requests_running", "Number of requests in model execution batches.")
        self.waiting = gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.")
        self.kv = gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.")
        self.gpu_kv = gauge("vllm:gpu_cache_usage_perc",
                            "GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.")
        self.pc_queries = counter("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.")
        self.pc_hits = counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.")
        self.preemptions = counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.")
        self.prompt_tokens = counter("vllm:prompt_tokens", "Number of prefill tokens processed.")
        self.generation_tokens = counter("vllm:generation_tokens", "Number of generation tokens processed.")
        succ = Counter("vllm:request_success", "Count of successfully processed requests.", ln + ["finished_reason"],
                       registry=reg)
        self.success = {r: succ.labels(*lv, r) for r in FINISH_REASONS}
        tok_buckets = build_1_2_5_buckets(max_model_len)
        self.req_prompt = hist("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tok_buckets)
        self.req_gen = hist("vllm:request_generation_tokens", "Number of generation tokens processed.", tok_buckets)
        self.req_max_tokens = hist("vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.",
                                   tok_buckets)
        self.iter_tokens = hist("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.",
                                [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384])
        self.ttft_h = hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                           TTFT_BUCKETS)
        self.tpot_h = hist("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.",
                           TPOT_BUCKETS)
        self.itl_h = hist("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
                          TPOT_BUCKETS)
        self.e2e_h = hist("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                          REQUEST_LATENCY_BUCKETS)
        self.queue_h = hist("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
                            REQUEST_LATENCY_BUCKETS)
        self.inference_h = hist("vllm:request_inference_time_seconds",
                                "Histogram of time spent in RUNNING phase for request.", REQUEST_LATENCY_BUCKETS)
        self.prefill_h = hist("vllm:request_prefill_time_seconds",
                              "Histogram of time spent in PREFILL phase for request.", REQUEST_LATENCY_BUCKETS)
        self.decode_h = hist("vllm:request_decode_time_seconds",
                             "Histogram of time spent in DECODE phase for request.", REQUEST_LATENCY_BUCKETS)
        info = Gauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig",
                     list(cache_info) + ["engine"], registry=reg)
        info.labels(**{k: str(v) for k, v in cache_info.items()}, engine="0").set(1)

    # ----- called by the engine thread

    def scheduler(self, running, waiting, kv_usage):
        self.running.set(running)
        self.waiting.set(waiting)
        self.kv.set(kv_usage)
        self.gpu_kv.set(kv_usage)

    def queued(self, seconds):
        self.queue_h.observe(seconds)

    def prompt(self, n):
        self.prompt_tokens.inc(n)
        self.pc_queries.inc(n)
        self.pc_hits.inc(0)

    def iteration(self, prompt=0, generation=0):
        self.iter_tokens.observe(prompt + generation)

    def generation(self, n):
        self.generation_tokens.inc(n)

    def ttft(self, seconds):
        self.ttft_h.observe(seconds)

    def itl(self, seconds):
        self.itl_h.observe(seconds)
        self.tpot_h.observe(seconds)

    def preempted(self):
        self.preemptions.inc()

    def finished(self, r):
        self.success[r.finish_reason if r.finish_reason in self.success else "abort"].inc()
        end = r.finished_at
        self.e2e_h.observe(end - r.arrival)
        self.req_prompt.observe(len(r.prompt))
        self.req_gen.observe(len(r.generated))
        self.req_max_tokens.observe(r.max_tokens)
        if r.scheduled is not None:
            self.inference_h.observe(end - r.scheduled)
            first = r.first_token or end
            self.prefill_h.observe(first - r.scheduled)
            self.decode_h.observe(end - first)
        else:
            self.queue_h.observe(end - r.arrival)

    def exposition(self):
        return generate_latest(self.registry)
