#!/usr/bin/env bash
# Runs every test of the project from a fresh clone: the Rust core and mock server, each
# language binding (Python, Node.js, C, C#) and the conformance runners. Installs what it
# needs (Debian packages as root, a Python venv, npm packages) on the way.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export BOTSPLASH_REPO_ROOT="$PWD"
export BOTSPLASH_MOCK_BIN="$PWD/target/debug/botsplash-mock"

step() { printf '\n=== %s ===\n' "$*"; }
failed=()
run() {
  local name=$1; shift
  step "$name"
  if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

# Debian packages the C/C# tests, the benchmarks' peers and the venv need; one apt-get update.
bash scripts/install-system-deps.sh

step "build (debug): core, mock server"
cargo build -p botsplash -p botsplash-mock --tests --bins

run "rust: core + mock server" cargo test -p botsplash -p botsplash-mock
run "mock server: OpenAPI conformance (schemathesis)" bash mock-server/tests/schemathesis.sh
run "python: package tests, conformance runner, mypy --strict" bash bindings-python/test.sh
run "node: package tests, conformance runner, tsc --strict, npm pack" bash bindings-node/test.sh
run "c + c#: C tests (plain, valgrind, ASan/UBSan, static), conformance runners, C# tests" bash bindings-c/test.sh

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test suites passed"
else
  echo "failed suites: ${failed[*]}"
  exit 1
fi
