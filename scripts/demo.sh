#!/usr/bin/env bash
# The demo: builds the SDK for every language (debug builds: faster to compile), starts the
# embedded mock server once, runs each language's quickstart (examples/) against it, and prints
# what the server received and answered. Exits non-zero if any quickstart fails.
#
# On a fresh Debian machine (Rust, Python 3.9+, Node 18+ and a C compiler; as root) it installs
# what is missing on the way: mono-mcs/mono-runtime for C#, a Python venv with maturin at
# <repo>/.venv (or $VENV), the npm packages of bindings-node/ and examples/node/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1
venv="${VENV:-$repo/.venv}"
python="${PYTHON:-python3}"
out="$repo/target/demo"
mkdir -p "$out"
build_log="$out/build.log"
started=$SECONDS

# Build output goes to a log, shown only when a step fails, so the demo's output is the
# quickstarts' own.
build() {
  local what=$1 t0=$SECONDS
  shift
  printf '  %-58s' "$what"
  if "$@" >"$build_log" 2>&1; then
    echo "$((SECONDS - t0)) s"
  else
    echo "FAILED"
    cat "$build_log"
    exit 1
  fi
}

# --- tools: install only what is missing (one apt-get update) ---------------------------------
missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v mcs >/dev/null || missing+=(mono-mcs)
command -v mono >/dev/null || missing+=(mono-runtime)
node_ok() { command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; }
node_ok && command -v npm >/dev/null || missing+=(nodejs npm)
# Debian's python3 has no ensurepip (so no venv) until python3-venv is installed.
[ -x "$venv/bin/python" ] || "$python" -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "demo.sh: missing ${missing[*]}: install them, or run as root on Debian" >&2
    exit 1
  fi
  echo "installing ${missing[*]}..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- builds ------------------------------------------------------------------------------------
echo "building (debug; the first run takes several minutes, most of it compiling Rust):"
build "Rust: mock server + quickstart (cargo)" cargo build -p botsplash-mock -p botsplash-quickstart
build "C: libbotsplash (cargo)" cargo build -p botsplash-c

python_pkg_ready() {
  # Editable install of this tree (the .pth maturin develop writes): a rebuild of the
  # extension in place is enough. find_spec does not import, so a missing extension is fine.
  [ "$("$venv/bin/python" -c 'import importlib.util as u; s = u.find_spec("botsplash"); print(s.origin if s else "")' 2>/dev/null)" \
    = "$repo/bindings-python/python/botsplash/__init__.py" ]
}
# (build runs these inside `if`, where set -e is off: hence the explicit `|| return`.)
python_build() {
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" || return
  # The pin of bindings-python/test.sh when maturin is not there yet; an installed version is
  # kept, so this script and the tests never reinstall it back and forth.
  [ -x "$venv/bin/maturin" ] || "$venv/bin/python" -m pip install -q "maturin==1.16.0" || return
  local skip=()
  if python_pkg_ready; then skip=(--skip-install); fi
  (cd bindings-python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" "$venv/bin/maturin" develop -q "${skip[@]}")
}
build "Python: botsplash into ${venv#"$repo/"} (maturin develop)" python_build

# npm ci wipes node_modules; skip it when the installed tree is newer than the lockfile.
npm_ci() { [ "$1/node_modules/.package-lock.json" -nt "$1/package-lock.json" ] || (cd "$1" && npm ci --no-audit --no-fund); }
node_build() { npm_ci bindings-node && (cd bindings-node && npm run build:debug) && npm_ci examples/node; }
build "Node: botsplash addon (npm ci, napi build)" node_build

c_build() {
  cc -std=c11 -Wall -Wextra -Werror -I bindings-c/include examples/c/quickstart.c \
    -L target/debug -Wl,-rpath,"$repo/target/debug" -lbotsplash -o "$out/quickstart-c"
}
build "C: examples/c/quickstart.c (cc)" c_build
build "C#: examples/csharp/Quickstart.cs + Botsplash.cs (mcs)" \
  mcs -nologo -warnaserror -r:System.Core.dll -out:"$out/Quickstart.exe" examples/csharp/Quickstart.cs bindings-c/csharp/Botsplash.cs
echo "built in $((SECONDS - started)) s"

# --- the mock server ---------------------------------------------------------------------------
log=$(mktemp)
target/debug/botsplash-mock --port 0 >"$log" 2>&1 &
mock_pid=$!
trap 'kill $mock_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$log" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$log" | head -1)
[ -n "$url" ] || { echo "the mock server did not start:"; cat "$log"; exit 1; }
echo; echo "mock server: $url (app demo-app, API key demo-key)"

# The quickstarts read only these; inherited BOTSPLASH_* (another key, a username) would change
# what they do.
for var in $(env | grep -o '^BOTSPLASH_[A-Z_]*' || true); do unset "$var"; done
export BOTSPLASH_BASE_URL="$url" BOTSPLASH_APP_ID=demo-app BOTSPLASH_API_KEY=demo-key

ledger_total() {
  python3 -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/__mock/requests"))["total"])' "$url"
}

# Each language's share of the ledger is recorded as "name:requests so far".
marks=()
failed=()
quickstart() {
  local name=$1
  shift
  printf '\n=== %s quickstart ===\n' "$name"
  if ! "$@"; then
    echo "--- $name quickstart FAILED"
    failed+=("$name")
  fi
  marks+=("$name:$(ledger_total)")
}
quickstart Rust target/debug/quickstart
quickstart Python env PYTHONUNBUFFERED=1 "$venv/bin/python" examples/python/quickstart.py
quickstart Node node examples/node/quickstart.js
quickstart C "$out/quickstart-c"
quickstart 'C#' env LD_LIBRARY_PATH="$repo/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$out/Quickstart.exe"

echo; echo "=== what the server received ==="
python3 - "$url" "${marks[@]}" <<'PY'
import json, sys, urllib.request
ledger = json.load(urllib.request.urlopen(sys.argv[1] + "/__mock/requests"))
requests = ledger["requests"]
start = 0
for mark in sys.argv[2:]:
    name, end = mark.rsplit(":", 1)
    end = int(end)
    print(f"-- {name}")
    # seq counts from 1 on a fresh server, so a language's requests are those between marks.
    for e in (e for e in requests if start < e["seq"] <= end):
        body = e["body"] if isinstance(e["body"], str) else json.dumps(e["body"])
        if len(body) > 100:
            body = body[:97] + "..."
        verdict = "accepted" if e["accepted"] else "rejected"
        print(f'{e["operation"]:<27} {e["auth"]:<14} HTTP {e["status"]} {verdict:<8} {body}')
    start = end
print(f'{ledger["total"]} requests: {json.dumps(ledger["counts"])}')
PY

echo
if ((${#failed[@]})); then
  echo "FAILED quickstarts: ${failed[*]} (demo took $((SECONDS - started)) s)"
  exit 1
fi
echo "all 5 quickstarts ran (demo took $((SECONDS - started)) s)"
