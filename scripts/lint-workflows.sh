#!/usr/bin/env bash
# Lints every GitHub Actions workflow with actionlint, pinned as a go tool in
# the separate module tools/lint (so the root go.mod carries none of its
# dependencies). shellcheck is not installed here, so its pass over `run:`
# scripts is off (-shellcheck=); install shellcheck and drop the flag to get it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shopt -s nullglob
files=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "lint-workflows: no workflow under .github/workflows" >&2
  exit 0
fi
cd "$root/tools/lint"
exec go tool actionlint -shellcheck= "${files[@]}"
