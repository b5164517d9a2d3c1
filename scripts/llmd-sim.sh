#!/usr/bin/env bash
# llmd-sim.sh - build and run llm-d-inference-sim (pinned in tools/llmd/go.mod)
# as an interop target for the acceptance suite.
#
#   scripts/llmd-sim.sh build           build (cached) tools/llmd/bin/llm-d-inference-sim
#   scripts/llmd-sim.sh start [PORT]    build, start in background, wait for /v1/models,
#                                       print the base URL (http://127.0.0.1:PORT/v1)
#   scripts/llmd-sim.sh stop            stop the instance started by `start`
#   scripts/llmd-sim.sh status          say whether it runs
#
# Environment (all optional):
#   LLMD_MODEL      model name served            (default Qwen/Qwen3-32B-AWQ)
#   LLMD_MODE       random | echo                (default random; tool calls are
#                                                 generated the same way in both modes,
#                                                 echo only changes plain-text answers)
#   LLMD_SEED       --seed, for reproducible runs (default unset: time-based)
#   LLMD_TTFT       --time-to-first-token        (default 50ms)
#   LLMD_ITL        --inter-token-latency        (default 5ms)
#   LLMD_MAX_MODEL_LEN  --max-model-len          (default 32768; the sim's own default is 1024)
#   LLMD_EXTRA_ARGS extra flags, word-split
#   LLMD_STATE_DIR  where pid and log go         (default tools/llmd/bin/run, git-ignored)
#   LLMD_WAIT_S     readiness limit in seconds   (default 60)
#
# Nothing here reaches the network at run time: --force-dummy-tokenizer makes
# the simulator skip its HuggingFace model lookup and the render service. The
# build itself needs the Go module proxy (or a warm module cache) once.
# NOTE: v0.10.2 has no bind-address flag; it listens on 0.0.0.0:PORT (tcp4,
# all interfaces). We only ever talk to it through 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLDIR="$ROOT/tools/llmd"
BIN="$TOOLDIR/bin/llm-d-inference-sim"
PKG="github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim"
STATE_DIR="${LLMD_STATE_DIR:-$TOOLDIR/bin/run}"
PIDFILE="$STATE_DIR/llmd-sim.pid"
LOGFILE="$STATE_DIR/llmd-sim.log"

die() { echo "llmd-sim: $*" >&2; exit 1; }

build() {
	command -v go >/dev/null || die "go not found in PATH"
	# go build's own cache makes a rebuild with unchanged inputs take ~1-2 s
	# (cold: ~4.5 min on 2 cores). tools/llmd/go.sum pins every dependency.
	# CGO_ENABLED=0: nothing in the simulator needs cgo (pure-Go sqlite and zmq,
	# no in-process tokenizer library).
	(cd "$TOOLDIR" && CGO_ENABLED=0 go build -o bin/llm-d-inference-sim "$PKG") ||
		die "build failed"
}

running_pid() {
	[[ -f "$PIDFILE" ]] || return 1
	local pid
	pid="$(cat "$PIDFILE")"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

start() {
	local port="${1:-8000}"
	[[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
	if pid="$(running_pid)"; then
		die "already running (pid $pid); run '$0 stop' first"
	fi
	command -v curl >/dev/null || die "curl not found in PATH"
	build
	mkdir -p "$STATE_DIR"

	local args=(
		--port "$port"
		--model "${LLMD_MODEL:-Qwen/Qwen3-32B-AWQ}"
		--force-dummy-tokenizer
		--mode "${LLMD_MODE:-random}"
		--max-model-len "${LLMD_MAX_MODEL_LEN:-32768}"
		--time-to-first-token "${LLMD_TTFT:-50ms}"
		--inter-token-latency "${LLMD_ITL:-5ms}"
		--v 1
	)
	[[ -n "${LLMD_SEED:-}" ]] && args+=(--seed "$LLMD_SEED")
	# shellcheck disable=SC2206
	[[ -n "${LLMD_EXTRA_ARGS:-}" ]] && args+=(${LLMD_EXTRA_ARGS})

	# Tool calling needs no flag: the simulator always honours `tools` /
	# `tool_choice` (it rejects vLLM's --enable-auto-tool-choice /
	# --tool-call-parser as unknown flags).
	nohup "$BIN" "${args[@]}" >"$LOGFILE" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >"$PIDFILE"

	local url="http://127.0.0.1:$port"
	local deadline=$((SECONDS + ${LLMD_WAIT_S:-60}))
	until curl -fsS -o /dev/null --max-time 2 "$url/v1/models" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			# main() returns exit status 0 even when flag parsing fails, so a
			# dead process, not its exit code, is the signal.
			rm -f "$PIDFILE"
			echo "llmd-sim: simulator exited during start-up; log $LOGFILE:" >&2
			tail -n 20 "$LOGFILE" >&2
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			kill "$pid" 2>/dev/null || true
			rm -f "$PIDFILE"
			echo "llmd-sim: not ready after ${LLMD_WAIT_S:-60}s; log $LOGFILE:" >&2
			tail -n 20 "$LOGFILE" >&2
			exit 1
		fi
		sleep 0.2
	done
	echo "$url/v1"
}

stop() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PIDFILE"
		echo "llmd-sim: not running" >&2
		return 0
	fi
	kill "$pid"
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
	echo "llmd-sim: stopped (pid $pid)" >&2
}

case "${1:-}" in
build) build ;;
start) shift; start "$@" ;;
stop) stop ;;
status)
	if pid="$(running_pid)"; then echo "running (pid $pid)"; else echo "not running"; exit 1; fi
	;;
*)
	sed -n '2,24p' "$0" >&2
	exit 2
	;;
esac
