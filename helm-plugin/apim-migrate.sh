#!/bin/sh
# helm plugin entry: run k8s-migrate; 'release REL ...' migrates a release's values.
set -eu

run_tool() {
    if command -v k8s-migrate >/dev/null 2>&1; then
        k8s-migrate "$@"
    elif command -v kubectl-apim_migrate >/dev/null 2>&1; then
        kubectl-apim_migrate "$@"
    elif "${PYTHON:-python3}" -c 'import k8s_migrate.cli' >/dev/null 2>&1; then
        "${PYTHON:-python3}" -m k8s_migrate "$@"
    else
        echo "k8s-migrate: error: k8s-migrate is not installed: run 'pip install k8s-migrate' (or 'pip install .' in its checkout), put its bin directory on PATH, or set PYTHON to a python that has it" >&2
        exit 2
    fi
}

if [ "${1:-}" = "release" ]; then
    if [ $# -lt 2 ]; then
        echo "k8s-migrate: error: usage: helm apim-migrate release RELEASE --chart CHART --to-chart CHART [options]" >&2
        exit 2
    fi
    release=$2
    shift 2
    values=$(mktemp)
    trap 'rm -f "$values"' EXIT
    "${HELM_BIN:-helm}" get values "$release" -o yaml ${HELM_NAMESPACE:+--namespace "$HELM_NAMESPACE"} >"$values"
    run_tool values - "$@" <"$values"
else
    run_tool "$@"
fi
