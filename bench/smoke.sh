#!/usr/bin/env bash
# Smoke test of the benchmark harness: builds what it needs (release), then runs every
# benchmark of bench/run.sh with tiny counts against one mock and checks that each ran and
# that every call succeeded. Its last line is "bench: N passed, M failed"; non-zero exit on
# any failure. Results go to bench/results/quick/ (gitignored); nothing committed changes.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" --quick "$@"
