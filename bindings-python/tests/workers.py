"""Functions run in child processes by test_fork.py (importable by name, as `spawn` needs)."""

from __future__ import annotations

from typing import Any, Dict, Optional

import botsplash

PHONE = "+1 704 555 0100"

#: Set by the parent before forking; inherited by `fork` children, rebuilt by `spawn` children.
CLIENT: Optional[botsplash.Client] = None


def submit_with_inherited_client(listener_id: str) -> str:
    assert CLIENT is not None
    return CLIENT.listeners.submit_visitor(listener_id, phone_number=PHONE).request_id


def submit_with_new_client(options: Dict[str, Any], listener_id: str) -> str:
    with botsplash.Client(**options) as client:
        return client.listeners.submit_visitor(listener_id, phone_number=PHONE).request_id


def fail_with_not_found(options: Dict[str, Any]) -> None:
    botsplash.Client(**options).listeners.submit_visitor("no-such-listener", phone_number=PHONE)
