"""Every operation and client option of the sync `Client`, checked against the mock's ledger."""

from __future__ import annotations

import pickle
import time
import uuid
from collections import OrderedDict
from typing import Any, Dict

import pytest

import botsplash
from conftest import API_KEY, APP_ID, LISTENER, PASSWORD, PHONE, USERNAME, Mock


def is_uuid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


def test_submit_visitor_with_keyword_fields(client: botsplash.Client, mock: Mock) -> None:
    result = client.listeners.submit_visitor(
        LISTENER,
        phone_number=PHONE,
        first_name="Ann",
        last_name="Lee",
        client_visitor_id="crm-1",
        agent_client_user_id=["agent-1", "agent-2"],
        team_code="east",
        email="ann@example.com",
        state="nc",
        tz_name="America/New_York",
        delivery_status=202,
        extended_attributes={"loan_amount": 250000, "nested_key": {"keep_this_case": [1, None, True]}},
        participantAgentIds=["p-1"],
        custom_extra={"a_b": 1},
        message="Hi Ann!",
    )
    assert isinstance(result, botsplash.ListenerResult)
    assert result.success is True
    assert is_uuid(result.request_id)
    [entry] = mock.requests()
    assert entry["operation"] == "submit_visitor"
    assert entry["listener_id"] == LISTENER
    assert entry["auth"] == "api_key_query"
    assert entry["request_ids"] == [result.request_id]
    assert entry["body"] == {
        "visitor": {
            "phoneNumber": PHONE,
            "firstName": "Ann",
            "lastName": "Lee",
            "clientVisitorId": "crm-1",
            "agentClientUserId": ["agent-1", "agent-2"],
            "teamCode": "east",
            "email": "ann@example.com",
            "state": "nc",
            "tzName": "America/New_York",
            "deliveryStatus": 202,
            # Passed through untouched: nested keys keep their snake_case.
            "extendedAttributes": {"loan_amount": 250000, "nested_key": {"keep_this_case": [1, None, True]}},
            # Extra fields pass through exactly as named.
            "participantAgentIds": ["p-1"],
            "custom_extra": {"a_b": 1},
        },
        "args": {"message": "Hi Ann!"},
    }


def test_submit_visitor_with_a_dict_and_keywords(client: botsplash.Client, mock: Mock) -> None:
    visitor = {"phone_number": PHONE, "agent_client_user_id": "agent-1", "tzName": "America/Chicago"}
    client.listeners.submit_visitor(LISTENER, visitor, first_name="Bo")
    # The caller's dict is not modified.
    assert visitor == {"phone_number": PHONE, "agent_client_user_id": "agent-1", "tzName": "America/Chicago"}
    [entry] = mock.requests()
    assert entry["body"] == {
        "visitor": {"phoneNumber": PHONE, "agentClientUserId": "agent-1", "tzName": "America/Chicago", "firstName": "Bo"}
    }


def test_visitor_as_other_mapping_and_none_fields(client: botsplash.Client, mock: Mock) -> None:
    visitor: Dict[str, Any] = OrderedDict(phone_number=PHONE, email=None, first_name=None)
    client.listeners.submit_visitor(LISTENER, visitor)
    # Documented fields set to None mean "not given" and are left out.
    assert mock.requests()[0]["body"] == {"visitor": {"phoneNumber": PHONE}}


def test_the_same_field_twice_is_a_type_error(client: botsplash.Client, mock: Mock) -> None:
    with pytest.raises(TypeError, match="phone_number"):
        client.listeners.submit_visitor(LISTENER, {"phone_number": PHONE}, phone_number=PHONE)
    with pytest.raises(TypeError, match="phoneNumber"):
        client.listeners.submit_visitor(LISTENER, {"phone_number": PHONE, "phoneNumber": PHONE})
    assert mock.total() == 0


def test_submit_salesforce_visitors_in_batches(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, batch_size=2, bulk_concurrency=2)
    visitors = [{"phone_number": f"704555010{i}", "client_visitor_id": f"v{i}"} for i in range(5)]
    results = client.listeners.submit_salesforce_visitors(LISTENER, visitors, message="Welcome")
    assert isinstance(results, list) and len(results) == 5
    assert all(isinstance(r, botsplash.ListenerResult) and r.success for r in results)
    entries = mock.requests()
    assert [e["operation"] for e in entries] == ["submit_salesforce_visitors"] * 3
    # Results are in input order: each batch's request ids map back to its visitors.
    sent = {}
    for e in entries:
        assert e["body"]["args"] == {"message": "Welcome"}
        for visitor, request_id in zip(e["body"]["visitors"], e["request_ids"]):
            sent[visitor["clientVisitorId"]] = request_id
    assert [sent[f"v{i}"] for i in range(5)] == [r.request_id for r in results]
    assert sorted(len(e["body"]["visitors"]) for e in entries) == [1, 2, 2]


