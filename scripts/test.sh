#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the reference helm binaries when missing, checks
# formatting and lints (benches and fuzz-free targets included), then runs every test (unit,
# recorded engine cases, bad-input cases) and ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
