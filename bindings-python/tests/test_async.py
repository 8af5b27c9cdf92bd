"""`AsyncClient`: every operation, errors, 100 concurrent tasks, cancellation."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Awaitable, Callable, Dict, TypeVar

import pytest

import botsplash
from conftest import LISTENER, PHONE, Mock

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


def test_every_operation(options: Dict[str, Any], mock: Mock) -> None:
    async def main() -> None:
        async with botsplash.AsyncClient(**options, batch_size=2) as client:
            coro = client.listeners.submit_visitor(LISTENER, {"phone_number": PHONE}, first_name="Ann", message="Hi")
            assert inspect.iscoroutine(coro)
            result = await coro
            assert isinstance(result, botsplash.ListenerResult) and result.success
            results = await client.listeners.submit_salesforce_visitors(LISTENER, [{"phone_number": PHONE}] * 3, message="Hey")
            assert len(results) == 3 and all(isinstance(r, botsplash.ListenerResult) for r in results)
            response = await client.listeners.submit_lendingtree_lead(LISTENER, "<Lead/>")
            assert isinstance(response, botsplash.LendingTreeResponse) and response.status == 200
            assert await client.messages.send("hello", {"client_visitor_id": "crm-1"}) is None
            # Real coroutines: usable with create_task and TaskGroup-style APIs.
            task = asyncio.create_task(client.messages.send("from a task"))
            await task
        assert client.closed

    run(main)
    entries = mock.requests()
    assert [e["operation"] for e in entries] == [
        "submit_visitor",
        "submit_salesforce_visitors",
        "submit_salesforce_visitors",
        "submit_lendingtree_lead",
        "send_message",
        "send_message",
    ]
    assert entries[0]["body"] == {"visitor": {"phoneNumber": PHONE, "firstName": "Ann"}, "args": {"message": "Hi"}}
    assert entries[4]["body"] == {"text": "hello", "visitor": {"clientVisitorId": "crm-1"}}


def test_errors(options: Dict[str, Any], mock: Mock) -> None:
    async def main() -> None:
        client = botsplash.AsyncClient(**options)
        with pytest.raises(botsplash.NotFoundError) as info:
            await client.listeners.submit_visitor("unknown", phone_number=PHONE)
        assert info.value.status == 404 and info.value.request_id
        mock.fault(action="status", status=503)
        with pytest.raises(botsplash.APIError) as api_info:
            await client.messages.send("hi")
        assert api_info.value.outcome_unknown
        mock.fault(action="malformed_json")
        with pytest.raises(botsplash.DecodeError):
            await client.listeners.submit_lendingtree_lead(LISTENER, "<Lead/>")
        await client.close()
        with pytest.raises(botsplash.BotsplashError, match="closed"):
            await client.messages.send("hi")

    run(main)
    assert mock.total() == 3


def test_timeout(options: Dict[str, Any], mock: Mock) -> None:
    async def main() -> None:
        client = botsplash.AsyncClient(**{**options, "timeout": 0.3})
        mock.fault(action="delay", delay_ms=1500)
        with pytest.raises(botsplash.APITimeoutError) as info:
            await client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        assert info.value.outcome_unknown

    run(main)


def test_hundred_concurrent_tasks(options: Dict[str, Any], mock: Mock) -> None:
    delay = 0.3
    mock.fault(action="delay", delay_ms=int(delay * 1000), times=100)

    async def main() -> float:
        client = botsplash.AsyncClient(**options)
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.listeners.submit_visitor(LISTENER, phone_number=PHONE, client_visitor_id=str(i)) for i in range(100))
        )
        assert len({r.request_id for r in results}) == 100
        return time.monotonic() - started

    elapsed = run(main)
    # In sequence this would take 30 s.
    assert elapsed < 10 * delay, elapsed
    entries = mock.requests()
    assert len(entries) == 100
    assert sorted(int(e["body"]["visitor"]["clientVisitorId"]) for e in entries) == list(range(100))


def test_the_event_loop_keeps_running(options: Dict[str, Any], mock: Mock) -> None:
    mock.fault(action="delay", delay_ms=500)

    async def main() -> int:
        client = botsplash.AsyncClient(**options)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        await client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        tick_task.cancel()
        return ticks

    assert run(main) >= 20


def unknown_outcome_retrying_client(options: Dict[str, Any]) -> botsplash.AsyncClient:
    # A 0.4 s timeout and permission to retry it: a request left running after cancellation
    # would time out and send a second request, which the ledger would show.
    return botsplash.AsyncClient(**{**options, "timeout": 0.4, "retry_unknown_outcome": True, "max_retries": 2})


def test_probe_without_cancellation_retries(options: Dict[str, Any], mock: Mock) -> None:
    """The control experiment for the cancellation test below: uncancelled, the same request
    times out and is retried, and the ledger shows two arrivals."""
    mock.fault(action="delay", delay_ms=3000)

    async def main() -> None:
        client = unknown_outcome_retrying_client(options)
        result = await client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        assert result.success

    run(main)
    assert mock.total() == 2


def test_cancelling_the_task_aborts_the_request(options: Dict[str, Any], mock: Mock) -> None:
    mock.fault(action="delay", delay_ms=3000)

    async def main() -> None:
        client = unknown_outcome_retrying_client(options)
        task = asyncio.create_task(client.listeners.submit_visitor(LISTENER, phone_number=PHONE))
        deadline = time.monotonic() + 5
        while mock.total() == 0:  # the server has the request
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - cancelled_at < 0.2
        await asyncio.sleep(1.5)

    run(main)
    assert mock.total() == 1


def test_wait_for_timeout_aborts_the_request(options: Dict[str, Any], mock: Mock) -> None:
    mock.fault(action="delay", delay_ms=3000)

    async def main() -> None:
        client = unknown_outcome_retrying_client(options)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.messages.send("hi"), 0.15)
        await asyncio.sleep(1.5)

    run(main)
    assert mock.total() == 1


def test_operations_need_a_running_loop(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.AsyncClient(**options)
    coro = client.messages.send("hi")
    with pytest.raises(RuntimeError):
        coro.send(None)
    coro.close()
    assert mock.total() == 0
