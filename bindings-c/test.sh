#!/usr/bin/env bash
# Tests of libbotsplash (the C ABI) and its C# wrapper. From a fresh clone, as root:
#
#   cargo build -p botsplash-mock && bindings-c/test.sh
#
# Stages (each must pass; the script exits non-zero if any fails):
#   1. cargo test -p botsplash-c: panic guard, error mapping, and that include/botsplash.h is
#      exactly what cbindgen generates from the code (no drift).
#   2. tests/test_botsplash.c compiled with the system cc (-Wall -Wextra -Werror) against
#      libbotsplash.so and run against a botsplash-mock it starts;
#   3. the same binary under valgrind: zero errors, zero definitely-lost bytes;
#   4. the same source built with -fsanitize=address,undefined (LeakSanitizer on);
#   5. the same source linked statically against libbotsplash.a;
#   6. the README's install steps into a scratch prefix, and examples/hello.c built with
#      pkg-config and run;
#   7. the C# wrapper and its tests, built with Mono's mcs and run with mono;
#   8. the shared conformance suite (conformance/cases) through the C API: tests/conformance.c
#      (cJSON from libcjson-dev), plain and with -fsanitize=address,undefined;
#   9. the same suite through the C# wrapper: csharp/Conformance.cs, built into one assembly
#      with Botsplash.cs.
#
# Environment: BOTSPLASH_MOCK_BIN (default <target>/debug/botsplash-mock), CARGO_TARGET_DIR.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
lib_dir="$target/debug"
out="$target/bindings-c-tests"
mkdir -p "$out"
cd "$root"

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v mcs >/dev/null || missing+=(mono-mcs)
command -v mono >/dev/null || missing+=(mono-runtime)
# The conformance runner reads the cases with cJSON.
if ! command -v cc >/dev/null || ! printf '#include <cjson/cJSON.h>\n' | cc -fsyntax-only -x c - 2>/dev/null; then
    missing+=(libcjson-dev)
fi
# System.Core (LINQ) comes with mono-runtime's dependencies; mono-mcs brings the compiler.
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing tools (${missing[*]}): run as root or install them" >&2
        exit 1
    fi
    echo "== installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "apt-get install failed" >&2; exit 1; }
fi

# The tests set their own BOTSPLASH_* values; inherited ones would change what they test.
for var in $(env | grep -o '^BOTSPLASH_[A-Z_]*' | grep -v '^BOTSPLASH_MOCK_BIN$'); do unset "$var"; done

export BOTSPLASH_MOCK_BIN="${BOTSPLASH_MOCK_BIN:-$target/debug/botsplash-mock}"
if [[ ! -x "$BOTSPLASH_MOCK_BIN" ]]; then
    echo "== building botsplash-mock"
    cargo build -q -p botsplash-mock || exit 1
fi

failures=()
stage() { # stage NAME COMMAND...: runs a stage, records a failure, keeps going
    local name="$1"
    shift
    echo
    echo "== $name"
    if "$@"; then
        echo "-- $name: ok"
    else
        echo "-- $name: FAILED"
        failures+=("$name")
    fi
}

# --- 1. Rust side ------------------------------------------------------------------------------
stage "cargo build + test (header drift, panic guard)" \
    bash -c 'cargo build -q -p botsplash-c && cargo test -q -p botsplash-c'
if [[ ! -f "$lib_dir/libbotsplash.so" ]]; then
    echo "libbotsplash.so was not built; stopping" >&2
    exit 1
fi

# --- 2-5. C tests ------------------------------------------------------------------------------
cflags=(-std=c11 -Wall -Wextra -Werror -g -O1 -I "$here/include")
test_src="$here/tests/test_botsplash.c"
static_libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl)

stage "C tests (cc, libbotsplash.so)" bash -c '
    cc "${@:4}" "$1" -L "$2" -Wl,-rpath,"$2" -lbotsplash -lpthread -o "$3/test_botsplash" && "$3/test_botsplash"
' _ "$test_src" "$lib_dir" "$out" "${cflags[@]}"

# Child processes are the mock (exec'd, not traced) and one fork() test child, which kills
# itself to skip exit-time leak checks (see test_fork). Per-thread runtimes cost ~1.5 s each
# under valgrind, hence fewer threads there.
stage "C tests under valgrind" bash -c '
    BOTSPLASH_TEST_THREADS=4 valgrind -q --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --error-exitcode=1 --child-silent-after-fork=yes \
        "$1/test_botsplash"
' _ "$out"

# LeakSanitizer stays on: the library frees all it allocates per client; what lives for the
# whole process (statics) stays reachable, which LSan does not report.
stage "C tests with -fsanitize=address,undefined" bash -c '
    cc "${@:4}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
        "$1" -L "$2" -Wl,-rpath,"$2" -lbotsplash -lpthread -o "$3/test_botsplash_asan" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$3/test_botsplash_asan"
' _ "$test_src" "$lib_dir" "$out" "${cflags[@]}"

stage "C tests linked with libbotsplash.a" bash -c '
    cc "${@:5}" "$1" "$2/libbotsplash.a" $4 -o "$3/test_botsplash_static" && "$3/test_botsplash_static"
