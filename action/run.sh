#!/usr/bin/env bash
# The run step of action.yml, kept as a script so that it can be tested with a faked GITHUB_* environment.
# Inputs arrive as INPUT_* variables (action.yml maps them); K8S_MIGRATE overrides the command to run.
set -euo pipefail

command="${INPUT_COMMAND:-validate}"
workspace="${GITHUB_WORKSPACE:-$PWD}"
results="${INPUT_SARIF_DIR:-$workspace/../results}"   # where github/codeql-action/upload-sarif looks by default
summary="${GITHUB_STEP_SUMMARY:-/dev/stderr}"
read -r -a tool <<< "${K8S_MIGRATE:-k8s-migrate}"
read -r -a extra <<< "${INPUT_ARGS:-}"
mkdir -p "$results"
report_md="$(mktemp "${RUNNER_TEMP:-/tmp}/k8s-migrate-XXXXXX.md")"

output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >> "$GITHUB_OUTPUT" || true; }

case "$command" in
  validate)
    sarif="$results/k8s-migrate.sarif"
    shopt -s globstar nullglob
    files=()
    cd "$workspace"
    for pattern in ${INPUT_PATHS:-.}; do
      for path in $pattern; do
        if [ -d "$path" ]; then
          while IFS= read -r -d '' found; do files+=("$found"); done < <(
            find "$path" \( -name .git -o -name node_modules -o -name templates \) -prune -o -type f \
              \( -name deployment.toml -o -name '*-conf.yaml' -o -name '*-conf.yml' \) -print0 | sort -z)
        else
          files+=("$path")
        fi
      done
    done
    if [ "${#files[@]}" -eq 0 ]; then
      echo "k8s-migrate: no deployment.toml, *-conf.yaml or values file under: ${INPUT_PATHS:-.}" | tee -a "$summary"
      output exit-code 0
      exit 0
    fi
    args=(validate "${files[@]}" --fail-on "${INPUT_FAIL_ON:-error}" --report "$sarif" --report "$report_md")
    version="${INPUT_VERSION:-${INPUT_TO_VERSION:-}}"
    [ -n "$version" ] && args+=(--version "$version")
    [ -n "${INPUT_CHART:-}" ] && args+=(--chart "$INPUT_CHART")
    set +e
    "${tool[@]}" "${args[@]}" "${extra[@]}"
    code=$?
    set -e
    output sarif "$sarif"
    ;;
  pr)
    if [ -z "${INPUT_TO_VERSION:-}" ]; then
      echo "::error::k8s-migrate: the pr command needs the to-version input"
      exit 2
    fi
    set +e
    (cd "$workspace" && "${tool[@]}" pr "${INPUT_PATHS:-.}" --to "$INPUT_TO_VERSION" --body-file "$report_md" "${extra[@]}")
    code=$?
    set -e
    ;;
  *)
    echo "::error::k8s-migrate: the command input must be validate or pr, not '$command'"
    exit 2
    ;;
esac

[ -s "$report_md" ] && cat "$report_md" >> "$summary"
output report "$report_md"
output exit-code "$code"
exit 0
