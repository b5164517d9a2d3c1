#!/usr/bin/env bash
# browser-test.sh: render report.html in a real headless browser (Debian's
# chromium) and check what it shows. Part of `make test`.
#
#   scripts/browser-test.sh [RUN_DIR]
#
# RUN_DIR holds metrics.json and requests.jsonl (default: the report
# package's testdata fixture). The script writes report.html there through
# `vllm-acceptance report` (into a copy, for the fixture), screenshots it to
# $OUT_PNG (default out/report.png) and dumps its DOM, then asserts that the
# screenshot is not blank and that the page shows the verdict, the summary
# and its charts as inline SVG.
#
# When chromium is missing it is installed with apt-get (as root, or through
# sudo); when that is not possible the script says so and exits 0: a
# developer's machine without chromium skips this check, CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

run_dir=${1:-}
png=${OUT_PNG:-out/report.png}
mkdir -p "$(dirname "$png")"

find_chromium() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
chromium=$(find_chromium)
if [[ -z $chromium ]]; then
	sudo=()
	if [[ $(id -u) != 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); fi
	fi
	if command -v apt-get >/dev/null && { [[ $(id -u) == 0 ]] || ((${#sudo[@]})); }; then
		echo "browser-test: installing chromium with apt-get (once)" >&2
		{ "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium; } >/tmp/browser-test-apt.log 2>&1 || true
		chromium=$(find_chromium)
	fi
fi
if [[ -z $chromium ]]; then
	echo "browser-test: SKIPPED: no chromium and it cannot be installed here (apt-get as root, or sudo, needed; see /tmp/browser-test-apt.log if it was tried). report.html was not checked in a browser." >&2
	exit 0
fi

if ! timeout 60 "$chromium" --headless --no-sandbox --version >/dev/null 2>&1; then
	echo "browser-test: SKIPPED: $chromium is there but does not start (a snap shim?); report.html was not checked in a browser." >&2
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z $run_dir ]]; then
	cp internal/report/testdata/metrics.json internal/report/testdata/requests.jsonl "$work/"
	run_dir=$work
fi
go run ./cmd/vllm-acceptance report --out "$run_dir" >/dev/null
html=$(cd "$run_dir" && pwd)/report.html

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
	--disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile")
timeout 120 "$chromium" "${flags[@]}" --window-size=1280,2000 --screenshot="$png" "file://$html" >"$work/shot.log" 2>&1 ||
	{ cat "$work/shot.log" >&2; echo "browser-test: FAIL: chromium could not screenshot $html" >&2; exit 1; }
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$html" >"$work/dom.html" 2>"$work/dom.log" ||
	{ cat "$work/dom.log" >&2; echo "browser-test: FAIL: chromium could not load $html" >&2; exit 1; }

fail=0
check() { # check WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then echo "browser-test: ok: $what"; else echo "browser-test: FAIL: $what" >&2; fail=1; fi
}
size=$(stat -c %s "$png" 2>/dev/null || echo 0)
check "screenshot $png is $size bytes (> 30000: not blank)" test "$size" -gt 30000
check "the verdict is the first heading" grep -Eq '<h1[^>]*>vLLM acceptance report: (PASS|FAIL)</h1>' "$work/dom.html"
check "the summary is there" grep -q '<h2[^>]*>Summary</h2>' "$work/dom.html"
check "charts are inline SVG" grep -q '<figure class="chart"><svg' "$work/dom.html"
check "no chart is an external image (every chart inline, capacity.svg included)" bash -c '! grep -Eq "<img[^>]+\.svg" "$1"' _ "$work/dom.html"
check "nothing is fetched: no src= or href= to another file" bash -c '! grep -Eo "(src|href)=\"[^\"#]+\"" "$1" | grep -v "^href=\"http" | grep -q .' _ "$work/dom.html"
exit $fail
