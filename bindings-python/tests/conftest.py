"""Fixtures: one `botsplash-mock` process for the session (port 0, URL read from its first
line), its ledger and fault queue emptied before every test."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import botsplash

REPO = Path(__file__).resolve().parents[2]
APP_ID = "demo-app"
API_KEY = "demo-key"
USERNAME = "demo"
PASSWORD = "demo-password"
LISTENER = "leads"
PHONE = "+1 704 555 0100"


def mock_binary() -> Path:
    configured = os.environ.get("BOTSPLASH_MOCK_BIN")
    return Path(configured) if configured else REPO / "target" / "debug" / "botsplash-mock"


class Mock:
    """The running mock server and its control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def ledger(self) -> Dict[str, Any]:
        return self._call("GET", "/__mock/requests")  # type: ignore[no-any-return]

    def requests(self) -> List[Dict[str, Any]]:
        return self.ledger()["requests"]  # type: ignore[no-any-return]

    def total(self) -> int:
        return int(self.ledger()["total"])

    def reset(self) -> None:
        self._call("DELETE", "/__mock/faults")
        self._call("DELETE", "/__mock/requests")

    def fault(self, **fault: Any) -> None:
        self._call("POST", "/__mock/faults", fault)

    def faults(self, *faults: Dict[str, Any]) -> None:
        self._call("POST", "/__mock/faults", {"faults": list(faults)})


@contextlib.contextmanager
def running_mock(*args: str) -> Iterator[Mock]:
    """A `botsplash-mock` process on a free port, stopped on exit."""
    binary = mock_binary()
    if not binary.exists():
        pytest.fail(f"{binary} not found: run `cargo build -p botsplash-mock` or set BOTSPLASH_MOCK_BIN")
    process = subprocess.Popen(
        [str(binary), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        prefix = "listening on "
        if not first.startswith(prefix):
            pytest.fail(f"unexpected first line from botsplash-mock: {first!r}")
        yield Mock(first[len(prefix):])
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def mock() -> Iterator[Mock]:
    """The mock for most tests; it knows two listeners, so others get 404."""
    with running_mock("--listener", LISTENER, "--listener", "other") as m:
        yield m


@pytest.fixture(autouse=True)
def clean_mock(mock: Mock) -> None:
    mock.reset()


@pytest.fixture(autouse=True)
def no_botsplash_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests say exactly which options they use; a developer's BOTSPLASH_* must not leak in."""
    for name in list(os.environ):
        if name.startswith("BOTSPLASH_") and name != "BOTSPLASH_MOCK_BIN":
            monkeypatch.delenv(name)


@pytest.fixture
def options(mock: Mock) -> Dict[str, Any]:
    """Client options for the mock (API key in the query string)."""
    return {"app_id": APP_ID, "api_key": API_KEY, "base_url": mock.url, "timeout": 10.0}


@pytest.fixture
def client(options: Dict[str, Any]) -> Iterator[botsplash.Client]:
    with botsplash.Client(**options) as c:
        yield c


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
