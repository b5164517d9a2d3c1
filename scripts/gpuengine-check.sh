#!/usr/bin/env bash
# tools/gpuengine (Python) checks, for `make test` (make gpuengine-check):
#   1. every file compiles (python3 -m py_compile: always runs);
#   2. lint: pyflakes (unused imports and names, undefined names) and
#      pycodestyle (--max-line-length 200), each where it is installed
#      (Debian: apt-get install python3-pyflakes pycodestyle);
#   3. a CPU smoke test of the tiny shape (tools/gpuengine/test_smoke.py),
#      where torch, aiohttp, jinja2 and prometheus_client are installed.
# A part that cannot run prints "skipped: <why>" and does not fail the
# check; a part that runs and finds a problem fails it.
# GPUENGINE_PYTHON picks the interpreter (default python3; for the smoke
# test, /usr/bin/python3 where only it has the engine's packages).
set -uo pipefail
cd "$(dirname "$0")/../tools/gpuengine"
py=${GPUENGINE_PYTHON:-python3}
files=(*.py)
rc=0

echo "gpuengine: compile ${#files[@]} files with $py"
"$py" -m py_compile "${files[@]}" || rc=1
find . -name __pycache__ -prune -exec rm -rf {} +

# tool runs a linter as a module of $py, else of /usr/bin/python3 (where
# Debian's packages land), else as a command of that name.
tool() {
  local mod=$1 cmd=$2
  shift 2
  for p in "$py" /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c "import $mod" 2>/dev/null; then
      "$p" -m "$mod" "$@"
      return
    fi
  done
  if command -v "$cmd" >/dev/null; then
    "$cmd" "$@"
    return
  fi
  echo "gpuengine: $mod skipped: not installed (apt-get install python3-$mod, or pip install $mod)"
  return 0
}
echo "gpuengine: pyflakes"
tool pyflakes pyflakes3 "${files[@]}" || rc=1
echo "gpuengine: pycodestyle"
tool pycodestyle pycodestyle --max-line-length=200 "${files[@]}" || rc=1

# The smoke test runs under $py, or, when GPUENGINE_PYTHON is unset and
# python3 lacks the engine's packages, under /usr/bin/python3 if it has
# them (Debian's python3-torch and friends).
smoke_py=$py
engine_pkgs="import torch, aiohttp, jinja2, prometheus_client"
if [ -z "${GPUENGINE_PYTHON:-}" ] && ! "$py" -c "$engine_pkgs" 2>/dev/null &&
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "$engine_pkgs" 2>/dev/null; then
	smoke_py=/usr/bin/python3
fi
echo "gpuengine: CPU smoke test of the tiny shape with $smoke_py"
out=$("$smoke_py" -m unittest -v test_smoke.py 2>&1)
smoke=$?
echo "$out" | sed 's/^/  /'
if [ $smoke -ne 0 ]; then
  rc=1
elif grep -q "skipped '" <<<"$out"; then
  echo "gpuengine: smoke test skipped: $(grep -o "skipped '.*'" <<<"$out" | head -n 1)"
fi
find . -name __pycache__ -prune -exec rm -rf {} +
[ $rc -eq 0 ] && echo "gpuengine: ok" || echo "gpuengine: FAILED (see above)"
exit $rc
