#!/usr/bin/env bash
# scripts/verdict-pairs.sh [WORKDIR] measures issue 18's "Done when": two
# identical healthy runs never compare as regressed because of a check
# that could not be measured. For each /metrics variant of the simulator
# (metrics=none: no /metrics; no_preemptions: vllm: series but no
# preemption counter; 404; 500) it runs the live stability test against
# its own loopback simulator and compares
#
#   - VERDICT_PAIRS1 (default 30) pairs of single runs, and
#   - VERDICT_PAIRS3 (default 10) pairs of 3-run folders,
#
# counting compare's exit codes: 0 pass, 4 inconclusive, 1 regressed (any
# other code is an error and fails the script), and, of the regressed
# pairs, those regressed on a verdict row (an area's `*.passed`: what an
# unmeasured check would turn red) rather than on a latency or throughput
# row (timing noise, the subject of scripts/variance.sh). Each run should
# pass on its own (go test exit 0) with its preemption check unknown; one
# that did not (on a loaded machine: the load_generator check) is counted.
#
# Small, fast knobs: 10 stability requests 5 ms apart, 8/32 tokens, a
# simulator at 20 ms TTFT and 2 ms ITL; degradation is not the subject
# (ACCEPTANCE_MAX_DEGRADATION=5, as in internal/selftest/unknown_test.go).
# VERDICT_VARIANTS picks variants (default "none no_preemptions 404 500"),
# VERDICT_PARALLEL runs at a time (default 6; the simulator sleeps).
# Every run is bounded (go test -test.timeout 2m); all traffic is to
# 127.0.0.1. VERDICT_BIN: a folder with prebuilt acceptance.test and
# vllm-acceptance. Exit 1 when a pair regressed or a run did not pass.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
W="${1:-$(mktemp -d /tmp/verdict-pairs.XXXXXX)}"
mkdir -p "$W"
W="$(cd "$W" && pwd)"
PAR="${VERDICT_PARALLEL:-6}"
PAIRS1="${VERDICT_PAIRS1:-30}"
PAIRS3="${VERDICT_PAIRS3:-10}"
VARIANTS="${VERDICT_VARIANTS:-none no_preemptions 404 500}"
start=$(date +%s)

scripts/build-bins.sh "$W" "${VERDICT_BIN:-}" verdict-pairs
VA="$W/vllm-acceptance"

# run_one DIR VARIANT: one stability run into DIR; DIR.rc holds its exit.
run_one() {
	local dir="$1" variant="$2" rc=0
	[ -f "$dir.rc" ] && return 0
	mkdir -p "$dir"
	(cd "$root/acceptance" &&
		ACCEPTANCE_SIMULATOR="healthy?ttft=20ms&itl=2ms&metrics=$variant" \
			ACCEPTANCE_OUT="$dir" ACCEPTANCE_STABILITY_REQUESTS=10 ACCEPTANCE_STABILITY_INTERVAL=5ms \
			ACCEPTANCE_SHORT_TOKENS=8 ACCEPTANCE_LONG_TOKENS=32 ACCEPTANCE_METRICS_INTERVAL=50ms \
			ACCEPTANCE_MAX_DEGRADATION=5 ACCEPTANCE_GPU_INTERVAL=0 ACCEPTANCE_PROFILE= \
			"$W/acceptance.test" -test.run '^TestStability$' -test.timeout 2m >"$dir.log" 2>&1) || rc=$?
	echo "$rc" >"$dir.rc"
}
export -f run_one
export root W

jobs="$W/jobs.txt"
: >"$jobs"
for v in $VARIANTS; do
	for p in $(seq 1 "$PAIRS1"); do
		echo "$W/$v/single/a$p/1 $v" >>"$jobs"
		echo "$W/$v/single/b$p/1 $v" >>"$jobs"
	done
	for p in $(seq 1 "$PAIRS3"); do
		for i in 1 2 3; do
			echo "$W/$v/folder/a$p/$i $v" >>"$jobs"
			echo "$W/$v/folder/b$p/$i $v" >>"$jobs"
		done
	done
