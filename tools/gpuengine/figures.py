#!/usr/bin/env python3
"""Print the figures of a validate.sh output folder (docs/gpu-host.md's
tables are written from this, not by hand):

    python3 tools/gpuengine/figures.py out/gpuengine
"""

import json
import os
import re
import sys


def load(d, phase):
    p = os.path.join(d, phase, "metrics.json")
    if not os.path.isfile(p):
        return None
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def prom(d, phase):
    """name{labels} -> value of the engine's /metrics after the phase."""
    out = {}
    p = os.path.join(d, phase, "engine-metrics.txt")
    if not os.path.isfile(p):
        return out
    for line in open(p, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([^{ ]+)(\{[^}]*\})? (\S+)$", line.strip())
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def series(p, name):
    return sum(v for k, v in p.items() if k.split("{")[0] == name)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def waves(d, phase, m):
    """Warm-up effect: per load run, the TPOT and TTFT medians of the
    uncounted warm-up requests, the first counted wave (as many requests as
    the run's concurrency) and the rest, from requests.jsonl."""
    p = os.path.join(d, phase, "requests.jsonl")
    if not os.path.isfile(p):
        return
    by = {}
    for line in open(p, encoding="utf-8"):
        r = json.loads(line)
        by.setdefault(r.get("test", ""), []).append(r)
    conc = {run["name"]: run.get("concurrency") or 1 for run in (m.get("concurrency") or {}).get("runs") or []}
    for test, rs in sorted(by.items()):
        if test == "TestCapacity":
            continue
        rs.sort(key=lambda r: r.get("start", ""))
        warm = [r for r in rs if "warm" in (r.get("class") or "")]
        counted = [r for r in rs if "warm" not in (r.get("class") or "") and r.get("status") == 200]
        n = conc.get(test.split("/")[-1], 1)
        first, rest = counted[:n], counted[n:]

        def f(xs, k):
            v = median([r[k] for r in xs if r.get(k)])
            return "-" if v is None else f"{v:.1f}"
        print(f"waves {test}: warm-up {len(warm)} (tpot {f(warm, 'tpot_ms')}, ttft {f(warm, 'ttft_ms')}); first {len(first)} "
              f"(tpot {f(first, 'tpot_ms')}, ttft {f(first, 'ttft_ms')}); rest {len(rest)} (tpot {f(rest, 'tpot_ms')}, "
              f"ttft {f(rest, 'ttft_ms')}) ms medians")


def s(x, f="{:.1f}"):
    return "-" if x is None else f.format(x)


def main(d):
    for phase in ("load", "tools", "eager"):
        m = load(d, phase)
        if m is None:
            continue
        p = prom(d, phase)
        print(f"## {phase}: complete {m.get('complete')}, end {m.get('end_reason')}, passed {m.get('tests_passed')}")
        gpu = m.get("gpu") or {}
        for dev in gpu.get("devices") or []:
            print(f"gpu: {json.dumps(dev)[:400]}")
        for c in gpu.get("checks") or []:
            print(f"gpu check {c['name']}: passed {c['passed']} value {c.get('value')} {c.get('detail', '')[:200]}")
        rl = m.get("roofline")
        if rl:
            print(f"roofline: {rl.get('verdict')} gpu {rl.get('gpu')} bw {rl.get('bandwidth_gb_s')} GB/s bound "
                  f"{s(rl.get('bound_tokens_per_s'))} tok/s measured {s(rl.get('measured_tokens_per_s'))} fraction "
                  f"{s(rl.get('fraction'), '{:.3f}')} | {rl.get('detail', '')[:300]}")
        for run in (m.get("stability") or {}).get("runs") or []:
            print(f"stability {run['name']}: {run['completed']}/{run['requests']} ttft p50 {s(run['ttft_ms'].get('p50'))} "
                  f"tpot p50 {s(run['tpot_ms'].get('p50'), '{:.2f}')} p99 {s(run['tpot_ms'].get('p99'), '{:.2f}')} "
                  f"e2e p50 {s(run['e2e_ms'].get('p50'))} verdict {run['verdict']}")
            for c in run.get("checks") or []:
                print(f"   check {c['name']}: {c['passed']} {c.get('value')} {c.get('detail', '')[:200]}")
            sv = run.get("server_view") or {}
            if sv:
                print(f"   server_view: requests {sv.get('requests')} ttft mean {s((sv.get('ttft_ms') or {}).get('mean'))} "
                      f"itl mean {s((sv.get('itl_ms') or {}).get('mean'), '{:.2f}')} e2e mean {s((sv.get('e2e_ms') or {}).get('mean'))} ms")
            for k, v in run.items():
                if k.startswith("warm") or k in ("first_wave", "cold_start", "interrupted"):
                    print(f"   {k}: {json.dumps(v)[:300]}")
        for run in (m.get("concurrency") or {}).get("runs") or []:
            print(f"concurrency {run['name']}: {run['completed']}/{run['requests']} goodput ratio {s(run.get('goodput_ratio'), '{:.3f}')} "
                  f"req/s {s(run.get('request_throughput'), '{:.2f}')} out tok/s {s(run.get('output_throughput'))} "
                  f"ttft p50/p99 {s(run['ttft_ms'].get('p50'))}/{s(run['ttft_ms'].get('p99'))} tpot p50/p99 "
                  f"{s(run['tpot_ms'].get('p50'), '{:.2f}')}/{s(run['tpot_ms'].get('p99'), '{:.2f}')} verdict {run['verdict']}")
            for k, v in run.items():
                if k.startswith("warm") or k in ("first_wave", "cold_start", "server_latency", "server"):
                    print(f"   {k}: {json.dumps(v)[:400]}")
            for c in run.get("checks") or []:
                if not c.get("passed") or c["name"] == "client_server_gap":
                    print(f"   {'ok' if c.get('passed') else 'FAILED'} {c['name']}: {c.get('detail', '')[:300]}")
            sv = run.get("server_view") or {}
            if sv:
                print(f"   server_view: requests {sv.get('requests')} ttft mean {s((sv.get('ttft_ms') or {}).get('mean'))} "
                      f"itl mean {s((sv.get('itl_ms') or {}).get('mean'), '{:.2f}')} e2e mean {s((sv.get('e2e_ms') or {}).get('mean'))} "
                      f"queue mean {s((sv.get('queue_ms') or {}).get('mean'), '{:.2f}')} ms")
        for run in (m.get("conversation") or {}).get("runs") or []:
            print(f"conversation {run['name']}: verdict {run['verdict']}, {run.get('output_tokens_per_s', 0):.1f} tok/s overall")
            for t in run.get("turns") or []:
                print(f"   turn {t['turn']}: prompt {t['prompt_tokens']} completion {t['completion_tokens']} ttft {t['ttft_ms']:.0f} ms "
                      f"e2e {t['e2e_ms']:.0f} ms {t['output_tokens_per_s']:.1f} tok/s {t.get('error', '')}")
        cap = m.get("capacity")
        if cap:
            print(f"capacity: {cap.get('max_rate_per_s')} req/s ({cap.get('confidence')}), stop: {cap.get('stop_reason')}; idle {json.dumps(cap.get('idle'))}")
            for st in cap.get("steps") or []:
                srv = st.get("server") or {}
                print(f"   step {st['rate_per_s']:.2f} req/s: {st['outcome']} goodput ratio {st.get('goodput_ratio', 0):.3f} "
                      f"ttft p99 {s(st['ttft_ms'].get('p99'))} tpot p50/p99 {s(st['tpot_ms'].get('p50'), '{:.2f}')}/"
                      f"{s(st['tpot_ms'].get('p99'), '{:.2f}')} running_max {srv.get('running_max')} waiting_max "
                      f"{srv.get('waiting_max')} kv_max {srv.get('kv_cache_usage_max')} preempt {srv.get('preemptions')}")
        waves(d, phase, m)
        sm = m.get("server_metrics") or {}
        if sm:
            print(f"server_metrics delta: {json.dumps(sm.get('delta'))[:400]}")
        for k in ("server_latency", "latency_gap", "warmup"):
            if k in m:
                print(f"{k}: {json.dumps(m[k])[:600]}")
        if p:
            def mean(name):
                c, sm_ = series(p, name + "_count"), series(p, name + "_sum")
                return sm_ / c * 1000 if c else None
            print(f"engine /metrics: requests {series(p, 'vllm:request_success_total'):.0f}, prompt tokens "
                  f"{series(p, 'vllm:prompt_tokens_total'):.0f}, generation tokens {series(p, 'vllm:generation_tokens_total'):.0f}, "
                  f"preemptions {series(p, 'vllm:num_preemptions_total'):.0f}; means: ttft {s(mean('vllm:time_to_first_token_seconds'))} ms, "
                  f"itl {s(mean('vllm:inter_token_latency_seconds'), '{:.2f}')} ms, e2e {s(mean('vllm:e2e_request_latency_seconds'))} ms, "
                  f"queue {s(mean('vllm:request_queue_time_seconds'), '{:.2f}')} ms")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/gpuengine")
