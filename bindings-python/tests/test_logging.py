"""Logs go to the `botsplash` logger; credentials and phone numbers never appear in them."""

from __future__ import annotations

import logging
import sys
from typing import Any, Dict

import pytest

import botsplash
from conftest import APP_ID, LISTENER, USERNAME, Mock

SECRET_KEY = "demo-key"
SECRET_PASSWORD = "demo-password"
PHONE = "+1 (704) 555-0199"


def messages(caplog: pytest.LogCaptureFixture) -> list:
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name == "botsplash"]


def test_requests_retries_and_errors_are_logged(options: Dict[str, Any], mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="botsplash")
    client = botsplash.Client(**options)
    mock.fault(action="status", status=429, retry_after="0")
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    mock.fault(action="status", status=404)
    with pytest.raises(botsplash.NotFoundError):
        client.messages.send("hi", {"phone_number": PHONE})
    logged = messages(caplog)
    assert (("botsplash", logging.DEBUG, "submit_visitor attempt 1")) in logged
    assert any(level == logging.INFO and "submit_visitor failed" in m and "retry 1 of 2" in m for _, level, m in logged), logged
    assert any(level == logging.DEBUG and m.startswith("send_message gave up") for _, level, m in logged), logged


def test_logs_hold_no_credentials_or_phone_numbers(mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="botsplash")
    basic = botsplash.Client(app_id=APP_ID, username=USERNAME, password=SECRET_PASSWORD, base_url=mock.url)
    keyed = botsplash.Client(app_id=APP_ID, api_key=SECRET_KEY, base_url=mock.url, max_retries=1)
    for c in (basic, keyed):
        mock.fault(action="status", status=429, retry_after="0", body='{"message": "slow down"}')
        c.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        c.listeners.submit_salesforce_visitors(LISTENER, [{"phone_number": PHONE}])
        with pytest.raises(botsplash.ValidationError):
            c.listeners.submit_visitor(LISTENER, phone_number=PHONE, state="ZZ")
    text = "\n".join(m for _, _, m in messages(caplog))
    assert "attempt" in text and "retry" in text
    for secret in (SECRET_KEY, SECRET_PASSWORD, "704", "0199", "api_key=", "Basic "):
        assert secret not in text, secret


def test_nothing_is_logged_at_the_default_level(client: botsplash.Client, mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="botsplash")
    mock.fault(action="status", status=429, retry_after="0")
    client.listeners.submit_visitor(LISTENER, phone_number="7045550100")
    assert messages(caplog) == []
    # Lowering the level takes effect at the next call, on a client that already exists.
    caplog.set_level(logging.DEBUG, logger="botsplash")
    client.listeners.submit_visitor(LISTENER, phone_number="7045550100")
    assert [m for _, _, m in messages(caplog)] == ["submit_visitor attempt 1"]


def test_a_failing_handler_does_not_fail_the_request(
    client: botsplash.Client, mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class Broken(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise RuntimeError("handler is broken")

        def handleError(self, record: logging.LogRecord) -> None:
            raise RuntimeError("and so is its error handling")

    logger = logging.getLogger("botsplash")
    handler = Broken()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert client.listeners.submit_visitor(LISTENER, phone_number="7045550100").success
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    # The handler's failure is reported the way Python reports errors nobody can catch.
    assert [str(u.exc_value) for u in unraisable] == ["handler is broken"]


def test_records_keep_the_time_they_were_made(client: botsplash.Client, mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="botsplash")
    mock.fault(action="status", status=429, retry_after="0.3")
    client.listeners.submit_visitor(LISTENER, phone_number="7045550100")
    attempts = [r for r in caplog.records if r.name == "botsplash" and "attempt" in r.getMessage()]
    assert [r.getMessage() for r in attempts] == ["submit_visitor attempt 1", "submit_visitor attempt 2"]
    assert attempts[1].created - attempts[0].created >= 0.25
    assert attempts[0].msecs == pytest.approx((attempts[0].created % 1) * 1000, abs=1)


def test_async_client_logs_on_the_event_loop(options: Dict[str, Any], mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    import threading

    caplog.set_level(logging.DEBUG, logger="botsplash")
    mock.fault(action="status", status=429, retry_after="0")

    async def main() -> None:
        client = botsplash.AsyncClient(**options)
        await client.messages.send("hi", {"phone_number": PHONE})

    asyncio.run(main())
    records = [r for r in caplog.records if r.name == "botsplash"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.INFO, logging.DEBUG]
    assert "send_message failed" in records[1].getMessage()
    # Emitted by the loop's thread (here the main thread), never by the SDK's I/O threads.
    assert {r.thread for r in records} == {threading.main_thread().ident}
    assert all("0199" not in r.getMessage() for r in records)
