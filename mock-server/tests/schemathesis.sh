#!/usr/bin/env bash
# Conformance check: runs schemathesis with spec/openapi.yaml against the mock server and
# fails on any non-conformance. Every schemathesis check is on (its default); the
# exceptions, with reasons, are in schemathesis.toml beside this script.
#
# Usage: mock-server/tests/schemathesis.sh [VENV_DIR]
#   VENV_DIR (or $VENV): virtualenv to create or reuse; default .venv-schemathesis at the
#   repository root. MAX_EXAMPLES (default 200) bounds the cases per operation; SEED
#   (default 20261124) makes runs repeatable; PYTHON picks the interpreter.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-${VENV:-$ROOT/.venv-schemathesis}}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
MAX_EXAMPLES="${MAX_EXAMPLES:-200}"
SEED="${SEED:-20261124}"
PYTHON="${PYTHON:-python3}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cd "$ROOT"
cargo build --quiet -p botsplash-mock
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/botsplash-mock"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" --port 0 >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q '^listening on ' "$WORK/stdout" 2>/dev/null && break
    sleep 0.1
done
URL="$(sed -n '1s/^listening on //p' "$WORK/stdout")"
if [ -z "$URL" ]; then
    echo "the mock server did not start:" >&2
    cat "$WORK/stderr" >&2
    exit 1
fi
echo "mock server at $URL" >&2

# From the scratch directory: schemathesis and hypothesis leave caches in the working
# directory. One worker: schemathesis' workers are threads, and CPython 3.11 before 3.11.8
# can fail with "AST constructor recursion depth mismatch" when hypothesis parses source
# in two threads at once.
cd "$WORK"
"$VENV/bin/schemathesis" \
    --config-file "$ROOT/mock-server/tests/schemathesis.toml" \
    run "$ROOT/spec/openapi.yaml" \
    --url "$URL" \
    --auth demo:demo-password \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --request-timeout 10 \
    --no-color
