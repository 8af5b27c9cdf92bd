"""Every exception class, raised by a real failure against the mock, with its attributes."""

from __future__ import annotations

import pickle
from typing import Any, Dict, List, Type

import pytest

import botsplash
from conftest import API_KEY, APP_ID, LISTENER, PHONE, Mock, closed_port

ALL_CLASSES: List[Type[botsplash.BotsplashError]] = [
    botsplash.ConfigError,
    botsplash.ValidationError,
    botsplash.AuthenticationError,
    botsplash.NotFoundError,
    botsplash.RateLimitError,
    botsplash.APIError,
    botsplash.APITimeoutError,
    botsplash.APIConnectionError,
    botsplash.DecodeError,
    botsplash.PartialBulkError,
]


def test_hierarchy_and_kinds() -> None:
    assert issubclass(botsplash.BotsplashError, Exception)
    kinds = [cls.kind for cls in ALL_CLASSES]
    assert kinds == [
        "config", "validation", "authentication", "not_found", "rate_limited",
        "api", "timeout", "connection", "decode", "partial_bulk",
    ]
    for cls in ALL_CLASSES:
        assert issubclass(cls, botsplash.BotsplashError)
        assert cls.__module__ == "botsplash._errors"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(api_key="k"), "app_id is required"),
        (dict(app_id="a"), "credentials are required"),
        (dict(app_id="a", api_key="k", username="u", password="p"), "not both"),
        (dict(app_id="a", username="u"), "needs a password"),
        (dict(app_id="a", api_key="k", api_key_in="header"), "api_key_in must be 'query' or 'body'"),
        (dict(app_id="a", api_key="k", base_url="http://api.example.com"), "non-loopback"),
        (dict(app_id="a", api_key="k", base_url="not a url"), "not a valid URL"),
        (dict(app_id="a", api_key="k", timeout=0), "timeout must be"),
        (dict(app_id="a", api_key="k", timeout=-1.0), "timeout must be a positive number of seconds"),
        (dict(app_id="a", api_key="k", connect_timeout=float("nan")), "connect_timeout must be a positive"),
        (dict(app_id="a", api_key="k", timeout=1e300), "timeout"),
        (dict(app_id="a", api_key="k", max_retries=11), "max_retries must be at most 10"),
        (dict(app_id="a", api_key="k", max_retries=-1), "max_retries must not be negative"),
        (dict(app_id="a", api_key="k", max_retries=2**70), "max_retries must be at most 10"),
        (dict(app_id="a", api_key="k", batch_size=0), "batch_size"),
        (dict(app_id="a", api_key="k", bulk_concurrency=65), "bulk_concurrency"),
        (dict(app_id="a/b", api_key="k"), "app_id"),
    ],
)
def test_config_error(kwargs: Dict[str, Any], expected: str) -> None:
    for cls in (botsplash.Client, botsplash.AsyncClient):
        try:
            cls(**kwargs)
        except botsplash.ConfigError as e:
            assert expected in str(e), str(e)
            assert (e.status, e.retries, e.outcome_unknown, e.field_errors) == (None, 0, False, [])
            continue
        pytest.fail(f"{cls.__name__}({kwargs}) did not fail")


def test_config_error_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTSPLASH_MAX_RETRIES", "lots")
    with pytest.raises(botsplash.ConfigError, match="BOTSPLASH_MAX_RETRIES"):
        botsplash.Client(app_id="a", api_key="k")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(app_id=123), "app_id must be a str, not int"),
        (dict(api_key=b"k"), "api_key must be a str, not bytes"),
        (dict(password=["p"]), "password must be a str, not list"),
        (dict(api_key_in=1), "api_key_in must be a str, not int"),
        (dict(timeout="soon"), "timeout must be a number of seconds (int or float), not str"),
        (dict(connect_timeout=True), "connect_timeout must be a number of seconds (int or float), not bool"),
        (dict(max_retries=1.5), "max_retries must be an int, not float"),
        (dict(max_retries=True), "max_retries must be an int, not bool"),
        (dict(batch_size="10"), "batch_size must be an int, not str"),
        (dict(retry_unknown_outcome=1), "retry_unknown_outcome must be a bool, not int"),
    ],
)
def test_wrong_option_types_are_type_errors(kwargs: Dict[str, Any], message: str) -> None:
    for cls in (botsplash.Client, botsplash.AsyncClient):
        with pytest.raises(TypeError) as info:
            cls(**{"app_id": "a", "api_key": "k", **kwargs})
        assert str(info.value) == message


def test_wrong_call_shapes_are_type_errors() -> None:
    with pytest.raises(TypeError):
        botsplash.Client("a", "k")  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected"):
        botsplash.Client(app_id="a", api_key="k", retries=3)  # type: ignore[call-arg]


