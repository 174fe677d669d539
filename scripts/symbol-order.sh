#!/usr/bin/env bash
# Regenerates linker/symbol-order.txt: the functions a release build of posthog-charttest runs
# for `template`, `lint` and `test`, in first-run order. build.rs hands the list to the linker
# (lld's --symbol-ordering-file) so that code sits together at the front of .text.
#
# Why: the kernel maps executable code 64 KiB around each page that faults in. With the ~1.8 MB
# of code a `template` run uses spread over 16 MB of text, ~8 MB of the binary ended up
# resident; packed together it is about 2 MB. A stale list (after renames, or dependency
# updates that change symbol hashes) is harmless: unknown names are skipped and the rest keep
# their order. Re-run this after large changes.
#
# Needs valgrind (callgrind), nm and python3. Usage: scripts/symbol-order.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "symbol-order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/posthog-charttest
corpus=../shared/conformance/charts
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
runs=(
  "template rel $corpus/prometheus"
  "template rel $corpus/kafka"
  "template rel charts/posthog"
  "lint charts/posthog"
  "test charts/posthog"
)
i=0
for r in "${runs[@]}"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/run.$i" "$bin" $r > /dev/null 2>&1 || true
done
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $3}' > "$tmp/defined"
python3 - "$tmp" "$i" > linker/symbol-order.txt <<'PY'
import re, sys
tmp, n = sys.argv[1], int(sys.argv[2])
defined = set(open(f"{tmp}/defined").read().split())
seen, out = set(), []
for k in range(1, n + 1):
    try:
        lines = open(f"{tmp}/run.{k}").read().splitlines()
    except FileNotFoundError:
        continue
    # callgrind names each function once, as `(id) name` on whichever fn=/cfn= line mentions
    # it first, and by `(id)` alone afterwards.
    names = {}
    for line in lines:
        m = re.match(r"^c?fn=\((\d+)\) (\S+)", line)
        if m:
            names[m.group(1)] = re.sub(r"'\d+$", "", m.group(2))
    for line in lines:
        m = re.match(r"^fn=\((\d+)\)", line)
        name = names.get(m.group(1)) if m else None
        if name in defined and name not in seen:
            seen.add(name)
            out.append(name)
print("\n".join(out))
PY
echo "symbol-order: $(wc -l < linker/symbol-order.txt) functions in linker/symbol-order.txt"
