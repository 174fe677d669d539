#!/usr/bin/env bash
# Wall time of `posthog-charttest test` as a whole process: a 500-test suite set on a chart
# of charts/posthog's size (the conformance corpus's prometheus chart: 68 templates, four
# subcharts), on 2 cores. helm-unittest is not installable here (no Go toolchain or module
# downloads), so only our runner is measured.
#
#   bash scripts/bench-test.sh [CHART_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
CHART=${1:-/work/shared/conformance/charts/prometheus}
RUNS=${2:-5}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/posthog-charttest
fi
WORK=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
cp -r "$CHART" "$WORK/chart"
mkdir -p "$WORK/chart/tests"
# 10 suites x 50 tests. Each test sets its own values, so every test renders the chart anew;
# each has five assertions of different types.
for s in $(seq 1 10); do
  f="$WORK/chart/tests/bench${s}_test.yaml"
  {
    echo "suite: bench $s"
    echo "templates:"
    echo "  - templates/deploy.yaml"
    echo "  - templates/service.yaml"
    echo "  - templates/cm.yaml"
    echo "  - templates/serviceaccount.yaml"
    echo "tests:"
    for t in $(seq 1 50); do
      cat <<YAML
  - it: case $s-$t
    set:
      server.replicaCount: $t
      server.retention: "${t}d"
    asserts:
      - isKind: {of: Deployment}
        template: templates/deploy.yaml
      - equal:
          path: spec.replicas
          value: $t
        template: templates/deploy.yaml
      - exists:
          path: spec.template.spec.containers[?(@.name == "prometheus-server")].args
        template: templates/deploy.yaml
      - contains:
          path: spec.template.spec.containers[1].args
          content: --storage.tsdb.retention.time=${t}d
        template: templates/deploy.yaml
      - hasDocuments: {count: 1}
        template: templates/service.yaml
YAML
    done
  } > "$f"
done
echo "chart: $CHART ($(find "$WORK/chart" -path '*templates*' -type f | wc -l) template files), 500 tests"
best=""
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  taskset -c 0,1 "$BIN" test --ci=false --color never "$WORK/chart" > "$WORK/out.txt" || {
    tail -30 "$WORK/out.txt"; exit 1; }
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  echo "run $i: ${t}s  $(grep Summary "$WORK/out.txt" | sed 's/.*tests run: //')"
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
echo "best wall time: ${best}s"
