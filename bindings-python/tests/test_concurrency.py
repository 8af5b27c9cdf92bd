"""Threads share one `Client` and really run at once (the GIL is released while waiting)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import botsplash
from conftest import LISTENER, PHONE, Mock


def test_eight_threads_wait_concurrently(client: botsplash.Client, mock: Mock) -> None:
    # Each request is held 400 ms by the server. Eight in sequence would take 3.2 s; with the
    # GIL released during the wait they overlap.
    delay = 0.4
    mock.fault(action="delay", delay_ms=int(delay * 1000), times=8)
    barrier = threading.Barrier(8)

    def one(_: int) -> botsplash.ListenerResult:
        barrier.wait()
        return client.listeners.submit_visitor(LISTENER, phone_number=PHONE)

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    elapsed = time.monotonic() - started
    assert len({r.request_id for r in results}) == 8
    assert elapsed < 3 * delay, f"8 delayed requests took {elapsed:.2f}s: threads did not overlap"
    assert mock.total() == 8


def test_python_threads_run_while_a_request_waits(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="delay", delay_ms=500)
    counter = 0
    done = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not done.is_set():
            counter += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.05)
    before = counter
    try:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        during = counter - before
    finally:
        done.set()
        spinner.join()
    # With the GIL held for 500 ms the spinner would be frozen (a few switches at most).
    assert during > 10_000, during


def test_many_threads_many_calls(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options)
    errors: List[BaseException] = []
    ids: List[str] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for i in range(25):
                if i % 5 == 0:
                    client.messages.send("hi", {"client_visitor_id": "x"})
                else:
                    r = client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
                    with lock:
                        ids.append(r.request_id)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 8 * 20
    assert mock.ledger()["counts"] == {
        "submit_visitor": 160,
        "send_message": 40,
        "submit_salesforce_visitors": 0,
        "submit_lendingtree_lead": 0,
    }
