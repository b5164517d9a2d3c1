#!/usr/bin/env bash
# Measures the capacity search against the embedded simulator's batching
# persona (TTFT and ITL × (1 + in-flight/K)): the figures docs/capacity.md
# quotes. Usage: scripts/capacity-figures.sh BIN OUT
#   BIN: the live suite, built with `go test -c -tags live -o BIN ./acceptance`
#   OUT: a folder; each case writes OUT/<case>/metrics.json
# Cases run PARALLEL (default 4) at a time; run it on an idle machine with 8 or more cores,
# or the simulator's timers (and so TPOT) stretch with the host's load.
set -euo pipefail
bin=$(realpath "$1"); out=$(realpath -m "$2"); mkdir -p "$out"
root=$(cd "$(dirname "$0")/.." && pwd)
common=(ACCEPTANCE_SHORT_TOKENS=20 ACCEPTANCE_SLO_TTFT=2s ACCEPTANCE_SLO_TPOT=20ms
  ACCEPTANCE_CAPACITY_STEP=2s ACCEPTANCE_CAPACITY_WARMUP=1s ACCEPTANCE_CAPACITY_MIN_STEP_REQUESTS=30
  ACCEPTANCE_CAPACITY_RESOLUTION=0.05 ACCEPTANCE_CAPACITY_MAX_TIME=5m ACCEPTANCE_GPU_INTERVAL=0
  ACCEPTANCE_REQUEST_TIMEOUT=20s ACCEPTANCE_FIXTURES="$root/fixtures")
one() { # name sim-spec extra-env...
  local name=$1 spec=$2; shift 2
  mkdir -p "$out/$name"
  (cd "$root/acceptance" && env "${common[@]}" ACCEPTANCE_SIMULATOR="$spec" ACCEPTANCE_OUT="$out/$name" "$@" \
    "$bin" -test.run '^TestCapacity$' -test.v -test.count=1 >"$out/$name/log.txt" 2>&1) || true
  echo "$name: $(grep -o 'capacity: .*' "$out/$name/log.txt" | tail -1)"
}
cases=(
  "donewhen_r05|batching?ttft=50ms&itl=10ms&batch_k=16|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "donewhen_r09|batching?ttft=50ms&itl=10ms&batch_k=16|ACCEPTANCE_MIN_GOODPUT_RATIO=0.9"
  "k8_r05|batching?ttft=50ms&itl=10ms&batch_k=8|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k16_r05|batching?ttft=50ms&itl=10ms&batch_k=16|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k24_r05|batching?ttft=50ms&itl=10ms&batch_k=24|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k32_r05|batching?ttft=50ms&itl=10ms&batch_k=32|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k64_r05|batching?ttft=50ms&itl=10ms&batch_k=64|ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k16_r09_res10|batching?ttft=50ms&itl=10ms&batch_k=16|ACCEPTANCE_MIN_GOODPUT_RATIO=0.9 ACCEPTANCE_CAPACITY_RESOLUTION=0.1"
)
n=0
for c in "${cases[@]}"; do
  IFS='|' read -r name spec extra <<<"$c"
  # shellcheck disable=SC2086
  one "$name" "$spec" $extra &
  n=$((n + 1)); if (( n % ${PARALLEL:-4} == 0 )); then wait; fi
done
wait
