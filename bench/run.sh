#!/usr/bin/env bash
# The SDK benchmarks, in one run on this machine, against one release botsplash-mock on loopback.
#
#   bench/run.sh            builds everything in release mode, installs the baselines, waits for
#                           a quiet machine, runs every benchmark, writes bench/results/*.json,
#                           bench/results/report.md, bench/chart.png and the generated part of
#                           BENCHMARKS.md
#   bench/run.sh --quick    tiny counts, no waiting; results and chart go to bench/results/quick/
#                           and nothing committed is touched (the smoke test: bench/smoke.sh)
#
# Other options: --no-build (use what is built), --no-wait (do not wait for a quiet machine),
# --no-pin (do not pin sequential runs to one CPU; see BENCHMARKS.md "Method").
# Environment: CARGO_TARGET_DIR (default <repo>/target), BENCH_VENV (default <repo>/.venv-bench).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
venv="${BENCH_VENV:-$repo/.venv-bench}"
quick=0 build=1 wait_quiet=1 pin=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 wait_quiet=0 ;;
        --no-build) build=0 ;;
        --no-wait) wait_quiet=0 ;;
        --no-pin) pin=0 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1
# Inherited settings would change what the SDKs under test do.
for var in $(env | grep -o '^BOTSPLASH_[A-Z_]*' || true); do unset "$var"; done

if ((quick)); then
    out="$here/results/quick"
    # Tiny counts: this proves every benchmark runs and checks its answers, nothing more.
    N_NATIVE=300 N_SDK=300 N_BASE=150 WARMUP=30 ROUNDS=1 BULK=2000 STARTUP_RUNS=3 WRK_SECONDS=1
else
    out="$here/results"
    N_NATIVE=20000 N_SDK=20000 N_BASE=5000 WARMUP=1000 ROUNDS=3 BULK=100000 STARTUP_RUNS=20 WRK_SECONDS=5
