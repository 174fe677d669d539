#!/usr/bin/env bash
# Times `posthog-charttest lint` on a chart over all its scenarios and target versions, beside
# `helm lint` on the same chart in the same run, as whole processes: helm once with the
# chart's own values, and helm once per ci/*-values.yaml scenario (what ct lint runs).
# Prints the median wall time of N runs each (default 5).
#
# Usage: scripts/bench-lint.sh [CHART] [RUNS] [HELM]
#   CHART defaults to charts/posthog, or the corpus's prometheus chart when that is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
chart="${1:-charts/posthog}"
[ -d "$chart" ] || chart="../shared/conformance/charts/prometheus"
[ -d "$chart" ] || { echo "bench-lint: chart $chart not found (pass CHART)" >&2; exit 1; }
runs="${2:-5}"
helm="${3:-.tools/helm-4.1.4/helm}"
[ -x "$helm" ] || bash scripts/install-tools.sh
cargo build --release --quiet
ours=target/release/posthog-charttest

median() { # command... -> median wall seconds
  local tmp; tmp="$(mktemp)"
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    e=$(date +%s.%N)
    echo "$e - $s" | bc >> "$tmp"
  done
  sort -n "$tmp" | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
  rm -f "$tmp"
}

helm_each() {
  "$helm" lint "$chart" > /dev/null 2>&1 || true
  for f in "$chart"/ci/*-values.yaml; do
    [ -e "$f" ] || continue
    "$helm" lint "$chart" -f "$f" > /dev/null 2>&1 || true
  done
}

scenarios=$( (ls "$chart"/ci/*-values.yaml 2>/dev/null || true) | wc -l)
echo "chart: $chart ($scenarios scenarios), $(nproc) cores, $runs runs each, median wall time"
printf '%-58s %s\n' "posthog-charttest lint (all scenarios, all versions)" "$(median "$ours" lint "$chart")s"
printf '%-58s %s\n' "helm lint (chart values only)" "$(median "$helm" lint "$chart")s"
printf '%-58s %s\n' "helm lint once per scenario (as ct lint)" "$(median helm_each)s"
