#!/usr/bin/env bash
# Renders the corpus's prometheus and kafka charts with posthog-charttest (release build) and
# with helm, side by side in one run, as whole processes. Prints the median wall time and the
# largest resident set size of N runs each (default 5), and the ratios.
#
# Usage: scripts/bench-template.sh [RUNS] [HELM]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
helm="${2:-.tools/helm-4.1.4/helm}"
corpus="../shared/conformance/charts"
[ -d "$corpus" ] || { echo "bench-template: $corpus is missing (the shared corpus must sit beside the checkout)" >&2; exit 1; }
[ -x "$helm" ] || bash scripts/install-tools.sh
[ -x /usr/bin/time ] || { echo "bench-template: needs GNU time (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet
ours=target/release/posthog-charttest

measure() { # command... -> "median_seconds max_kb"
  local tmp; tmp="$(mktemp)"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -a -o "$tmp" "$@" > /dev/null 2>&1
  done
  local med max
  med=$(awk '{print $1}' "$tmp" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  max=$(awk '{print $2}' "$tmp" | sort -n | tail -1)
  rm -f "$tmp"
  echo "$med $max"
}

printf '%-12s %-22s %-22s %s\n' chart helm posthog-charttest "time ratio, memory ratio"
for chart in prometheus kafka; do
  read -r ht hm < <(measure "$helm" template rel "$corpus/$chart")
  read -r ot om < <(measure "$ours" template rel "$corpus/$chart")
  ratio=$(awk -v h="$ht" -v o="$ot" 'BEGIN { if (o > 0) printf "%.1fx faster", h / o; else print "n/a" }')
  mem=$(awk -v h="$hm" -v o="$om" 'BEGIN { printf "%.2f of the memory", o / h }')
  printf '%-12s %-22s %-22s %s\n' "$chart" "${ht}s ${hm}KB" "${ot}s ${om}KB" "$ratio, $mem"
done
