#!/usr/bin/env bash
# Renders the corpus's prometheus and kafka charts with posthog-charttest (release build) and
# with helm, side by side in one run, as whole processes. Prints the median wall time and the
# largest resident set size of N runs each (default 5), and the ratios. Run it on a quiet
# machine: other work on the cores slows helm (which uses every core) far more than us.
#
# Usage: scripts/bench-template.sh [RUNS] [HELM]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
helm="${2:-.tools/helm-4.1.4/helm}"
corpus="../shared/conformance/charts"
[ -d "$corpus" ] || { echo "bench-template: $corpus is missing (the shared corpus must sit beside the checkout)" >&2; exit 1; }
[ -x "$helm" ] || bash scripts/install-tools.sh
command -v python3 > /dev/null || { echo "bench-template: needs python3" >&2; exit 1; }
cargo build --release --quiet
ours=target/release/posthog-charttest

measure() { # runs helm_cmd... -- ours_cmd... -> "helm_median helm_max_kb ours_median ours_max_kb"
  # Each run is spawned directly and reaped with wait4: wall time from the monotonic clock
  # around spawn and reap, peak memory from the child's rusage. (GNU time rounds to 10 ms, too
  # coarse here, and timing from a shell adds its own fork and clock reading to every run.)
  # helm and ours alternate run by run, so both meet the same machine: on a shared VM the
  # speed of a whole batch drifts by a third between batches.
  python3 - "$@" <<'PY'
import os, sys, time
runs = int(sys.argv[1])
sep = sys.argv.index("--")
cmds = [sys.argv[2:sep], sys.argv[sep + 1:]]
devnull = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
times, peaks = [[], []], [0, 0]
for _ in range(runs):
    for k, cmd in enumerate(cmds):
        t0 = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa)
        _, _, ru = os.wait4(pid, 0)
        times[k].append(time.perf_counter() - t0)
        peaks[k] = max(peaks[k], ru.ru_maxrss)
out = []
for k in range(2):
    t = sorted(times[k])
    out += [f"{t[(len(t) - 1) // 2]:.4f}", str(peaks[k])]
print(" ".join(out))
PY
}

printf '%-12s %-22s %-22s %s\n' chart helm posthog-charttest "time ratio, memory ratio"
for chart in prometheus kafka; do
  read -r ht hm ot om < <(measure "$runs" "$helm" template rel "$corpus/$chart" -- "$ours" template rel "$corpus/$chart")
  ratio=$(awk -v h="$ht" -v o="$ot" 'BEGIN { if (o > 0) printf "%.1fx faster", h / o; else print "n/a" }')
  mem=$(awk -v h="$hm" -v o="$om" 'BEGIN { printf "%.2f of the memory", o / h }')
  printf '%-12s %-22s %-22s %s\n' "$chart" "${ht}s ${hm}KB" "${ot}s ${om}KB" "$ratio, $mem"
done
