#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the reference helm binaries when missing, checks
# formatting and lints, then runs every test (unit, recorded engine cases, conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets 2>&1