done
echo "verdict-pairs: $(wc -l <"$jobs") runs, $PAR at a time" >&2
xargs -P "$PAR" -L 1 bash -c 'run_one "$@"' _ <"$jobs"

status=0
# A run that did not pass on its own, or whose preemption check is not
# unknown, is a failure of the premise.
bad_runs=0 not_unknown=0
while read -r dir _; do
	if ! tr -d '\n ' <"$dir/metrics.json" 2>/dev/null | grep -q '"name":"preemptions"[^}]*"outcome":"unknown"'; then
		not_unknown=$((not_unknown + 1))
		echo "verdict-pairs: $dir: preemptions not unknown (see $dir.log)" >&2
	fi
	if [ "$(cat "$dir.rc")" != 0 ]; then
		bad_runs=$((bad_runs + 1))
		echo "verdict-pairs: $dir did not pass: $(grep -m1 -oE '[a-z_]+ failed: [^(;]*' "$dir.log" || echo see "$dir.log")" >&2
	fi
done <"$jobs"
[ "$not_unknown" -eq 0 ] || status=1

# cmp_pair NAME A B: compare's exit code.
cmp_pair() {
	local rc=0
	mkdir -p "$W/cmp"
	"$VA" compare "$2" "$3" >"$W/cmp/$1.md" 2>"$W/cmp/$1.err" || rc=$?
	# "1v" when a verdict row (an area's *.passed) regressed.
	if [ "$rc" = 1 ] && grep -Eq '\.passed`[^|]*\|.*\*\*regressed\*\*' "$W/cmp/$1.md"; then rc=1v; fi
	echo "$rc"
}
count() { grep -c "^$1\$" "$2" || true; }

res="$W/results.md"
{
	echo "| /metrics | pairs | pass | inconclusive | regressed on a verdict row | regressed on timing rows only | other exit |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
} >"$res"
for v in $VARIANTS; do
	for kind in single folder; do
		n="$PAIRS1" && [ "$kind" = folder ] && n="$PAIRS3"
		out="$W/$v.$kind.txt"
		: >"$out"
		for p in $(seq 1 "$n"); do
			if [ "$kind" = single ]; then
				cmp_pair "$v-$kind-$p" "$W/$v/single/a$p/1" "$W/$v/single/b$p/1" >>"$out"
			else
				cmp_pair "$v-$kind-$p" "$W/$v/folder/a$p" "$W/$v/folder/b$p" >>"$out"
			fi
		done
		pass="$(count 0 "$out")" inc="$(count 4 "$out")" reg="$(count 1 "$out")" regv="$(count 1v "$out")"
		other=$((n - pass - inc - reg - regv))
		[ "$regv" -eq 0 ] && [ "$other" -eq 0 ] || status=1
		label="$n single runs" && [ "$kind" = folder ] && label="$n 3-run folders"
		echo "| $v | $label | $pass | $inc | $regv | $reg | $other |" >>"$res"
	done
done
{
	echo
	echo "$(wc -l <"$jobs") runs ($not_unknown with preemptions not unknown; $bad_runs failed on their own), $(($(date +%s) - start)) s on $(nproc) CPU(s), load average at the end $(cut -d' ' -f1-3 /proc/loadavg), $PAR runs in parallel, $(date -u +%Y-%m-%d). Timing rows that regressed: $(cat "$W"/cmp/*.md | grep -E '\*\*regressed\*\*' | grep -oE '`[^`]+`' | sed -E 's/runs\[[^]]*\]\.//' | sort | uniq -c | awk '{printf "%s%s ×%s", sep, $2, $1; sep=", "}'). Runs, logs and comparisons (cmp/) are in $W."
} >>"$res"
cat "$res"
exit "$status"