def test_bulk_concurrency_sends_batches_at_once(options: Dict[str, Any], mock: Mock) -> None:
    visitors = [{"phone_number": PHONE}] * 4
    # Every batch is held 300 ms by the server.
    mock.fault(operation="submit_salesforce_visitors", action="delay", delay_ms=300, times=8)
    timings = {}
    for concurrency in (4, 1):
        client = botsplash.Client(**options, batch_size=1, bulk_concurrency=concurrency)
        started = time.monotonic()
        assert len(client.listeners.submit_salesforce_visitors(LISTENER, visitors)) == 4
        timings[concurrency] = time.monotonic() - started
    assert timings[4] < 0.9, timings
    assert timings[1] >= 1.2, timings
    assert mock.total() == 8


def test_submit_salesforce_visitors_takes_any_iterable(client: botsplash.Client, mock: Mock) -> None:
    results = client.listeners.submit_salesforce_visitors(LISTENER, (v for v in [{"phone_number": PHONE}] * 3))
    assert len(results) == 3
    assert len(client.listeners.submit_salesforce_visitors(LISTENER, ({"phoneNumber": PHONE},))) == 1
    assert mock.total() == 2


def test_submit_lendingtree_lead(client: botsplash.Client, mock: Mock) -> None:
    xml = "<Lead><FirstName>Ann</FirstName><Phone>7045550100</Phone></Lead>"
    response = client.listeners.submit_lendingtree_lead(LISTENER, xml)
    assert isinstance(response, botsplash.LendingTreeResponse)
    assert response.status == 200
    assert "<Status>Success</Status>" in response.xml
    [entry] = mock.requests()
    assert entry["operation"] == "submit_lendingtree_lead"
    assert entry["content_type"] == "application/xml"
    assert entry["body"] == xml


def test_send_message(client: botsplash.Client, mock: Mock) -> None:
    assert client.messages.send("Your appointment is at 3pm", {"client_visitor_id": "crm-1"}) is None
    assert client.messages.send(text="Hello", visitor={"phone_number": PHONE}) is None
    assert client.messages.send("No visitor") is None
    bodies = [e["body"] for e in mock.requests()]
    assert bodies == [
        {"text": "Your appointment is at 3pm", "visitor": {"clientVisitorId": "crm-1"}},
        {"text": "Hello", "visitor": {"phoneNumber": PHONE}},
        {"text": "No visitor"},
    ]
    assert all(e["operation"] == "send_message" for e in mock.requests())


def test_api_key_in_body(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, api_key_in="body")
    assert client.config.auth == "api_key_body"
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    client.messages.send("hi", {"phone_number": PHONE})
    # XML has no place for a key: LendingTree always uses the query string.
    client.listeners.submit_lendingtree_lead(LISTENER, "<Lead/>")
    assert [e["auth"] for e in mock.requests()] == ["api_key_body", "api_key_body", "api_key_query"]


def test_basic_auth(mock: Mock) -> None:
    client = botsplash.Client(app_id=APP_ID, username=USERNAME, password=PASSWORD, base_url=mock.url)
    assert client.config.auth == "basic"
    assert client.config.username == USERNAME
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert mock.requests()[0]["auth"] == "basic"


def test_options_are_applied(mock: Mock) -> None:
    client = botsplash.Client(
        app_id=APP_ID,
        api_key=API_KEY,
        base_url=mock.url + "/",
        timeout=12.5,
        connect_timeout=1.5,
        max_retries=0,
        retry_unknown_outcome=True,
        batch_size=7,
        bulk_concurrency=3,
    )
    c = client.config
    assert isinstance(c, botsplash.Config)
    assert (c.app_id, c.base_url, c.timeout, c.connect_timeout) == (APP_ID, mock.url, 12.5, 1.5)
    assert (c.max_retries, c.retry_unknown_outcome, c.batch_size, c.bulk_concurrency) == (0, True, 7, 3)
    assert c.user_agent.startswith("botsplash-sdk/0.1.0 (python; ")


