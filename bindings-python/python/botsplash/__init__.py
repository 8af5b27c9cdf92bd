"""Botsplash Open API client: submit CRM visitors and leads to listeners (which start SMS/chat
engagements) and send direct messages.

    import botsplash

    client = botsplash.Client(app_id="my-app", api_key="...")   # or BOTSPLASH_* variables
    result = client.listeners.submit_visitor("new-leads", phone_number="+1 704 555 0100",
                                             first_name="Ann", message="Hi Ann!")
    print(result.request_id)

``botsplash.AsyncClient`` offers the same calls as coroutines. Every error derives from
``botsplash.BotsplashError``. Retries are safe by default: a request that may have reached
the server is never resent unless you pass ``retry_unknown_outcome=True`` (a resent lead can
text a person twice). Logs go to the ``logging`` logger ``"botsplash"``.
"""

from typing import TYPE_CHECKING, Any

from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BotsplashError,
    ConfigError,
    DecodeError,
    FieldError,
    NotFoundError,
    PartialBulkError,
    RateLimitError,
    ValidationError,
)
from ._native import (
    VISITOR_FIELDS,
    Client,
    Config,
    LendingTreeResponse,
    Listeners,
    ListenerResult,
    Messages,
    __version__,
)
from ._types import Visitor, VisitorInput

if TYPE_CHECKING:
    from ._async import AsyncClient, AsyncListeners, AsyncMessages

_ASYNC_NAMES = ("AsyncClient", "AsyncListeners", "AsyncMessages")


def __getattr__(name: str) -> Any:
    # The asyncio client is imported on first use (PEP 562): importing asyncio is most of
    # `import botsplash`'s start-up time, and synchronous programs never need it.
    if name in _ASYNC_NAMES:
        from . import _async

        value = getattr(_async, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Client",
    "AsyncClient",
    "Config",
    "Listeners",
    "Messages",
    "AsyncListeners",
    "AsyncMessages",
    "ListenerResult",
    "LendingTreeResponse",
    "Visitor",
    "VisitorInput",
    "VISITOR_FIELDS",
    "FieldError",
    "BotsplashError",
    "ConfigError",
    "ValidationError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "APIError",
    "APITimeoutError",
    "APIConnectionError",
    "DecodeError",
    "PartialBulkError",
    "__version__",
]


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_ASYNC_NAMES))
