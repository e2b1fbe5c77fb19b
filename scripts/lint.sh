#!/usr/bin/env bash
# ruff over the code, with the rules of [tool.ruff] in pyproject.toml (E, F, I, B, SIM, C90 at 15).
# Checks only: it never rewrites a file. Prints each finding, then the count per rule; exit 1 on findings.
#   scripts/lint.sh [PATH...]        (default: k8s_migrate scripts tests)
# ruff comes with the dev extra: .venv/bin/pip install -e '.[dev]'
set -uo pipefail
cd "$(dirname "$0")/.."
ruff="$(command -v .venv/bin/ruff || command -v ruff)" || { echo "lint: ruff not found (pip install -e '.[dev]')" >&2; exit 2; }
paths=("$@")
[ "${#paths[@]}" -gt 0 ] || paths=(k8s_migrate scripts tests)
"$ruff" check --no-fix --output-format concise "${paths[@]}"
code=$?
echo "--- findings per rule"
"$ruff" check --no-fix --statistics "${paths[@]}"
exit "$code"
