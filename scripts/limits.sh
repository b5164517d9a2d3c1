#!/usr/bin/env bash
# scripts/limits.sh: the limits of one load-generator process on this
# machine (docs/scaling-out.md, "Measured limits"). It serves the embedded
# simulator from a separate process on a loopback port (1 ms first token,
# 4-token answers: the server is never the bottleneck), then runs the live
# suite's open loop at rising rates and its closed loop at rising user
# counts, one process each, and prints what each run's load_generator
# check saw. Requests are bounded: at most RATE×SECONDS per step.
#
#   scripts/limits.sh                      # rates 250..8000/s, users 16..512
#   RATES="500 1000" USERS="64" SECONDS_PER_STEP=2 scripts/limits.sh
#   BIN_DIR=dir scripts/limits.sh         # prebuilt binaries, no Go needed
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${RATES:-250 500 1000 2000 4000 8000}
users=${USERS:-16 64 256 512}
secs=${SECONDS_PER_STEP:-2}
bin=$(mktemp -d)
sim_pid=""
trap '[[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null; rm -rf "$bin"' EXIT
if [[ -n "${BIN_DIR:-}" ]]; then
	# Prebuilt binaries (a machine without Go): acceptance.test and vllm-acceptance.
	cp "$BIN_DIR/acceptance.test" "$BIN_DIR/vllm-acceptance" "$bin/"
else
	go test -c -tags live -o "$bin/acceptance.test" ./acceptance
	go build -o "$bin/vllm-acceptance" ./cmd/vllm-acceptance
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/vllm-acceptance" sim --persona 'healthy?ttft=1ms&itl=0s' --addr "127.0.0.1:$port" >"$bin/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1 && break; sleep 0.1; done
echo "# one process, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | sent | achieved req/s | dispatch lag p50 / p99 / max | late | client CPU (cores) | peak goroutines | chunks/s | TTFT p50 / p99 | load_generator |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
step() { # name, extra env...
	local name=$1
	shift
	local out="$bin/$name"
	(cd acceptance && env -i PATH="$PATH" HOME="$HOME" VLLM_BASE_URL="http://127.0.0.1:$port/v1" ACCEPTANCE_OUT="$out" \
		ACCEPTANCE_SHORT_TOKENS=4 ACCEPTANCE_GPU_INTERVAL=0 ACCEPTANCE_METRICS_INTERVAL=0 ACCEPTANCE_REQUEST_TIMEOUT=60s \
		ACCEPTANCE_PROGRESS_EVERY=0 "$@" "$bin/acceptance.test" -test.run "TestConcurrency/$name" >"$out.log" 2>&1) || true
	python3 - "$out/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for r in m["concurrency"]["runs"]:
    g = r["load_generator"]; l = g["dispatch_lag_ms"]
    c = next(c for c in r["checks"] if c["name"] == "load_generator")
    print(f'| {r["name"]} | {r["requests"]} | {r["request_throughput"]:.0f} | {l["p50"]:.2f} / {l["p99"]:.1f} / {l["max"]:.1f} ms | {g["late"]} '
          f'| {g["cpu_cores_used"]:.2f} of {g["cores"]} | {g["peak_goroutines"]} | {g["chunks_per_s"]:.0f} '
          f'| {r["ttft_ms"]["p50"]:.1f} / {r["ttft_ms"]["p99"]:.1f} ms | {"pass" if c["passed"] else "FAIL"} |')
PY
}
for r in $rates; do
	step "open_$r" ACCEPTANCE_OPEN_LOOP_RATE="$r" ACCEPTANCE_OPEN_LOOP_REQUESTS=$((r * secs))
done
for u in $users; do
	step "closed_$u" ACCEPTANCE_CONCURRENCY="$u" ACCEPTANCE_CONCURRENCY_REQUESTS=$((u * 20))
done
