#!/bin/sh
# helm plugin entry: run k8s-migrate; 'release REL ...' migrates a release's values.
set -eu

run_tool() {
    if command -v k8s-migrate >/dev/null 2>&1; then
        k8s-migrate "$@"
    else
        "${PYTHON:-python3}" -m k8s_migrate "$@"
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
