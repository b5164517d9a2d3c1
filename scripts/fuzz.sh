#!/usr/bin/env bash
# scripts/fuzz.sh [FUZZTIME] runs each fuzz target for FUZZTIME (default
# 30s), one at a time, and prints the executions and any crash. A crash
# leaves its input under the package's testdata/fuzz/<Target>/, where it
# then runs as a regression case in every `go test`. Exit 1 on any crash.
set -uo pipefail
cd "$(dirname "$0")/.."
T="${1:-30s}"
targets=(
	"FuzzResponse ./internal/diagnosis"
	"FuzzStreamChunking ./internal/client"
	"FuzzPlainToolCalls ./internal/client"
	"FuzzParse ./internal/fixture"
	"FuzzDecode ./internal/compare"
	"FuzzParse ./internal/trace"
)
status=0
summary=()
for entry in "${targets[@]}"; do
	read -r name pkg <<<"$entry"
	echo "== $name ($pkg) for $T"
	log="$(mktemp)"
	go test -v -run '^$' -fuzz "^${name}\$" -fuzztime "$T" "$pkg" >"$log" 2>&1
	rc=$?
	execs="$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')"
	if [ "$rc" -eq 0 ]; then
		summary+=("$name: ${execs:-?} execs, no crash")
		grep -E '^fuzz: elapsed' "$log" | tail -n 1
	else
		status=1
		crash="$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | tail -1)"
		summary+=("$name: CRASH after ${execs:-?} execs${crash:+, input in $pkg/$crash}")
		tail -n 40 "$log"
	fi
	rm -f "$log"
done
echo
echo "== fuzz summary ($T each)"
printf '%s\n' "${summary[@]}"
exit "$status"
