"""Python side of the SDK benchmarks (driven by bench/run.sh; prints one JSON document).

    python bench.py seq     --url BASE [--n N] [--warmup W] [--rounds R]
        sequential keep-alive submit_visitor: botsplash.Client vs requests.Session and
        httpx.Client (the cases alternate round by round)
    python bench.py threads --url BASE [--n N] [--threads 8] ...
        one botsplash.Client shared by 8 threads vs the same client on 1 thread; httpx.Client
        and requests (a Session per thread) on 8 threads for reference
    python bench.py async   --url BASE [--n N] [--tasks 64] ...
        botsplash.AsyncClient vs httpx.AsyncClient and aiohttp, each with 64 tasks
    python bench.py bulk    --url BASE [--count 100000]
        visitors through Client.submit_salesforce_visitors: wall time and peak RSS
    python bench.py import  [--n 20]
        `import botsplash` over a bare interpreter (fresh processes, medians)

Every call's answer is checked (HTTP 200 and a request id); a failed call counts as an error,
and bench/report.py refuses a run with errors. The payload is bench/payload.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

HERE = Path(__file__).resolve().parent
APP_ID = "demo-app"
API_KEY = "demo-key"


def load_payload(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def summarize(latencies_ns: List[int], seconds: float, cpu_ns: int, errors: int, concurrency: int) -> Dict[str, Any]:
    lat = sorted(latencies_ns)
    n = len(lat)

    def pct(p: float) -> float:
        if not lat:
            return 0.0
        rank = min(max(int(-(-p * n // 1)), 1), n)  # nearest-rank percentile
        return lat[rank - 1] / 1000.0

    return {
        "calls": n,
        "seconds": seconds,
        "calls_per_s": n / seconds if seconds > 0 else 0.0,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "cpu_us_per_call": cpu_ns / n / 1000.0 if n else 0.0,
        "errors": errors,
        "concurrency": concurrency,
    }


def timed_sequential(call: Callable[[], bool], n: int, warmup: int) -> Dict[str, Any]:
    errors = 0
    for _ in range(warmup):
        if not call():
            errors += 1
    lat: List[int] = []
    append = lat.append
    clock = time.perf_counter_ns
    cpu0 = time.process_time_ns()
    start = clock()
    for _ in range(n):
        t = clock()
        if not call():
            errors += 1
        append(clock() - t)
    seconds = (clock() - start) / 1e9
    return summarize(lat, seconds, time.process_time_ns() - cpu0, errors, 1)


def timed_threads(make_call: Callable[[], Callable[[], bool]], n: int, warmup: int, threads: int) -> Dict[str, Any]:
    """`threads` threads share the work of n calls; make_call() gives each thread its call."""
    per_thread = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    lat: List[List[int]] = [[] for _ in range(threads)]
    errors = [0] * threads
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def worker(i: int) -> None:
        call = make_call()
        for _ in range(max(1, warmup // threads)):
            if not call():
                errors[i] += 1
        ready.wait()
        go.wait()
        out = lat[i]
        clock = time.perf_counter_ns
        for _ in range(per_thread[i]):
            t = clock()
            if not call():
                errors[i] += 1
            out.append(clock() - t)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    ready.wait()
    cpu0 = time.process_time_ns()
    start = time.perf_counter_ns()
    go.set()
    for t in pool:
        t.join()
    seconds = (time.perf_counter_ns() - start) / 1e9
    merged = [x for part in lat for x in part]
    return summarize(merged, seconds, time.process_time_ns() - cpu0, sum(errors), threads)


# --- the clients under test ------------------------------------------------------------------


class Env:
    def __init__(self, args: argparse.Namespace) -> None:
        payload = load_payload(args.payload)
        self.base = args.url.rstrip("/")
        self.listener = payload["listener_id"]
        self.message = payload["message"]
        self.wire_visitor = payload["visitor"]
        # What a Python user passes: the documented snake_case names.
        self.visitor = {snake(k): v for k, v in self.wire_visitor.items()}
        # The request a hand-written client sends (the API key in the query, as the SDK does).
        self.url = f"{self.base}/{APP_ID}/listener/botsplash/{self.listener}?api_key={API_KEY}"
        self.headers = {"Accept": "application/json"}

    def body(self) -> Dict[str, Any]:
        return {"visitor": self.wire_visitor, "args": {"message": self.message}}


def sdk_call(env: Env, client: Any) -> Callable[[], bool]:
    submit = client.listeners.submit_visitor
    listener, visitor, message = env.listener, env.visitor, env.message

    def call() -> bool:
        r = submit(listener, visitor, message=message)
        return r.success and bool(r.request_id)

    return call


def requests_call(env: Env, session: Any) -> Callable[[], bool]:
    url, headers = env.url, env.headers

    def call() -> bool:
        r = session.post(url, json=env.body(), headers=headers)
        return r.status_code == 200 and bool(r.json()["requestId"])

    return call


def httpx_call(env: Env, client: Any) -> Callable[[], bool]:
    url, headers = env.url, env.headers

    def call() -> bool:
        r = client.post(url, json=env.body(), headers=headers)
        return r.status_code == 200 and bool(r.json()["requestId"])

    return call


def new_sdk_client(env: Env) -> Any:
    import botsplash

    return botsplash.Client(app_id=APP_ID, api_key=API_KEY, base_url=env.base)


def run_seq(args: argparse.Namespace) -> Dict[str, Any]:
    import httpx
    import requests

    env = Env(args)
    sdk = new_sdk_client(env)
    session = requests.Session()
    hx = httpx.Client()
    cases = [
        ("python-client", "Python botsplash.Client", "sdk", sdk_call(env, sdk)),
        ("python-requests", "requests.Session", "baseline", requests_call(env, session)),
        ("python-httpx", "httpx.Client", "baseline", httpx_call(env, hx)),
    ]
    rounds: List[List[Dict[str, Any]]] = [[] for _ in cases]
    for _ in range(args.rounds):
        for i, (_, _, _, call) in enumerate(cases):
            rounds[i].append(timed_sequential(call, args.n_for(i), args.warmup))
    return {
        "suite": "sequential",
        "language": "python",
        "cases": [
            {"id": cid, "label": label, "role": role, "language": "python", "concurrency": 1, "rounds": rounds[i]}
            for i, (cid, label, role, _) in enumerate(cases)
        ],
    }


def run_threads(args: argparse.Namespace) -> Dict[str, Any]:
    import httpx
    import requests

    env = Env(args)
    sdk = new_sdk_client(env)
    hx = httpx.Client(limits=httpx.Limits(max_connections=args.threads, max_keepalive_connections=args.threads))
    t = args.threads
    cases = [
        ("python-client-1t", "Python Client, 1 thread", "sdk", 1, lambda: sdk_call(env, sdk)),
        (f"python-client-{t}t", f"Python Client, {t} threads (one Client)", "sdk", t, lambda: sdk_call(env, sdk)),
        (f"python-httpx-{t}t", f"httpx.Client, {t} threads (one Client)", "baseline", t, lambda: httpx_call(env, hx)),
        (
            f"python-requests-{t}t",
            f"requests, {t} threads (a Session each)",
            "baseline",
            t,
            lambda: requests_call(env, requests.Session()),
        ),
    ]
    rounds: List[List[Dict[str, Any]]] = [[] for _ in cases]
    for _ in range(args.rounds):
        for i, (_, _, _, threads, make) in enumerate(cases):
            rounds[i].append(timed_threads(make, args.n_for(i), args.warmup, threads))
    return {
        "suite": "threads",
        "language": "python",
        "cases": [
            {"id": cid, "label": label, "role": role, "language": "python", "concurrency": thr, "rounds": rounds[i]}
            for i, (cid, label, role, thr, _) in enumerate(cases)
        ],
    }


async def timed_tasks(call: Callable[[], Any], n: int, warmup: int, tasks: int) -> Dict[str, Any]:
    """`tasks` coroutines share n calls; `call()` returns an awaitable of bool."""

    async def drive(count: int, lat: List[int] | None, errors: List[int]) -> None:
        remaining = [count]

        async def worker() -> None:
            clock = time.perf_counter_ns
            while remaining[0] > 0:
                remaining[0] -= 1
                t = clock()
                try:
                    ok = await call()
                except Exception:  # a failed call is counted, not fatal
                    ok = False
                if not ok:
                    errors[0] += 1
                if lat is not None:
                    lat.append(clock() - t)

        await asyncio.gather(*(worker() for _ in range(tasks)))

    errors = [0]
    await drive(max(warmup, tasks), None, errors)
    lat: List[int] = []
    cpu0 = time.process_time_ns()
    start = time.perf_counter_ns()
    await drive(n, lat, errors)
    seconds = (time.perf_counter_ns() - start) / 1e9
    return summarize(lat, seconds, time.process_time_ns() - cpu0, errors[0], tasks)


async def async_case(kind: str, env: Env, n: int, warmup: int, tasks: int) -> Dict[str, Any]:
    if kind == "sdk":
        import botsplash

        async with botsplash.AsyncClient(app_id=APP_ID, api_key=API_KEY, base_url=env.base) as client:
            submit = client.listeners.submit_visitor

            async def call() -> bool:
                r = await submit(env.listener, env.visitor, message=env.message)
                return r.success and bool(r.request_id)

            return await timed_tasks(call, n, warmup, tasks)
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=tasks, max_keepalive_connections=tasks)
        async with httpx.AsyncClient(limits=limits) as hx:

            async def call() -> bool:
                r = await hx.post(env.url, json=env.body(), headers=env.headers)
                return r.status_code == 200 and bool(r.json()["requestId"])

            return await timed_tasks(call, n, warmup, tasks)
    if kind == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=tasks)) as session:

            async def call() -> bool:
                async with session.post(env.url, json=env.body(), headers=env.headers) as r:
                    data = await r.json()
                    return r.status == 200 and bool(data["requestId"])

            return await timed_tasks(call, n, warmup, tasks)
    raise ValueError(kind)


def run_async(args: argparse.Namespace) -> Dict[str, Any]:
    env = Env(args)
    t = args.tasks
    cases = [
        (f"python-async-{t}", f"Python AsyncClient, {t} tasks", "sdk", "sdk"),
        (f"python-httpx-async-{t}", f"httpx.AsyncClient, {t} tasks", "baseline", "httpx"),
        (f"python-aiohttp-{t}", f"aiohttp, {t} tasks", "baseline", "aiohttp"),
    ]
    rounds: List[List[Dict[str, Any]]] = [[] for _ in cases]
    for _ in range(args.rounds):
        for i, (_, _, _, kind) in enumerate(cases):
            rounds[i].append(asyncio.run(async_case(kind, env, args.n_for(i), args.warmup, t)))
    return {
        "suite": "async",
        "language": "python",
        "cases": [
            {"id": cid, "label": label, "role": role, "language": "python", "concurrency": t, "rounds": rounds[i]}
            for i, (cid, label, role, _) in enumerate(cases)
        ],
    }


def rss_now() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def bulk_visitors(env: Env, count: int) -> Iterator[Dict[str, Any]]:
    for i in range(count):
        v = dict(env.visitor)
        v["phone_number"] = f"+1704{i:07d}"
        v["client_visitor_id"] = f"crm-{i}"
        v["email"] = f"lead{i}@example.com"
        yield v


def run_bulk(args: argparse.Namespace) -> Dict[str, Any]:
    import botsplash

    env = Env(args)
    client = botsplash.Client(app_id=APP_ID, api_key=API_KEY, base_url=env.base)
    rss_start = rss_now()
    # A generator, as rows come from a CSV reader or a database cursor; with
    # --input list the 100k dicts are built first, as a program holding them all would.
    visitors: Any = bulk_visitors(env, args.count)
    if args.input == "list":
        visitors = list(visitors)
    rss_input = rss_now()
    start = time.perf_counter()
    error = None
    accepted = 0
    try:
        results = client.listeners.submit_salesforce_visitors(env.listener, visitors, message=env.message)
        accepted = sum(1 for r in results if r.success)
    except botsplash.BotsplashError as e:
        error = f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "suite": "bulk",
        "language": "python",
        "cases": [
            {
                "id": "python-bulk" if args.input == "generator" else "python-bulk-list",
                "label": "Python Client" + (" (a list of dicts)" if args.input == "list" else ""),
                "language": "python",
                "visitors": args.count,
                "accepted": accepted,
                "error": error,
                "seconds": seconds,
                "rss_start_bytes": rss_start,
                "rss_input_bytes": rss_input,
                "peak_rss_bytes": peak,
                "input": "a generator of dicts" if args.input == "generator" else "a list of 100k dicts, built before the call",
            }
        ],
    }


def startup_ms(argv: List[str], n: int) -> Dict[str, float]:
    times: List[float] = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times)}


def run_import(args: argparse.Namespace) -> Dict[str, Any]:
    py = sys.executable
    bare, loaded = [py, "-c", "pass"], [py, "-c", "import botsplash"]
    startup_ms(loaded, 3)  # page cache
    # Interleaved batches, so drift hits both sides alike.
    bare_t: List[float] = []
    load_t: List[float] = []
    for _ in range(args.n):
        bare_t.append(startup_ms(bare, 1)["median_ms"])
        load_t.append(startup_ms(loaded, 1)["median_ms"])
    bare_ms, load_ms = statistics.median(bare_t), statistics.median(load_t)
    return {
        "suite": "startup",
        "language": "python",
        "cases": [
            {
                "id": "python-import",
                "label": "import botsplash",
                "language": "python",
                "bare_ms": bare_ms,
                "with_ms": load_ms,
                "overhead_ms": load_ms - bare_ms,
                "runs": args.n,
                "what": f"{os.path.basename(py)} -c 'import botsplash' vs -c 'pass', median of {args.n} each",
            }
        ],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["seq", "threads", "async", "bulk", "import"])
    p.add_argument("--url", default="")
    p.add_argument("--payload", default=str(HERE.parent / "payload.json"))
    p.add_argument("--n", type=int, default=5000, help="timed calls per case and round")
    p.add_argument("--n-sdk", type=int, default=0, help="timed calls of the SDK cases (default: --n)")
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--tasks", type=int, default=64)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--input", choices=["generator", "list"], default="generator")
    args = p.parse_args()
    if args.mode != "import" and not args.url:
        p.error("--url is required")
    if args.mode == "import" and args.n == 5000:
        args.n = 20
    # The SDK cases are much faster; more calls give them a comparable measuring time.
    n_sdk = args.n_sdk or args.n
    args.n_for = lambda i: n_sdk if i == 0 or (args.mode == "threads" and i == 1) else args.n
    result = {"seq": run_seq, "threads": run_threads, "async": run_async, "bulk": run_bulk, "import": run_import}[
        args.mode
    ](args)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
