#!/usr/bin/env bash
# scripts/shards.sh N [OUT]: a sharded run by hand, on this machine, the way
# the Kubernetes Indexed Job runs it (docs/scaling-out.md). It starts the
# embedded simulator on a loopback port (or uses VLLM_BASE_URL when set),
# runs N shard processes of the load runs (ACCEPTANCE_SHARD=i/N, one
# ACCEPTANCE_START_AT a few seconds ahead, one ACCEPTANCE_RUN_ID, one
# ACCEPTANCE_SHARD_BARRIER folder so later load runs start together; the
# Indexed Job gives JOB_COMPLETION_INDEX=i and ACCEPTANCE_SHARDS=N instead,
# which mean the same), then merges them with `vllm-acceptance merge`.
#
#   scripts/shards.sh 4                 # out/shards/{0..3} and out/merged
#   ACCEPTANCE_CAPACITY=true scripts/shards.sh 2   # the capacity search too (minutes; off by default here)
#   ACCEPTANCE_OPEN_LOOP_RATE=200 ACCEPTANCE_OPEN_LOOP_REQUESTS=2000 scripts/shards.sh 4
#
# Load knobs come from the environment like any run (ACCEPTANCE_*, or
# ACCEPTANCE_PROFILE); SHARDS_SIM sets the simulator's persona.
# Exit status: merge's (0 pass, 1 fail, 2 bad input).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/shards.sh N [OUT]}
out=${2:-out}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "shards.sh: N must be a whole number >= 1, got '$n'" >&2; exit 2; }

bin=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$bin"
}
trap cleanup EXIT
echo "shards.sh: building the suite and the CLI"
go test -c -tags live -o "$bin/acceptance.test" ./acceptance
go build -o "$bin/vllm-acceptance" ./cmd/vllm-acceptance

if [[ -z "${VLLM_BASE_URL:-}" ]]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18432)
	"$bin/vllm-acceptance" sim --persona "${SHARDS_SIM:-healthy?ttft=30ms&itl=2ms&noise=0.1&seed=1}" --addr "127.0.0.1:$port" >"$bin/sim.log" 2>&1 &
	sim_pid=$!
	pids+=("$sim_pid")
	export VLLM_BASE_URL="http://127.0.0.1:$port/v1"
	for _ in $(seq 50); do curl -fsS "$VLLM_BASE_URL/models" >/dev/null 2>&1 && break; sleep 0.1; done
	echo "shards.sh: simulator on $VLLM_BASE_URL"
fi

run_id="run-$(date -u +%Y%m%dT%H%M%SZ)"
start=$(date -u -d "+$((3 + n / 4)) sec" +%Y-%m-%dT%H:%M:%SZ)
rm -rf "$out/shards" "$out/merged" "$out/barrier"
echo "shards.sh: $n shards of run $run_id, load starting at $start"
shard_pids=()
for ((i = 0; i < n; i++)); do
	mkdir -p "$out/shards/$i"
	(
		cd acceptance
		ACCEPTANCE_SHARD=$i/$n ACCEPTANCE_RUN_ID=$run_id ACCEPTANCE_START_AT=$start \
			ACCEPTANCE_OUT="$out/shards/$i" ACCEPTANCE_SHARD_BARRIER="$out/barrier" \
			ACCEPTANCE_GPU_INTERVAL=${ACCEPTANCE_GPU_INTERVAL:-0} \
			ACCEPTANCE_CAPACITY=${ACCEPTANCE_CAPACITY:-false} \
			exec "$bin/acceptance.test" -test.v -test.count=1 -test.run '^(TestConcurrency|TestCapacity)$'
	) >"$out/shards/$i/shard.log" 2>&1 &
	shard_pids+=("$!")
	pids+=("$!")
done
failed=0
for ((i = 0; i < n; i++)); do
	if ! wait "${shard_pids[$i]}"; then
		echo "shards.sh: shard $i/$n failed; see $out/shards/$i/shard.log" >&2
		failed=1
	fi
done
echo "shards.sh: merging into $out/merged"
rc=0
"$bin/vllm-acceptance" merge --out "$out/merged" "$out/shards" || rc=$?
if ((failed && rc == 0)); then rc=1; fi
exit "$rc"
