#!/usr/bin/env bash
# The demo: builds the SDK, starts the embedded mock server, runs every language's quickstart
# against it, and prints what the server received and answered.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "building the mock server and the quickstarts (first run: a few minutes)..."
cargo build --quiet -p botsplash-mock -p botsplash-quickstart

log=$(mktemp)
target/debug/botsplash-mock --port 0 >"$log" 2>&1 &
mock_pid=$!
trap 'kill $mock_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$log" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$log" | head -1)
[ -n "$url" ] || { echo "the mock server did not start:"; cat "$log"; exit 1; }
echo "mock server: $url (app demo-app, API key demo-key)"

export BOTSPLASH_BASE_URL="$url" BOTSPLASH_APP_ID=demo-app BOTSPLASH_API_KEY=demo-key

echo; echo "=== Rust quickstart ==="
target/debug/quickstart

echo; echo "=== what the server received ==="
python3 - "$url" <<'PY'
import json, sys, urllib.request
ledger = json.load(urllib.request.urlopen(sys.argv[1] + "/__mock/requests"))
for e in ledger["requests"]:
    body = e["body"] if isinstance(e["body"], str) else json.dumps(e["body"])
    if len(body) > 110:
        body = body[:107] + "..."
    verdict = "accepted" if e["accepted"] else "rejected"
    print(f'{e["operation"]:<27} {e["auth"]:<14} HTTP {e["status"]} {verdict:<8} {body}')
print(f'{ledger["total"]} requests: {json.dumps(ledger["counts"])}')
PY