def test_defaults() -> None:
    c = botsplash.Client(app_id="a", api_key="k").config
    assert c.base_url == "https://api.botsplash.com/open/v1"
    assert (c.timeout, c.connect_timeout, c.max_retries, c.retry_unknown_outcome) == (30.0, 5.0, 2, False)
    assert (c.batch_size, c.bulk_concurrency, c.auth) == (100, 4, "api_key_query")


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch, mock: Mock) -> None:
    monkeypatch.setenv("BOTSPLASH_APP_ID", APP_ID)
    monkeypatch.setenv("BOTSPLASH_USERNAME", USERNAME)
    monkeypatch.setenv("BOTSPLASH_PASSWORD", PASSWORD)
    monkeypatch.setenv("BOTSPLASH_BASE_URL", mock.url)
    monkeypatch.setenv("BOTSPLASH_TIMEOUT", "4.5")
    monkeypatch.setenv("BOTSPLASH_MAX_RETRIES", "1")
    client = botsplash.Client()
    assert (client.config.app_id, client.config.auth, client.config.timeout) == (APP_ID, "basic", 4.5)
    assert client.config.max_retries == 1
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert mock.requests()[0]["auth"] == "basic"
    # An explicit credential replaces the environment's credentials as a whole.
    explicit = botsplash.Client(api_key=API_KEY, max_retries=0)
    assert (explicit.config.auth, explicit.config.max_retries) == ("api_key_query", 0)
    monkeypatch.setenv("BOTSPLASH_API_KEY_IN", "body")
    monkeypatch.setenv("BOTSPLASH_API_KEY", API_KEY)
    monkeypatch.delenv("BOTSPLASH_USERNAME")
    monkeypatch.delenv("BOTSPLASH_PASSWORD")
    assert botsplash.Client().config.auth == "api_key_body"


def test_context_manager_and_close(options: Dict[str, Any], mock: Mock) -> None:
    with botsplash.Client(**options) as client:
        assert not client.closed
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        listeners = client.listeners
    assert client.closed
    with pytest.raises(botsplash.BotsplashError, match="closed") as info:
        listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert type(info.value) is botsplash.BotsplashError
    client.close()  # twice is harmless
    assert mock.total() == 1


def test_context_manager_does_not_swallow_exceptions(options: Dict[str, Any]) -> None:
    with pytest.raises(KeyError):
        with botsplash.Client(**options):
            raise KeyError("x")


def test_results_are_values() -> None:
    a = botsplash.ListenerResult(True, "id-1")
    assert a == botsplash.ListenerResult(True, "id-1") and a != botsplash.ListenerResult(False, "id-1")
    assert len({a, botsplash.ListenerResult(True, "id-1")}) == 1
    assert repr(a) == "ListenerResult(success=True, request_id='id-1')"
    assert pickle.loads(pickle.dumps(a)) == a
    lt = botsplash.LendingTreeResponse(200, "<x/>")
    assert repr(lt) == "LendingTreeResponse(status=200, xml='<x/>')"
    assert pickle.loads(pickle.dumps(lt)) == lt
    with pytest.raises(AttributeError):
        a.success = False  # type: ignore[misc]


SECRET_KEY = "sk-live-7d1c9f0e-DO-NOT-LEAK"
SECRET_PASSWORD = "pw-Hunter2-DO-NOT-LEAK"


def test_reprs_never_show_credentials(mock: Mock) -> None:
    key_client = botsplash.Client(app_id=APP_ID, api_key=SECRET_KEY, base_url=mock.url)
    basic_client = botsplash.Client(app_id=APP_ID, username=USERNAME, password=SECRET_PASSWORD, base_url=mock.url)
    async_client = botsplash.AsyncClient(app_id=APP_ID, api_key=SECRET_KEY, base_url=mock.url)
    assert repr(key_client) == f"Client(app_id='{APP_ID}', auth='api_key_query', base_url='{mock.url}')"
    assert repr(async_client) == f"AsyncClient(app_id='{APP_ID}', auth='api_key_query', base_url='{mock.url}')"
    texts = []
    for obj in (key_client, basic_client, async_client):
        for part in (obj, obj.config, obj.listeners, obj.messages):
            texts += [repr(part), str(part)]
    # Failed calls with the wrong credentials: the errors must not echo them either.
    for c in (key_client, basic_client):
        with pytest.raises(botsplash.AuthenticationError) as info:
            c.listeners.submit_visitor(LISTENER, phone_number=PHONE)
        texts += [repr(info.value), str(info.value), repr(info.value.__dict__)]
    # Config errors that involve a credential.
    for kwargs in (
        dict(app_id="a", api_key=SECRET_KEY, password=SECRET_PASSWORD),
        dict(app_id="a", base_url=f"https://user:{SECRET_PASSWORD}@api.example.com", api_key=SECRET_KEY),
        dict(app_id="a", username=f"user:{SECRET_PASSWORD}", password=SECRET_PASSWORD),
    ):
        with pytest.raises(botsplash.ConfigError) as config_info:
            botsplash.Client(**kwargs)  # type: ignore[arg-type]
        texts += [repr(config_info.value), str(config_info.value)]
    for text in texts:
        assert SECRET_KEY not in text and SECRET_PASSWORD not in text, text
    assert texts and all(text for text in texts)
