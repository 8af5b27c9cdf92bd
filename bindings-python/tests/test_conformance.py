"""The Python runner of the shared conformance cases (`conformance/cases/*.json`, format in
`conformance/README.md`), through the public API of both `Client` and `AsyncClient`. A case
key this runner does not understand fails the case."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import pytest

import botsplash
from conftest import REPO, Mock, closed_port, running_mock

CASES = sorted((REPO / "conformance" / "cases").glob("*.json"))

#: Wire name -> snake_case, for the documented visitor fields only.
SNAKE = {
    wire: snake
    for snake, wire in (
        ("client_visitor_id", "clientVisitorId"),
        ("agent_client_user_id", "agentClientUserId"),
        ("team_code", "teamCode"),
        ("first_name", "firstName"),
        ("last_name", "lastName"),
        ("email", "email"),
        ("phone_number", "phoneNumber"),
        ("state", "state"),
        ("tz_name", "tzName"),
        ("delivery_status", "deliveryStatus"),
        ("extended_attributes", "extendedAttributes"),
    )
}


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 40
    assert set(SNAKE.values()) == set(botsplash.VISITOR_FIELDS)


def check_keys(obj: Mapping[str, Any], allowed: List[str], what: str) -> None:
    unknown = [k for k in obj if k not in allowed]
    assert not unknown, f"unknown key {unknown[0]!r} in {what}"


def substitute(value: str, mock: Mock) -> str:
    return {"$MOCK": mock.url, "$CLOSED": f"http://127.0.0.1:{closed_port()}"}.get(value, value)


def snake_visitor(visitor: Any) -> Any:
    """The way a Python user writes a visitor: documented fields in snake_case."""
    if not isinstance(visitor, dict):
        return visitor
    return {SNAKE.get(key, key): value for key, value in visitor.items()}


def client_options(config: Mapping[str, Any], mock: Mock) -> Dict[str, Any]:
    check_keys(
        config,
        ["app_id", "api_key", "username", "password", "api_key_in", "base_url", "timeout_ms",
         "connect_timeout_ms", "max_retries", "retry_unknown_outcome", "batch_size", "bulk_concurrency"],
        "config",
    )
    options: Dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith("_ms"):
            options[key[: -len("_ms")]] = value / 1000
        elif key == "base_url":
            options[key] = substitute(value, mock)
        else:
            options[key] = value
    # The mock is the default peer, unless the case sets the URL through the environment.
    if "base_url" not in options and "BOTSPLASH_BASE_URL" not in os.environ:
        options["base_url"] = mock.url
    return options


Outcome = Union[botsplash.ListenerResult, List[botsplash.ListenerResult], botsplash.LendingTreeResponse, None]


def call_sync(options: Dict[str, Any], operation: str, args: Mapping[str, Any]) -> Outcome:
    client = botsplash.Client(**options)
    listener_id = args.get("listener_id", "")
    message: Optional[str] = args.get("message")
    if operation == "submit_visitor":
        return client.listeners.submit_visitor(listener_id, snake_visitor(args["visitor"]), message=message)
    if operation == "submit_salesforce_visitors":
        visitors = [snake_visitor(v) for v in args["visitors"]]
        return client.listeners.submit_salesforce_visitors(listener_id, visitors, message=message)
    if operation == "submit_lendingtree_lead":
        return client.listeners.submit_lendingtree_lead(listener_id, args["xml"])
    if operation == "send_message":
        client.messages.send(args["text"], snake_visitor(args.get("visitor")))
        return None
    raise AssertionError(f"unknown operation {operation!r}")


def call_async(options: Dict[str, Any], operation: str, args: Mapping[str, Any]) -> Outcome:
    async def main() -> Outcome:
        client = botsplash.AsyncClient(**options)
        listener_id = args.get("listener_id", "")
        message: Optional[str] = args.get("message")
        if operation == "submit_visitor":
            return await client.listeners.submit_visitor(listener_id, snake_visitor(args["visitor"]), message=message)
        if operation == "submit_salesforce_visitors":
            visitors = [snake_visitor(v) for v in args["visitors"]]
            return await client.listeners.submit_salesforce_visitors(listener_id, visitors, message=message)
        if operation == "submit_lendingtree_lead":
            return await client.listeners.submit_lendingtree_lead(listener_id, args["xml"])
        if operation == "send_message":
            await client.messages.send(args["text"], snake_visitor(args.get("visitor")))
            return None
        raise AssertionError(f"unknown operation {operation!r}")

    return asyncio.run(main())


def accepted_ids(ledger: Mapping[str, Any]) -> List[str]:
    return [rid for entry in ledger["requests"] if entry["accepted"] for rid in entry["request_ids"]]


def check_result(expected: Mapping[str, Any], operation: str, outcome: Outcome, ledger: Mapping[str, Any]) -> None:
    if operation == "submit_visitor":
        check_keys(expected, ["success"], "expect.result")
        assert isinstance(outcome, botsplash.ListenerResult)
        assert outcome.success is expected["success"]
        assert accepted_ids(ledger)[-1:] == [outcome.request_id], "the request id is not the one the server recorded"
    elif operation == "submit_salesforce_visitors":
        check_keys(expected, ["count"], "expect.result")
        assert isinstance(outcome, list) and len(outcome) == expected["count"]
        assert sorted(r.request_id for r in outcome) == sorted(accepted_ids(ledger))
    elif operation == "submit_lendingtree_lead":
        check_keys(expected, ["status", "xml_contains"], "expect.result")
        assert isinstance(outcome, botsplash.LendingTreeResponse)
        assert outcome.status == expected["status"]
        assert expected.get("xml_contains", "") in outcome.xml
    else:
        check_keys(expected, [], "expect.result")
        assert outcome is None


def check_error(expected: Mapping[str, Any], error: botsplash.BotsplashError) -> None:
    check_keys(
        expected,
        ["kind", "status", "outcome_unknown", "retries", "field_paths", "message_contains", "retry_after",
         "unconfirmed", "accepted_indices", "cause"],
        "expect.error",
    )
    assert error.kind == expected["kind"], repr(error)
    assert type(error).kind == expected["kind"]
    assert error.status == expected["status"], repr(error)
    assert error.outcome_unknown is expected["outcome_unknown"], repr(error)
    assert error.retries == expected["retries"], repr(error)
    if "field_paths" in expected:
        assert [f.path for f in error.field_errors] == expected["field_paths"]
    if "message_contains" in expected:
        assert expected["message_contains"] in str(error)
    if "retry_after" in expected:
        assert isinstance(error, botsplash.RateLimitError)
        assert error.retry_after == pytest.approx(expected["retry_after"])
    if {"unconfirmed", "accepted_indices", "cause"} & set(expected):
        assert isinstance(error, botsplash.PartialBulkError)
        assert error.unconfirmed == expected["unconfirmed"]
        assert [i for i, r in enumerate(error.results) if r is not None] == expected["accepted_indices"]
        assert error.cause == expected["cause"]


def check_ledger(expected: Mapping[str, Any], ledger: Mapping[str, Any]) -> None:
    check_keys(expected, ["total", "requests"], "ledger")
    assert ledger["total"] == expected["total"], f"the server received {ledger['total']} requests"
    for i, want in enumerate(expected.get("requests", [])):
        check_keys(want, ["operation", "auth", "accepted", "listener_id", "body"], "ledger.requests")
        got = ledger["requests"][i]
        for key, value in want.items():
            assert got[key] == value, f"ledger entry {i}: {key} = {got[key]!r}, expected {value!r}"


@pytest.fixture(scope="module")
def default_mock() -> Iterator[Mock]:
    """The mock with its defaults, as the conformance format prescribes (any listener)."""
    with running_mock() as m:
        yield m


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, flavor: str, default_mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    mock = default_mock
    case = json.loads(path.read_text())
    check_keys(case, ["name", "description", "env", "config", "faults", "operation", "args", "expect", "ledger"], "case")
    assert case["name"] == path.stem
    mock.reset()
    for name, value in case.get("env", {}).items():
        monkeypatch.setenv(name, substitute(value, mock))
    if case.get("faults"):
        mock.faults(*case["faults"])
    options = client_options(case["config"], mock)
    operation = case["operation"]
    check_keys(case["args"], ["listener_id", "visitor", "visitors", "message", "xml", "text"], "args")
    expect = case["expect"]
    check_keys(expect, ["result", "error"], "expect")
    assert ("result" in expect) != ("error" in expect), "expect needs exactly one of result and error"

    call = call_sync if flavor == "sync" else call_async
    try:
        outcome = call(options, operation, case["args"])
    except botsplash.BotsplashError as error:
        ledger = mock.ledger()
        assert "error" in expect, f"failed, but a result was expected: {error!r}"
        check_error(expect["error"], error)
    else:
        ledger = mock.ledger()
        assert "result" in expect, f"succeeded, but an error was expected: {outcome!r}"
        check_result(expect["result"], operation, outcome, ledger)
    check_ledger(case["ledger"], ledger)
