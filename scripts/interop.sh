#!/usr/bin/env bash
# Runs the live suite against llm-d-inference-sim v0.10.2 (built from the
# module proxy through tools/llmd's tool directive) on a loopback port and
# checks the structural verdicts (TestInteropLLMD in internal/selftest).
# Part of `make test`; needs no GPU and nothing installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18431)
export LLMD_STATE_DIR="$(mktemp -d)"
trap 'scripts/llmd-sim.sh stop >/dev/null 2>&1 || true; rm -rf "$LLMD_STATE_DIR"' EXIT
echo "interop: building and starting llm-d-inference-sim v0.10.2 on 127.0.0.1:$port (first build takes minutes)"
url=$(LLMD_SEED=7 scripts/llmd-sim.sh start "$port" | tail -n 1)
LLMD_BASE_URL="$url" go test -count=1 -run 'TestInteropLLMD' -v ./internal/selftest/
