#!/usr/bin/env bash
# scripts/build-bins.sh OUT [PREBUILT] [WHO]: puts the live suite
# (acceptance.test) and the CLI (vllm-acceptance) into OUT, copied from
# the folder PREBUILT when it is given (a machine without Go), else built
# from this checkout. WHO names the caller in the progress line. Used by
# variance.sh and verdict-pairs.sh.
set -euo pipefail
out=${1:?usage: scripts/build-bins.sh OUT [PREBUILT] [WHO]}
prebuilt=${2:-}
who=${3:-build-bins}
cd "$(dirname "$0")/.."
if [ -n "$prebuilt" ]; then
	cp "$prebuilt/acceptance.test" "$prebuilt/vllm-acceptance" "$out/"
else
	echo "$who: building into $out" >&2
	go test -c -tags live -o "$out/acceptance.test" ./acceptance
	go build -o "$out/vllm-acceptance" ./cmd/vllm-acceptance
fi
