"""Retries, counted by the mock's ledger: only what provably did not reach processing (and
429) is resent unless `retry_unknown_outcome` is set."""

from __future__ import annotations

import time
from typing import Any, Dict

import pytest

import botsplash
from conftest import LISTENER, PHONE, Mock, closed_port


def test_rate_limit_is_retried_after_retry_after(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="status", status=429, retry_after="0")
    result = client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    entries = mock.requests()
    assert [e["status"] for e in entries] == [429, 200]
    assert entries[1]["request_ids"] == [result.request_id]


def test_rate_limit_gives_up_after_max_retries(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, max_retries=2)
    mock.fault(action="status", status=429, retry_after="0", times=5)
    with pytest.raises(botsplash.RateLimitError) as info:
        client.messages.send("hi")
    assert info.value.retries == 2 and info.value.retry_after == 0.0
    assert mock.total() == 3


@pytest.mark.parametrize(
    "fault, error",
    [
        ({"action": "status", "status": 503}, botsplash.APIError),
        ({"action": "drop_after_read"}, botsplash.APIConnectionError),
        ({"action": "status", "status": 400}, botsplash.APIError),
        ({"action": "status", "status": 401}, botsplash.AuthenticationError),
    ],
)
def test_failures_that_may_have_been_processed_arrive_exactly_once(
    client: botsplash.Client, mock: Mock, fault: Dict[str, Any], error: type
) -> None:
    mock.fault(**fault, times=5)
    with pytest.raises(error) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert info.value.retries == 0
    assert mock.total() == 1


def test_retry_unknown_outcome_resends_5xx(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, retry_unknown_outcome=True, max_retries=1)
    mock.fault(action="status", status=503)
    result = client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert result.success
    assert [e["status"] for e in mock.requests()] == [503, 200]


def test_a_client_error_is_never_retried_even_when_allowed(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, retry_unknown_outcome=True, max_retries=3)
    mock.fault(action="status", status=400, times=5)
    with pytest.raises(botsplash.APIError):
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert mock.total() == 1


def test_connection_refused_is_retried_with_backoff(options: Dict[str, Any]) -> None:
    client = botsplash.Client(**{**options, "base_url": f"http://127.0.0.1:{closed_port()}", "max_retries": 1})
    started = time.monotonic()
    with pytest.raises(botsplash.APIConnectionError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    elapsed = time.monotonic() - started
    assert info.value.retries == 1 and not info.value.outcome_unknown
    # Backoff before the first retry: 0.5 s less up to 25 % jitter.
    assert 0.35 <= elapsed < 3.0, elapsed
