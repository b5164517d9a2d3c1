#!/usr/bin/env bash
# Measures the capacity search against the embedded simulator and prints
# the figures docs/capacity.md quotes, beside the discrete-event model's
# (capacity.Model, from each persona's declared parameters):
#   - seed_pace with the default knobs (no start rate, default steps and
#     SLOs): the search's figure and its wall time at the seed report's pace;
#   - the batching persona (TTFT and ITL × (1 + in-flight/K)) with the
#     self-tests' short steps, at several K and goodput ratios.
# Usage: scripts/capacity-figures.sh BIN OUT [CASE...]
#   BIN: the live suite, built with `go test -c -tags live -o BIN ./acceptance`
#   OUT: a folder; each case writes OUT/<case>/metrics.json and log.txt
#   CASE: run only these cases (default: all)
# Cases run PARALLEL (default 1) at a time: on a loaded machine the
# simulator's timers (and so TPOT) stretch and the load generator lags.
set -euo pipefail
bin=$(realpath "$1"); out=$(realpath -m "$2"); shift 2; mkdir -p "$out"
root=$(cd "$(dirname "$0")/.." && pwd)
base=(ACCEPTANCE_GPU_INTERVAL=0 ACCEPTANCE_FIXTURES="$root/fixtures")
short=(ACCEPTANCE_SHORT_TOKENS=20 ACCEPTANCE_SLO_TTFT=2s ACCEPTANCE_SLO_TPOT=20ms
  ACCEPTANCE_CAPACITY_STEP=2s ACCEPTANCE_CAPACITY_WARMUP=1s ACCEPTANCE_CAPACITY_MIN_STEP_REQUESTS=30
  ACCEPTANCE_CAPACITY_RESOLUTION=0.05 ACCEPTANCE_CAPACITY_MAX_TIME=5m ACCEPTANCE_REQUEST_TIMEOUT=20s)
one() { # name sim-spec extra-env...
  local name=$1 spec=$2; shift 2
  mkdir -p "$out/$name"
  local t0=$SECONDS
  (cd "$root/acceptance" && env "${base[@]}" ACCEPTANCE_SIMULATOR="$spec" ACCEPTANCE_OUT="$out/$name" "$@" \
    "$bin" -test.run '^TestCapacity$' -test.v -test.count=1 -test.timeout 30m >"$out/$name/log.txt" 2>&1) || true
  python3 - "$out/$name/metrics.json" "$name" $((SECONDS - t0)) <<'PY'
import json, sys
path, name, wall = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    c = json.load(open(path))["capacity"]
except Exception as e:  # a run that wrote no capacity section
    print(f"{name}: no capacity section ({e})"); sys.exit(0)
p = c.get("probe") or {}
print(f"{name}: {c['max_rate_per_s']:.3g} req/s ({c['confidence']}), interval [{c['interval']['low']:.3g}, {c['interval']['high']:.3g}], "
      f"{len(c['steps'])} steps, {c['requests']} requests, search {c['duration_s']:.0f} s (process {wall} s); "
      f"probe {p.get('concurrency', 0)} in flight -> {p.get('throughput_per_s', 0):.3g} req/s; stop: {c['stop_reason']}")
PY
}
cases=(
  "seed_pace_defaults|seed_pace|"
  "donewhen_r05|batching?ttft=50ms&itl=10ms&batch_k=16|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "donewhen_r09|batching?ttft=50ms&itl=10ms&batch_k=16|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.9"
  "k8_r05|batching?ttft=50ms&itl=10ms&batch_k=8|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k24_r05|batching?ttft=50ms&itl=10ms&batch_k=24|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k32_r05|batching?ttft=50ms&itl=10ms&batch_k=32|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
  "k64_r05|batching?ttft=50ms&itl=10ms&batch_k=64|short ACCEPTANCE_MIN_GOODPUT_RATIO=0.5"
)
if [[ -z ${SKIP_MODEL:-} ]]; then echo "the discrete-event model (capacity.Model):"
(cd "$root" && go test -run '^$' -bench ModelCapacity -benchtime 1x ./internal/capacity | grep -E 'req/s' | awk '{print "  " $1 ": " $(NF-1) " req/s"}')
fi
n=0
for c in "${cases[@]}"; do
  IFS='|' read -r name spec extra <<<"$c"
  if (($# > 0)) && [[ ! " $* " == *" $name "* ]]; then continue; fi
  env=()
  for e in $extra; do
    if [[ $e == short ]]; then env+=("${short[@]}"); else env+=("$e"); fi
  done
  one "$name" "$spec" "${env[@]}" &
  n=$((n + 1)); if (( n % ${PARALLEL:-1} == 0 )); then wait; fi
done
wait
