#!/usr/bin/env bash
# Builds the Python package into a virtualenv and runs its tests and the typing check.
#
#   bindings-python/test.sh              # venv at <repo>/.venv (gitignored)
#   VENV=/tmp/venv bindings-python/test.sh
#
# Needs python3 (>= 3.9) and a Rust toolchain; the mock server binary is taken from
# $BOTSPLASH_MOCK_BIN or <repo>/target/debug/botsplash-mock (built here if missing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="${VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

# Pinned so that a green run today is a green run tomorrow (the newest releases that still
# support Python 3.9, the oldest Python this package supports).
MATURIN_VERSION="1.16.0"
PYTEST_VERSION="8.4.2"
MYPY_VERSION="1.19.1"

export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # Debian's python3 ships without ensurepip; its venv module is a separate package.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$venv"
            "$python" -m venv "$venv"
        else
            echo "test.sh: cannot create a virtualenv with $python (install python3-venv)" >&2
            exit 1
        fi
    fi
fi

"$venv/bin/python" -m pip install -q "maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" "mypy==$MYPY_VERSION"

if [ -z "${BOTSPLASH_MOCK_BIN:-}" ] && [ ! -x "$repo/target/debug/botsplash-mock" ]; then
    (cd "$repo" && cargo build -q -p botsplash-mock)
fi

# An editable install: the extension is built into the workspace's shared target/ and placed
# beside the pure-Python sources, so tests and mypy see exactly the files of this tree.
(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" "$venv/bin/maturin" develop -q)

cd "$here"
"$venv/bin/python" -m pytest tests -q -p no:cacheprovider
"$venv/bin/python" -m mypy --strict --no-incremental examples/typed_usage.py python/botsplash
