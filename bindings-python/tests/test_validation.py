"""Bad input: a typed error naming the field, nothing sent, never a crash."""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Callable, Dict, List

import pytest

import botsplash
from conftest import LISTENER, PHONE, Mock


@pytest.fixture(autouse=True)
def nothing_sent(mock: Mock) -> Any:
    yield
    assert mock.total() == 0, "a request was sent for invalid input"


def paths(e: botsplash.ValidationError) -> List[str]:
    return [f.path for f in e.field_errors]


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"phone_number": 7045550100}, ["visitor.phoneNumber"]),
        ({"phone_number": None}, ["visitor.phoneNumber"]),
        ({}, ["visitor.phoneNumber"]),
        ({"phone_number": PHONE, "extended_attributes": [1, 2]}, ["visitor.extendedAttributes"]),
        ({"phone_number": PHONE, "delivery_status": "202"}, ["visitor.deliveryStatus"]),
        ({"phone_number": PHONE, "delivery_status": 2.5}, ["visitor.deliveryStatus"]),
        ({"phone_number": PHONE, "email": "not-an-email"}, ["visitor.email"]),
        ({"phone_number": PHONE, "tz_name": "Mars/Olympus"}, ["visitor.tzName"]),
        ({"phone_number": PHONE, "first_name": 5, "team_code": True}, ["visitor.teamCode", "visitor.firstName"]),
        ({"phone_number": PHONE, "agent_client_user_id": []}, ["visitor.agentClientUserId"]),
        ({"phone_number": PHONE, "agent_client_user_id": ["a", 3]}, ["visitor.agentClientUserId[1]"]),
        ({"phone_number": PHONE, "agent_client_user_id": 7}, ["visitor.agentClientUserId"]),
    ],
)
def test_visitor_field_errors(client: botsplash.Client, fields: Dict[str, Any], expected: List[str]) -> None:
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_visitor(LISTENER, fields)
    assert sorted(paths(info.value)) == sorted(expected)
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_visitor(LISTENER, **fields)
    assert sorted(paths(info.value)) == sorted(expected)


def test_every_error_at_once_with_bulk_paths(client: botsplash.Client) -> None:
    visitors = [
        {"phone_number": PHONE},
        {"phone_number": PHONE, "tz_name": "Nowhere/Land"},
        "not a visitor",
        {"phone_number": "123", "state": "ZZ"},
    ]
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_salesforce_visitors(" ", visitors, message="")
    assert paths(info.value) == [
        "listenerId",
        "visitors[1].tzName",
        "visitors[2]",
        "visitors[3].phoneNumber",
        "visitors[3].state",
        "args.message",
    ]


def test_other_operations(client: botsplash.Client) -> None:
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_salesforce_visitors(LISTENER, [])
    assert paths(info.value) == ["visitors"]
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_lendingtree_lead(LISTENER, "<Lead><open></Lead>")
    assert paths(info.value) == ["xml"]
    with pytest.raises(botsplash.ValidationError) as info:
        client.messages.send("  ", {"first_name": "Ann"})
    assert paths(info.value) == ["text", "visitor"]
    with pytest.raises(botsplash.ValidationError) as info:
        client.messages.send("hi", [PHONE])  # type: ignore[arg-type]
    assert paths(info.value) == ["visitor"]
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_visitor(LISTENER, "7045550100")  # type: ignore[arg-type]
    assert paths(info.value) == ["visitor"]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda c: c.listeners.submit_visitor(None, phone_number=PHONE), TypeError, "listener_id"),
        (lambda c: c.listeners.submit_visitor(42, phone_number=PHONE), TypeError, "listener_id"),
        (lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, message=5), TypeError, "message"),
        (lambda c: c.messages.send(None), TypeError, "text"),
        (lambda c: c.listeners.submit_lendingtree_lead(LISTENER, b"<Lead/>"), TypeError, "xml"),
        (lambda c: c.listeners.submit_salesforce_visitors(LISTENER, {"phone_number": PHONE}), TypeError, "visitors"),
        (lambda c: c.listeners.submit_salesforce_visitors(LISTENER, "abc"), TypeError, "visitors"),
        (lambda c: c.listeners.submit_salesforce_visitors(LISTENER, 5), TypeError, "visitors"),
        (lambda c: c.listeners.submit_salesforce_visitors(LISTENER, None), TypeError, "visitors"),
        (
            lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={"tags": {"a", "b"}}),
            TypeError,
            "visitor.extended_attributes.tags: a set cannot be sent as JSON",
        ),
        (
            lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={"at": datetime.date(2024, 1, 2)}),
            TypeError,
            "visitor.extended_attributes.at: a date",
        ),
        (
            lambda c: c.listeners.submit_salesforce_visitors(LISTENER, [{"phone_number": PHONE}, {"phone_number": PHONE, "amount": decimal.Decimal("1.5")}]),
            TypeError,
            "visitors[1].amount: a Decimal",
        ),
        (
            lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={1: "x"}),
            TypeError,
            "visitor.extended_attributes: keys must be strings, not int",
        ),
        (lambda c: c.listeners.submit_visitor(LISTENER, {1: PHONE}), TypeError, "visitor: keys must be strings"),
        (
            lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={"score": float("nan")}),
            ValueError,
            "visitor.extended_attributes.score: NaN",
        ),
        (
            lambda c: c.listeners.submit_visitor(LISTENER, phone_number=PHONE, delivery_status=2**80),
            ValueError,
            "visitor.delivery_status: the integer is too large",
        ),
        (lambda c: c.listeners.submit_visitor(LISTENER, phone_number="\ud800"), ValueError, "visitor.phone_number"),
        (lambda c: c.listeners.submit_visitor(LISTENER, [1], phone_number=PHONE), TypeError, "visitor must be a dict"),
        (lambda c: c.messages.send("hi", {"phone_number": object()}), TypeError, "visitor.phone_number: a object"),
    ],
)
def test_wrong_python_types(
    client: botsplash.Client, call: Callable[[Any], Any], error: type, words: str
) -> None:
    with pytest.raises(error) as info:
        call(client)
    assert words in str(info.value)
    assert not isinstance(info.value, botsplash.BotsplashError)


def test_self_containing_values_fail_cleanly(client: botsplash.Client) -> None:
    loop: List[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={"loop": loop})
    cyclic: Dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="visitor.extended_attributes.self.self"):
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes=cyclic)


def test_async_client_rejects_bad_input_before_sending(options: Dict[str, Any]) -> None:
    import asyncio

    async def main() -> None:
        client = botsplash.AsyncClient(**options)
        with pytest.raises(botsplash.ValidationError) as info:
            await client.listeners.submit_visitor(LISTENER, phone_number=1234)
        assert paths(info.value) == ["visitor.phoneNumber"]
        with pytest.raises(TypeError, match="visitor.extended_attributes.s: a set"):
            await client.listeners.submit_visitor(LISTENER, phone_number=PHONE, extended_attributes={"s": set()})
        with pytest.raises(TypeError, match="text"):
            await client.messages.send(None)  # type: ignore[arg-type]

    asyncio.run(main())
