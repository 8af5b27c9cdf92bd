# Type stubs of the native module botsplash._native (built from bindings-python/src/).
import asyncio
from types import TracebackType
from typing import Any, Final, Iterable, List, Literal, Mapping, Optional, Type, final

from ._types import VisitorInput

__version__: Final[str]
#: The documented visitor fields, snake_case.
VISITOR_FIELDS: Final[List[str]]

@final
class ListenerResult:
    """One accepted visitor."""

    @property
    def success(self) -> bool: ...
    @property
    def request_id(self) -> str: ...
    def __init__(self, success: bool, request_id: str) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class LendingTreeResponse:
    """The LendingTree endpoint's answer: its HTTP status and its XML, as received."""

    @property
    def status(self) -> int: ...
    @property
    def xml(self) -> str: ...
    def __init__(self, status: int, xml: str) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Config:
    """A client's validated configuration (read-only, never shows a credential)."""

    @property
    def app_id(self) -> str: ...
    @property
    def auth(self) -> Literal["basic", "api_key_query", "api_key_body"]: ...
    @property
    def username(self) -> Optional[str]: ...
    @property
    def base_url(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def retry_unknown_outcome(self) -> bool: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def bulk_concurrency(self) -> int: ...
    @property
    def user_agent(self) -> str: ...

@final
class Listeners:
    """``client.listeners``: the listener endpoints."""

    def submit_visitor(
        self,
        listener_id: str,
        visitor: Optional[VisitorInput] = None,
        /,
        *,
        message: Optional[str] = None,
        **visitor_fields: Any,
    ) -> ListenerResult: ...
    def submit_salesforce_visitors(
        self,
        listener_id: str,
        visitors: Iterable[VisitorInput],
        *,
        message: Optional[str] = None,
    ) -> List[ListenerResult]: ...
    def submit_lendingtree_lead(self, listener_id: str, xml: str) -> LendingTreeResponse: ...

@final
class Messages:
    """``client.messages``: the message endpoint."""

    def send(self, text: str, visitor: Optional[VisitorInput] = None) -> None: ...

@final
class Client:
    """The Botsplash client (blocking). Share one between threads; it survives ``os.fork()``.

    Options not given fall back to the ``BOTSPLASH_*`` environment variables, then to the
    documented defaults. Timeouts are in seconds. ``api_key_in`` is ``"query"`` (default) or
    ``"body"``.
    """

    @property
    def listeners(self) -> Listeners: ...
    @property
    def messages(self) -> Messages: ...
    @property
    def config(self) -> Config: ...
    @property
    def closed(self) -> bool: ...
    def __init__(
        self,
        *,
        app_id: Optional[str] = None,
        api_key: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        api_key_in: Optional[Literal["query", "body"]] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_unknown_outcome: Optional[bool] = None,
        batch_size: Optional[int] = None,
        bulk_concurrency: Optional[int] = None,
    ) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class AsyncClient:
    """Native half of ``botsplash.AsyncClient`` (use that class instead)."""

    @property
    def config(self) -> Config: ...
    @property
    def closed(self) -> bool: ...
    def __init__(
        self,
        *,
        app_id: Optional[str] = None,
        api_key: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        api_key_in: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_unknown_outcome: Optional[bool] = None,
        batch_size: Optional[int] = None,
        bulk_concurrency: Optional[int] = None,
    ) -> None: ...
    def submit_visitor(
        self,
        listener_id: str,
        visitor: Optional[VisitorInput],
        message: Optional[str],
        visitor_fields: Optional[Mapping[str, Any]],
    ) -> asyncio.Future[ListenerResult]: ...
    def submit_salesforce_visitors(
        self, listener_id: str, visitors: Iterable[VisitorInput], message: Optional[str]
    ) -> asyncio.Future[List[ListenerResult]]: ...
    def submit_lendingtree_lead(self, listener_id: str, xml: str) -> asyncio.Future[LendingTreeResponse]: ...
    def send_message(self, text: str, visitor: Optional[VisitorInput]) -> asyncio.Future[None]: ...
    def close(self) -> None: ...

@final
class _Completer:
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

def _panic_for_testing(path: Literal["sync", "async"]) -> asyncio.Future[None]: ...