' _ "$test_src" "$lib_dir" "$out" "${static_libs[*]}" "${cflags[@]}"

# --- 6. install steps + pkg-config ---------------------------------------------------------------
install_smoke() {
    local prefix="$out/prefix"
    rm -rf "$prefix"
    # The README's steps, with a scratch prefix instead of /usr/local.
    install -d "$prefix/lib/pkgconfig" "$prefix/include" || return 1
    install -m 0755 "$lib_dir/libbotsplash.so" "$prefix/lib/" || return 1
    install -m 0644 "$lib_dir/libbotsplash.a" "$prefix/lib/" || return 1
    install -m 0644 "$here/include/botsplash.h" "$prefix/include/" || return 1
    sed "s|^prefix=.*|prefix=$prefix|" "$here/botsplash.pc" > "$prefix/lib/pkgconfig/botsplash.pc" || return 1
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    [[ "$(pkg-config --modversion botsplash)" == "$(sed -n 's/^Version: //p' "$here/botsplash.pc")" ]] || return 1
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror "$here/examples/hello.c" $(pkg-config --cflags --libs botsplash) \
        -Wl,-rpath,"$prefix/lib" -o "$out/hello" || return 1
    # shellcheck disable=SC2046
    cc -std=c11 "$here/examples/hello.c" $(pkg-config --cflags botsplash) "$prefix/lib/libbotsplash.a" \
        $(pkg-config --static --libs-only-l botsplash | sed 's/-lbotsplash//') -o "$out/hello_static" || return 1

    local mock_out="$out/mock.out" mock_pid url=""
    "$BOTSPLASH_MOCK_BIN" --port 0 >"$mock_out" 2>/dev/null &
    mock_pid=$!
    for _ in $(seq 100); do
        url="$(sed -n '1s/^listening on //p' "$mock_out")"
        [[ -n "$url" ]] && break
        sleep 0.05
    done
    local ok=1
    for program in hello hello_static; do
        if BOTSPLASH_APP_ID=demo-app BOTSPLASH_API_KEY=demo-key BOTSPLASH_BASE_URL="$url" "$out/$program" new-leads \
            | grep -Eq '^accepted as [0-9a-f-]{36}$'; then
            echo "$program: accepted"
        else
            echo "$program: FAILED"
            ok=0
        fi
    done
    # A wrong key: the example reports the error and exits non-zero.
    local refused
    refused="$(BOTSPLASH_APP_ID=demo-app BOTSPLASH_API_KEY=wrong BOTSPLASH_BASE_URL="$url" "$out/hello" 2>&1)"
    if [[ $? -ne 0 && "$refused" == *BS_ERR_AUTHENTICATION* ]]; then
        echo "hello with a wrong key: BS_ERR_AUTHENTICATION"
    else
        ok=0
    fi
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
    ((ok))
}
stage "install steps, pkg-config, examples/hello.c" install_smoke

# --- 7. C# -------------------------------------------------------------------------------------
# csharp/MockServer.cs (the mock process and its control API) goes into both test programs.
stage "C# wrapper (mcs + mono)" bash -c '
    mcs -nologo -warnaserror -target:library -out:"$3/Botsplash.dll" "$1/csharp/Botsplash.cs" &&
    mcs -nologo -warnaserror -r:"$3/Botsplash.dll" -r:System.Core.dll -out:"$3/Tests.exe" "$1/csharp/Tests.cs" "$1/csharp/MockServer.cs" &&
    LD_LIBRARY_PATH="$2${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$3/Tests.exe"
' _ "$here" "$lib_dir" "$out"

# --- 8-9. shared conformance suite ----------------------------------------------------------------
cases="$root/conformance/cases"

stage "conformance suite through the C API" bash -c '
    cc "${@:5}" "$1" -L "$2" -Wl,-rpath,"$2" -lbotsplash -lcjson -lm -o "$3/conformance" && "$3/conformance" "$4"
' _ "$here/tests/conformance.c" "$lib_dir" "$out" "$cases" "${cflags[@]}"

# Cheap (a few seconds, unlike valgrind here, where each case's fresh client runtime costs
# over a second): catches memory errors and leaks in the runner's use of the API.
stage "conformance suite through the C API, -fsanitize=address,undefined" bash -c '
    cc "${@:5}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
        "$1" -L "$2" -Wl,-rpath,"$2" -lbotsplash -lcjson -lm -o "$3/conformance_asan" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$3/conformance_asan" "$4"
' _ "$here/tests/conformance.c" "$lib_dir" "$out" "$cases" "${cflags[@]}"

# One assembly with the wrapper, so the runner can use its internal JSON reader.
stage "conformance suite through the C# wrapper" bash -c '
    mcs -nologo -warnaserror -r:System.Core.dll -out:"$3/Conformance.exe" "$1/csharp/Conformance.cs" "$1/csharp/MockServer.cs" "$1/csharp/Botsplash.cs" &&
    LD_LIBRARY_PATH="$2${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$3/Conformance.exe" "$4"
' _ "$here" "$lib_dir" "$out" "$cases"

echo
if ((${#failures[@]})); then
    echo "bindings-c: FAILED stages: ${failures[*]}"
    exit 1
fi
echo "bindings-c: all stages passed"