def test_authentication_error(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**{**options, "api_key": "wrong-key"})
    with pytest.raises(botsplash.AuthenticationError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    e = info.value
    assert e.status == 401 and e.request_id and e.retries == 0 and not e.outcome_unknown
    assert "wrong-key" not in str(e)
    assert mock.total() == 1


def test_not_found_error(options: Dict[str, Any], client: botsplash.Client, mock: Mock) -> None:
    with pytest.raises(botsplash.NotFoundError, match="listener") as info:
        client.listeners.submit_visitor("unknown-listener", phone_number=PHONE)
    assert info.value.status == 404
    other_app = botsplash.Client(**{**options, "app_id": "other-app"})
    with pytest.raises(botsplash.NotFoundError, match="app"):
        other_app.messages.send("hi")
    assert mock.total() == 2


def test_rate_limit_error_with_long_retry_after(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="status", status=429, retry_after="120")
    with pytest.raises(botsplash.RateLimitError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    e = info.value
    assert e.status == 429 and e.retry_after == 120.0 and e.retries == 0 and not e.outcome_unknown
    # Waiting two minutes is the caller's decision: sent exactly once.
    assert mock.total() == 1


def test_api_error(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="status", status=422, body='{"message": "listener is paused"}')
    with pytest.raises(botsplash.APIError, match="listener is paused") as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert info.value.status == 422 and not info.value.outcome_unknown and info.value.request_id
    mock.fault(action="status", status=500)
    with pytest.raises(botsplash.APIError) as info:
        client.messages.send("hi")
    assert info.value.status == 500 and info.value.outcome_unknown
    assert mock.total() == 2


def test_lendingtree_api_error_reads_the_xml_body(client: botsplash.Client, mock: Mock) -> None:
    with pytest.raises(botsplash.NotFoundError) as info:
        client.listeners.submit_lendingtree_lead("unknown-listener", "<Lead/>")
    assert "unknown-listener" in str(info.value)


def test_timeout_error(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**{**options, "timeout": 0.3})
    mock.fault(action="delay", delay_ms=1500)
    with pytest.raises(botsplash.APITimeoutError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert info.value.outcome_unknown and info.value.status is None
    assert mock.total() == 1


def test_connection_error_when_nothing_listens(options: Dict[str, Any]) -> None:
    client = botsplash.Client(**{**options, "base_url": f"http://127.0.0.1:{closed_port()}", "max_retries": 0})
    with pytest.raises(botsplash.APIConnectionError, match="could not connect") as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert not info.value.outcome_unknown and info.value.retries == 0


def test_connection_error_after_the_request_was_read(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="drop_after_read")
    with pytest.raises(botsplash.APIConnectionError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert info.value.outcome_unknown
    assert mock.total() == 1


def test_decode_error(client: botsplash.Client, mock: Mock) -> None:
    mock.fault(action="malformed_json")
    with pytest.raises(botsplash.DecodeError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert info.value.status == 200 and info.value.outcome_unknown and info.value.request_id


def test_partial_bulk_error(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.Client(**options, batch_size=1, bulk_concurrency=1)
    # The first batch passes (a zero delay), the second is refused; no third batch starts.
    mock.faults(
        {"operation": "submit_salesforce_visitors", "action": "delay", "delay_ms": 0},
        {"operation": "submit_salesforce_visitors", "action": "status", "status": 400},
    )
    with pytest.raises(botsplash.PartialBulkError) as info:
        client.listeners.submit_salesforce_visitors(LISTENER, [{"phone_number": PHONE}] * 3)
    e = info.value
    assert e.cause == "api" and e.status == 400 and not e.outcome_unknown
    assert e.unconfirmed == [1, 2]
    assert isinstance(e.results[0], botsplash.ListenerResult) and e.results[1:] == [None, None]
    assert "1 of 3 visitors accepted" in str(e)
    assert mock.total() == 2
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is botsplash.PartialBulkError
    assert (copy.results, copy.unconfirmed, copy.cause, copy.status) == (e.results, e.unconfirmed, "api", 400)


def test_validation_error_attributes(client: botsplash.Client) -> None:
    with pytest.raises(botsplash.ValidationError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number="12", state="XX")
    e = info.value
    assert e.field_errors == [
        botsplash.FieldError("visitor.phoneNumber", "must have 10 to 15 digits, found 2"),
        botsplash.FieldError("visitor.state", '"XX" is not a US state, DC or territory code'),
    ]
    assert e.field_errors[0].path == "visitor.phoneNumber"
    assert (e.status, e.request_id, e.retries, e.outcome_unknown) == (None, None, 0, False)
    assert str(e).startswith("invalid input, nothing was sent: ")
    assert repr(e).startswith("ValidationError('invalid input")


def test_every_class_pickles_with_its_attributes() -> None:
    for cls in ALL_CLASSES:
        extra: Dict[str, Any] = {}
        if cls is botsplash.RateLimitError:
            extra = {"retry_after": 2.5}
        if cls is botsplash.PartialBulkError:
            extra = {"results": [botsplash.ListenerResult(True, "r"), None], "unconfirmed": [1], "cause": "timeout"}
        e = cls(
            "boom", status=503, request_id="rid", retries=2, outcome_unknown=True,
            field_errors=[("visitor.x", "bad")], **extra,
        )
        copy = pickle.loads(pickle.dumps(e))
        assert type(copy) is cls and str(copy) == "boom" and copy.args == ("boom",)
        assert copy.__dict__ == e.__dict__
        assert copy.field_errors == [botsplash.FieldError("visitor.x", "bad")]
        assert repr(copy) == f"{cls.__name__}('boom', status=503, request_id='rid', retries=2, outcome_unknown=True)"


def test_raised_errors_are_plain_exceptions(client: botsplash.Client) -> None:
    """`except Exception` catches everything, and nothing is a PanicException."""
    try:
        client.listeners.submit_visitor("", phone_number="x")
    except Exception as e:  # noqa: BLE001 - the point of the test
        assert isinstance(e, botsplash.ValidationError)
        assert [f.path for f in e.field_errors] == ["listenerId", "visitor.phoneNumber"]


def test_api_key_is_scrubbed_from_server_messages(options: Dict[str, Any], mock: Mock) -> None:
    mock.fault(action="status", status=400, body='{"message": "bad key %s"}' % API_KEY)
    client = botsplash.Client(**options)
    with pytest.raises(botsplash.APIError) as info:
        client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
    assert APP_ID  # the app id is not a secret
