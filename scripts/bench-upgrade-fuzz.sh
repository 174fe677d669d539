#!/usr/bin/env bash
# Wall time and peak memory of `upgrade-check` and `fuzz` (release build), for BENCHMARKS.md.
# Usage: scripts/bench-upgrade-fuzz.sh [CORPUS_DIR] [POSTHOG_CHART]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/conformance/charts}
posthog=${2:-charts/posthog}
cargo build --release --quiet
bin=target/release/posthog-charttest
measure() {
  # Median of five runs: wall seconds and max RSS in MB.
  local label=$1; shift
  local runs=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o /tmp/bench-time.$$ "$@" > /dev/null 2>&1 || true
    runs+=("$(cat /tmp/bench-time.$$)")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p | awk -v l="$label" '{printf "| %s | %.2f s | %d MB |\n", l, $1, $2/1024}'
}
echo "| command | wall (median of 5) | peak RSS |"
echo "|---|---|---|"
for c in kafka prometheus postgresql; do
  [ -d "$corpus/$c" ] && measure "upgrade-check $c against itself" "$bin" upgrade-check rel "$corpus/$c" --from "$corpus/$c"
done
[ -d testdata/upgrade/sts-volume-resize ] && measure "upgrade-check testdata/upgrade/sts-volume-resize" \
  "$bin" upgrade-check rel testdata/upgrade/sts-volume-resize/new --from testdata/upgrade/sts-volume-resize/old
measure "fuzz testdata/fuzz/ingress-tls-combo, 1000 runs" "$bin" fuzz testdata/fuzz/ingress-tls-combo --runs 1000
if [ -d "$posthog" ]; then
  vals="$posthog/ci/k3s-minimal-values.yaml"
  measure "upgrade-check $posthog against itself" "$bin" upgrade-check rel "$posthog" --from "$posthog" -f "$vals"
  measure "fuzz $posthog, 1000 runs, --fail-is-validation" "$bin" fuzz "$posthog" -f "$vals" --runs 1000 --fail-is-validation
fi
