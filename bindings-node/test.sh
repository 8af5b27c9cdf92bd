#!/usr/bin/env bash
# Builds and tests the Node.js package from a fresh clone: installs the pinned npm tools, builds
# the native addon (release, as shipped), type-checks the TypeScript example under --strict,
# and runs the node --test suite, which starts its own botsplash-mock and includes the
# `npm pack` + install-into-an-empty-project check. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

need_node() {
  command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'
}
if ! need_node; then
  echo "test.sh: installing Node.js (>= 18 needed)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  need_node || { echo "test.sh: Node.js >= 18 is required" >&2; exit 1; }
fi

target_dir="${CARGO_TARGET_DIR:-../target}"
if [[ -z "${BOTSPLASH_MOCK_BIN:-}" && ! -x "$target_dir/debug/botsplash-mock" ]]; then
  cargo build -p botsplash-mock
fi

npm ci
npm run build
npx tsc -p examples --noEmit --strict
npm test
