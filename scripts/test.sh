#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the reference helm binaries when missing, checks
# formatting and lints (benches and fuzz-free targets included), validates the PostHog chart's
# manifests against the Kubernetes schemas, then runs every test (unit, recorded engine cases,
# bad-input cases, chart checks and snapshots) and ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
# The chart tests must not skip for want of helm in CI (tests/posthog_chart.rs).
export CHARTTEST_REQUIRE_HELM=1
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
# Every rendered manifest of every charts/posthog scenario, strictly against the Kubernetes 1.29
# and 1.35 schemas (installs kubernetes-validate into a virtualenv on first use).
bash scripts/validate-chart-schemas.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --no-fail-fast --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