fi
mkdir -p "$out"
rm -f "$out"/*.json
bin="$target/bench"
mkdir -p "$bin"
step() { printf '\n=== %s\n' "$*" >&2; }

# --- tools and baselines ---------------------------------------------------------------------
step "system packages"
packages=(libcurl4-openssl-dev mono-mcs mono-runtime libmono-system-net-http4.0-cil wrk)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "run.sh: missing Debian packages ${missing[*]} (run as root, or install them)" >&2
        exit 1
    fi
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in cargo cc node npm python3 mcs mono taskset; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done

step "Python venv ($venv) with the baselines"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" 2>/dev/null || {
        # Debian's python3 ships without ensurepip; venv is a separate package there.
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    }
fi
"$venv/bin/python" -m pip install -q -r "$here/python/requirements.txt"

step "npm baselines (bench/node, from its lockfile)"
(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# --- release builds --------------------------------------------------------------------------
if ((build)); then
    step "cargo build --release: botsplash-mock, libbotsplash (C ABI)"
    (cd "$repo" && cargo build --release -q -p botsplash-mock -p botsplash-c)
    step "cargo build --release: bench/rust (own workspace, shared target/)"
    CARGO_TARGET_DIR="$target" cargo build --release -q --manifest-path "$here/rust/Cargo.toml"
    step "maturin build --release + install into the bench venv"
    rm -rf "$bin/wheels"
    (cd "$repo/bindings-python" && "$venv/bin/maturin" build --release -q --out "$bin/wheels" >/dev/null)
    "$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$bin"/wheels/botsplash-*.whl
    step "npm run build (release) of the Node addon, npm pack, unpacked for the bench"
    if [[ ! -x "$repo/bindings-node/node_modules/.bin/napi" ]]; then
        (cd "$repo/bindings-node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    (cd "$repo/bindings-node" && npm run --silent build >/dev/null)
    rm -rf "$bin/npm" "$bin/node_modules/botsplash"
    mkdir -p "$bin/npm" "$bin/node_modules/botsplash"
    (cd "$repo/bindings-node" && npm pack --silent --pack-destination "$bin/npm" >/dev/null)
    tar -xzf "$bin"/npm/botsplash-*.tgz -C "$bin/node_modules/botsplash" --strip-components=1
    step "C bench (cc -O2, libcurl + libbotsplash.so) and C# bench (mcs -optimize+)"
    # Private copies: other builds in the shared target/ (tests build the same files) cannot
    # change what a run measures halfway through.
    mkdir -p "$bin/lib"
    cp "$target/release/libbotsplash.so" "$target/release/libbotsplash.a" "$target/release/botsplash-mock" "$bin/lib/"
    cc -std=c11 -O2 -Wall -Wextra -Werror -I "$repo/bindings-c/include" "$here/c/bench.c" \
        -L "$bin/lib" -Wl,-rpath,"$bin/lib" -lbotsplash -lcurl -o "$bin/c-bench"
    mkdir -p "$bin/csharp"
    mcs -nologo -optimize+ -warnaserror -target:library -out:"$bin/csharp/Botsplash.dll" "$repo/bindings-c/csharp/Botsplash.cs"
    mcs -nologo -optimize+ -warnaserror -r:"$bin/csharp/Botsplash.dll" -r:System.Net.Http.dll -r:System.Core.dll \
        -out:"$bin/csharp/Bench.exe" "$here/csharp/Bench.cs"
fi
for f in "$bin/lib/botsplash-mock" "$target/release/botsplash-bench" "$bin/lib/libbotsplash.so" \
    "$bin/c-bench" "$bin/csharp/Bench.exe" "$bin/node_modules/botsplash/index.js"; do
    [[ -e "$f" ]] || { echo "run.sh: $f is missing (run without --no-build)" >&2; exit 1; }
done
# Every measured library must be an optimized build; a debug build has DWARF sections.
for f in "$bin/lib/libbotsplash.so" "$bin"/node_modules/botsplash/*.node; do
    if readelf -S "$f" | grep -q '\.debug_info'; then
        echo "run.sh: $f is a debug build (another build replaced it?); run again" >&2
        exit 1
    fi
done
export NODE_PATH="$bin/node_modules"

# --- the mock ----------------------------------------------------------------------------------
step "starting one release botsplash-mock"
mock_log="$out/mock.log"
# A small ledger: the mock records every request, and a million of them must not grow it.
"$bin/lib/botsplash-mock" --port 0 --ledger-cap 64 >"$mock_log" 2>&1 &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 200); do
    url="$(sed -n '1s/^listening on //p' "$mock_log")"
    [[ -n "$url" ]] && break
    sleep 0.05
done
[[ -n "$url" ]] || { echo "run.sh: the mock did not start:" >&2; cat "$mock_log" >&2; exit 1; }
echo "mock: $url (pid $mock_pid)" >&2

# Sequential runs: client and mock share one CPU, so a call is a direct hand-over between two
# processes instead of two cross-CPU wake-ups of idle virtual CPUs, whose cost on this VM is
# larger than either side's work and varies run to run (BENCHMARKS.md "Method").
cpu0="$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')"
pinned() { if ((pin)); then taskset -c "$cpu0" "$@"; else "$@"; fi; }
pin_mock() { if ((pin)); then taskset -a -p -c "$1" "$mock_pid" >/dev/null; fi; }
all_cpus="$(taskset -pc $$ | sed 's/.*: //')"

# --- a quiet machine ------------------------------------------------------------------------------
load_at_start="$(cut -d' ' -f1 /proc/loadavg)"
waited=0
if ((wait_quiet)); then
    step "waiting for a quiet machine (1-minute load < 0.6; up to 20 minutes)"
    while awk '{exit !($1 >= 0.6)}' /proc/loadavg && ((waited < 1200)); do
        echo "load $(cut -d' ' -f1-3 /proc/loadavg); waiting" >&2
        sleep 30
        waited=$((waited + 30))
    done
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
quiet=1
awk '{exit !($1 >= 0.6)}' /proc/loadavg && quiet=0

# --- the runs ------------------------------------------------------------------------------------
listener="$(python3 "$here/payload.py" listener)"
message="$(python3 "$here/payload.py" message)"
py="$venv/bin/python"
export LD_LIBRARY_PATH="$bin/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
common=(--url "$url" --warmup "$WARMUP" --rounds "$ROUNDS")

pin_mock "$cpu0"
if command -v wrk >/dev/null; then
    step "reference: wrk, 1 connection (the mock's own sequential ceiling)"
    pinned wrk -t1 -c1 -d"${WRK_SECONDS}s" -s "$repo/mock-server/bench/post_visitor.lua" \
        "$url/demo-app/listener/botsplash/$listener" >"$out/wrk.txt"
    python3 - "$out/wrk.txt" "$out/reference.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", text)
scale = {"us": 1, "ms": 1000, "s": 1e6}[lat.group(2)]
non2xx = int(re.search(r"non-2xx responses: (\d+)", text).group(1))
json.dump({"suite": "reference", "language": "wrk", "cases": [{"id": "wrk-1conn", "label": "wrk, 1 connection (C, no parsing)",
    "role": "reference", "language": "wrk", "concurrency": 1,
    "rounds": [{"calls": 0, "calls_per_s": rps, "p50_us": None, "p99_us": None, "mean_us": float(lat.group(1)) * scale,
                "errors": non2xx, "concurrency": 1}]}]}, open(sys.argv[2], "w"))
PY
fi

step "sequential: Rust (reqwest, async Client, blocking::Client)"
pinned "$target/release/botsplash-bench" seq "${common[@]}" --n "$N_NATIVE" >"$out/seq-rust.json"
step "sequential: C (libcurl, bs_submit_visitor, bs_submit_visitor_simple)"
pinned "$bin/c-bench" seq "${common[@]}" --n "$N_NATIVE" --listener "$listener" --message "$message" \
    --visitor "$(python3 "$here/payload.py" visitor)" --simple "$(python3 "$here/payload.py" simple)" >"$out/seq-c.json"
step "sequential: Python (Client, requests, httpx)"
pinned "$py" "$here/python/bench.py" seq "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK" >"$out/seq-python.json"
step "sequential: Node (SDK, fetch, undici.request)"
(cd "$here/node" && pinned node bench.js seq "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK") >"$out/seq-node.json"
step "sequential: C# on Mono (Client, HttpClient)"
pinned mono "$bin/csharp/Bench.exe" seq "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK" --listener "$listener" \
    --message "$message" --visitor "$(python3 "$here/payload.py" visitor)" --body "$(python3 "$here/payload.py" body)" \
    >"$out/seq-csharp.json"

# Concurrency and bulk use both CPUs, as a loaded program would.
pin_mock "$all_cpus"
step "concurrency: Python threads (1 vs 8 on one Client; httpx, requests)"
"$py" "$here/python/bench.py" threads "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK" >"$out/threads-python.json"
step "concurrency: Python asyncio, 64 tasks (AsyncClient, httpx.AsyncClient, aiohttp)"
"$py" "$here/python/bench.py" async "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK" >"$out/async-python.json"
step "concurrency: Node, 64 Promises (SDK, fetch, undici.request)"
(cd "$here/node" && node bench.js concurrent "${common[@]}" --n "$N_BASE" --n-sdk "$N_SDK") >"$out/concurrent-node.json"

step "bulk: $BULK visitors through submit_salesforce_visitors, one process per language"
"$target/release/botsplash-bench" bulk --url "$url" --count "$BULK" >"$out/bulk-rust.json"
"$bin/c-bench" bulk --url "$url" --count "$BULK" --listener "$listener" --message "$message" \
    --visitor-rest "$(python3 "$here/payload.py" visitor-rest)" >"$out/bulk-c.json"
"$py" "$here/python/bench.py" bulk --url "$url" --count "$BULK" >"$out/bulk-python.json"
(cd "$here/node" && node bench.js bulk --url "$url" --count "$BULK") >"$out/bulk-node.json"
mono "$bin/csharp/Bench.exe" bulk --url "$url" --count "$BULK" --listener "$listener" --message "$message" \
    --visitor "$(python3 "$here/payload.py" visitor)" >"$out/bulk-csharp.json"

step "start-up: import botsplash / require('botsplash') over a bare interpreter"
"$py" "$here/python/bench.py" import --n "$STARTUP_RUNS" >"$out/startup-python.json"
(cd "$here/node" && node bench.js require --n "$STARTUP_RUNS") >"$out/startup-node.json"

# --- sizes and the machine ---------------------------------------------------------------------------
step "sizes and machine description"
python3 - "$out/sizes.json" "$target" "$bin" "$repo" <<'PY'
import glob, json, os, subprocess, sys, tempfile
out, target, bin_dir, repo = sys.argv[1:]

def stripped(path):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "x")
        subprocess.run(["strip", "-o", copy, path], check=True)
        return os.path.getsize(copy)

rows = []
def add(id_, label, kind, path, size=None):
    rows.append({"id": id_, "label": label, "kind": kind, "path": os.path.relpath(path, repo),
                 "bytes": size if size is not None else os.path.getsize(path)})

lib = os.path.join(bin_dir, "lib", "libbotsplash.so")
add("c-so", "libbotsplash.so (C ABI, also used by C#)", "shared library, stripped", lib, stripped(lib))
add("c-a", "libbotsplash.a (static)", "static library, as built", os.path.join(bin_dir, "lib", "libbotsplash.a"))
wheel = sorted(glob.glob(os.path.join(bin_dir, "wheels", "botsplash-*.whl")))[-1]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["python3", "-m", "zipfile", "-e", wheel, tmp], check=True)
    so = glob.glob(os.path.join(tmp, "botsplash", "_native*.so"))[0]
    add("python-so", "botsplash/_native.abi3.so (Python)", "shared library, stripped", so, stripped(so))
add("python-wheel", "Python wheel (abi3)", "package", wheel)
node_so = glob.glob(os.path.join(bin_dir, "node_modules", "botsplash", "botsplash.*.node"))[0]
add("node-so", os.path.basename(node_so) + " (Node addon)", "shared library, stripped", node_so, stripped(node_so))
tgz = glob.glob(os.path.join(bin_dir, "npm", "botsplash-*.tgz"))[0]
unpacked = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(bin_dir, "node_modules", "botsplash")) for f in fs)
rows.append({"id": "node-tgz", "label": "npm package (npm pack)", "kind": "package", "path": os.path.relpath(tgz, repo),
             "bytes": os.path.getsize(tgz), "unpacked_bytes": unpacked})
add("csharp-dll", "Botsplash.dll (C# wrapper; needs libbotsplash.so)", "assembly", os.path.join(bin_dir, "csharp", "Botsplash.dll"))
json.dump({"suite": "sizes", "cases": rows}, open(out, "w"))
PY

python3 - "$out/meta.json" "$here" "$quick" "$pin" "$cpu0" "$load_at_start" "$load_before" "$waited" "$quiet" "$venv" <<'PY'
import json, platform, subprocess, sys, datetime
out, here, quick, pin, cpu0, load_start, load_before, waited, quiet, venv = sys.argv[1:]
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # a missing tool is reported, not fatal
        return f"unavailable ({e.__class__.__name__})"
lscpu = dict(line.split(":", 1) for line in run("lscpu").splitlines() if ":" in line)
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "quick": quick == "1",
    "pinned": pin == "1", "pinned_cpu": int(cpu0),
    "cpu": lscpu.get("Model name", "").strip(), "cpus": lscpu.get("CPU(s)", "").strip(),
    "hypervisor": lscpu.get("Hypervisor vendor", "").strip(),
    "memory": run("sh", "-c", "free -h | awk '/^Mem:/ {print $2}'"),
    "kernel": platform.release(), "os": run("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
    "load_at_start": load_start, "load_before_runs": load_before, "waited_s": int(waited), "quiet": quiet == "1",
    "load_after_runs": open("/proc/loadavg").read().split()[:3],
    "git_commit": run("git", "rev-parse", "--short", "HEAD"),
    "versions": {
        "rustc": run("rustc", "--version"),
        "python": run(f"{venv}/bin/python", "--version"),
        "node": run("node", "--version"),
        "mono": run("sh", "-c", "mono --version | head -1"),
        "libcurl": run("curl-config", "--version"),
        "cc": run("sh", "-c", "cc --version | head -1"),
        "pip": run(f"{venv}/bin/python", "-c", "import requests, httpx, aiohttp; print(f'requests {requests.__version__}, httpx {httpx.__version__}, aiohttp {aiohttp.__version__}')"),
        "undici": json.load(open(f"{here}/node/node_modules/undici/package.json"))["version"],
        "fetch_undici": run("node", "-p", "process.versions.undici"),
    },
}
json.dump(meta, open(out, "w"), indent=1)
PY

step "report"
report_args=(--results "$out")
if ((quick)); then
    report_args+=(--chart "$out/chart.png" --quick)
else
    report_args+=(--chart "$here/chart.png" --update "$repo/BENCHMARKS.md")
fi
"$py" "$here/report.py" "${report_args[@]}"
