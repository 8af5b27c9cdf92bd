"""The interpreter exits cleanly while the SDK is busy: requests finishing on the SDK's I/O
threads as the loop closes, daemon threads in the middle of a request. (CPython ends threads
that touch the GIL during shutdown with pthread_exit, which aborts a process whose native
code is not prepared for it.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from conftest import LISTENER, Mock

ASYNC_BURST = """
import asyncio, sys, botsplash

async def main():
    client = botsplash.AsyncClient(app_id="demo-app", api_key="demo-key", base_url=sys.argv[1])
    await asyncio.gather(*(client.listeners.submit_visitor("{listener}", phone_number="7045550100") for _ in range(100)))

asyncio.run(main())
"""

BUSY_AT_EXIT = """
import asyncio, logging, sys, threading, time, botsplash

logging.basicConfig(level=logging.DEBUG)  # log records are being produced as well
url = sys.argv[1]
client = botsplash.Client(app_id="demo-app", api_key="demo-key", base_url=url)

def forever():
    while True:
        client.listeners.submit_visitor("{listener}", phone_number="7045550100")

for _ in range(4):
    threading.Thread(target=forever, daemon=True).start()

async def leave_tasks_running():
    aclient = botsplash.AsyncClient(app_id="demo-app", api_key="demo-key", base_url=url)
    for _ in range(20):
        asyncio.ensure_future(aclient.listeners.submit_visitor("{listener}", phone_number="7045550100"))
    await asyncio.sleep(0.1)

asyncio.run(leave_tasks_running())
time.sleep(float(sys.argv[2]))
"""


def run_script(source: str, *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    code = textwrap.dedent(source).replace("{listener}", LISTENER)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("attempt", range(6))
def test_exit_right_after_a_burst_of_async_requests(mock: Mock, attempt: int) -> None:
    done = run_script(ASYNC_BURST, mock.url)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("linger", ["0.05", "0.2", "0.3"])
def test_exit_while_threads_and_tasks_are_mid_request(mock: Mock, linger: str) -> None:
    # Each request is held 250 ms, so the exit lands while requests are in flight.
    mock.fault(action="delay", delay_ms=250, times=1000)
    done = run_script(BUSY_AT_EXIT, mock.url, linger)
    assert done.returncode == 0, done.stderr[-2000:]
