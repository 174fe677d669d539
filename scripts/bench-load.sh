#!/usr/bin/env bash
# Benchmarks `posthog-charttest load` on loopback.
#
#   bash scripts/bench-load.sh rate   [CONNECTIONS] [SECONDS]   # request rate against wrk
#   bash scripts/bench-load.sh memory [MINUTES] [RATE]          # peak RSS over a long run
#
# rate: starts the minimal capture server (examples/capture_server.rs --minimal, one thread),
# then runs wrk (Debian's package) and our constant-vus executor one after the other with the
# same number of connections (wrk -t1 -cN; N VUs with one keep-alive connection each, one
# worker thread) and the same payload (one /e event as `load` builds it, so the same size),
# and prints both request rates and their ratio.
# memory: runs a constant-arrival-rate scenario for MINUTES and samples the load process's
# peak resident set (VmHWM) at 1 minute and at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-rate}"
port="${BENCH_PORT:-18089}"
bin=target/release/posthog-charttest
server=target/release/examples/capture_server
cargo build --release --quiet --bin posthog-charttest --example capture_server
work="$(mktemp -d)"
"$server" "127.0.0.1:$port" --minimal --threads 1 2>"$work/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.5

scenario() { # executor lines…
  cat <<YAML
targets: [http://127.0.0.1:$port]
token: phc_bench
request: {route: /e, encoding: json, batchSize: 1, timeout: 10s}
event:
  name: \$pageview
  distinctIds: {pool: 1000}
  properties: {\$current_url: "https://example.com/pricing", \$browser: Firefox, plan: free}
scenarios:
  bench:
$1
YAML
}

case "$mode" in
rate)
  conns="${2:-50}"
  secs="${3:-10}"
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
  # The same payload: an event as `load` builds it (fixed values of the same length).
  body='{"event":"$pageview","distinct_id":"charttest-user-123","api_key":"phc_bench","properties":{"$current_url":"https://example.com/pricing","$browser":"Firefox","plan":"free","charttest_run_id":"ct-20260101-000000-abcdef","charttest_seq":123456},"timestamp":"2026-01-01T00:00:00.000Z","uuid":"01900000-0000-7000-8000-000000000000"}'
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
  scenario "    executor: constant-vus
    vus: $conns
    duration: ${secs}s
    gracefulStop: 1s" >"$work/rate.yaml"
  # Alternate the two tools for ROUNDS rounds so that load from elsewhere on the machine
  # hits both alike; report every round and the medians.
  rounds="${ROUNDS:-3}"
  : >"$work/rates.txt"
  for r in $(seq 1 "$rounds"); do
    wrk_out="$(wrk -t1 -c"$conns" -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:$port/e")"
    wrk_rate="$(awk '/Requests\/sec/ {print $2}' <<<"$wrk_out")"
    "$bin" load --scenario "$work/rate.yaml" --threads 1 --quiet --summary-export "$work/rate.json" || true
    ours="$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["http_reqs_per_second"])' "$work/rate.json")"
    p99="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_req_duration"]["p99"])' "$work/rate.json")"
    echo "round $r: wrk ${wrk_rate} req/s, posthog-charttest ${ours} req/s (p99 ${p99} ms)"
    echo "$wrk_rate $ours" >>"$work/rates.txt"
  done
  python3 - "$work/rates.txt" "$conns" "$secs" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
w = statistics.median(r[0] for r in rows)
o = statistics.median(r[1] for r in rows)
print(f"median of {len(rows)} rounds ({sys.argv[2]} connections, 1 thread each, {sys.argv[3]}s): "
      f"wrk {w:.0f} req/s, posthog-charttest {o:.0f} req/s, ratio {o / w:.2f}")
PY
  ;;
memory)
  minutes="${2:-10}"
  rate="${3:-2000}"
  scenario "    executor: constant-arrival-rate
    rate: $rate
    duration: ${minutes}m
    preAllocatedVUs: 20
    maxVUs: 200" >"$work/mem.yaml"
  "$bin" load --scenario "$work/mem.yaml" --threads 1 --quiet --summary-export "$work/mem.json" &
  load_pid=$!
  hwm() { awk '/VmHWM/ {print $2}' "/proc/$load_pid/status"; }
  sleep 60
  at1="$(hwm)"
  sleep $(( minutes * 60 - 65 ))
  atend="$(hwm)"
  wait "$load_pid" || true
  python3 - "$work/mem.json" "$at1" "$atend" "$minutes" "$rate" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
at1, atend = int(sys.argv[2]), int(sys.argv[3])
print(f"{sys.argv[4]} min at {sys.argv[5]}/s: {s['http_reqs']} requests, {s['events']['accepted']} accepted, "
      f"{s['dropped_iterations']} dropped, {s['vus_max']} VUs at most, p99 {s['http_req_duration']['p99']} ms")
print(f"peak RSS at 1 min: {at1} kB; at the end: {atend} kB; growth {100.0 * (atend - at1) / at1:.1f}%")
PY
  ;;
*)
  echo "usage: $0 rate [CONNECTIONS] [SECONDS] | memory [MINUTES] [RATE]" >&2
  exit 2
  ;;
esac
