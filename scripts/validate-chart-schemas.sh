#!/usr/bin/env bash
# Strict Kubernetes schema validation of every charts/posthog scenario (ci/*-values.yaml),
# against Kubernetes 1.29 and 1.35 by default. Installs kubernetes-validate (PyPI) into a
# virtualenv on first use: $KV_VENV, default .tools/venv-kubernetes-validate (git-ignored).
# Arguments go to scripts/validate-chart-schemas.py (e.g. --kube-version 1.31.0, a values file).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${KV_VENV:-$root/.tools/venv-kubernetes-validate}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
  echo "validate-chart-schemas: installing kubernetes-validate into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'kubernetes-validate==1.37.0'
fi
bash "$root/scripts/install-tools.sh"
exec "$venv/bin/python" "$root/scripts/validate-chart-schemas.py" "$@"
