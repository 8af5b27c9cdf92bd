"""``botsplash.AsyncClient``: the asyncio client.

Every operation is a coroutine. The request itself runs on the SDK's own I/O threads (never
blocking the event loop); cancelling the awaiting task aborts the HTTP request.
"""

from __future__ import annotations

import asyncio
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Type

from . import _native

if TYPE_CHECKING:
    from ._native import Config, LendingTreeResponse, ListenerResult
    from ._types import VisitorInput

__all__ = ["AsyncClient", "AsyncListeners", "AsyncMessages"]


# One completer per event loop: it owns the socket through which the SDK's I/O threads wake
# the loop when requests finish. Keyed weakly, so it goes (and closes its sockets) with the loop.
_completers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _native._Completer]" = weakref.WeakKeyDictionary()
_completers_unweakable: Dict[asyncio.AbstractEventLoop, _native._Completer] = {}


def _completer(loop: asyncio.AbstractEventLoop) -> _native._Completer:
    """The loop's completer, registered with the loop on first use (called from Rust)."""
    completer = _completers.get(loop) or _completers_unweakable.get(loop)
    if completer is None:
        completer = _native._Completer()
        loop.add_reader(completer.fileno(), completer.drain)
        try:
            _completers[loop] = completer
        except TypeError:  # a loop type without weak references
            _completers_unweakable[loop] = completer
    return completer


class AsyncListeners:
    """``client.listeners``: the listener endpoints (awaitables)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.AsyncClient) -> None:
        self._native = native

    async def submit_visitor(
        self,
        listener_id: str,
        visitor: Optional[VisitorInput] = None,
        /,
        *,
        message: Optional[str] = None,
        **visitor_fields: Any,
    ) -> ListenerResult:
        """Submits one visitor to a listener, which starts an engagement."""
        result: ListenerResult = await self._native.submit_visitor(listener_id, visitor, message, visitor_fields)
        return result

    async def submit_salesforce_visitors(
        self,
        listener_id: str,
        visitors: Iterable[VisitorInput],
        *,
        message: Optional[str] = None,
    ) -> List[ListenerResult]:
        """Submits many visitors in batches; results come back in input order."""
        results: List[ListenerResult] = await self._native.submit_salesforce_visitors(listener_id, visitors, message)
        return results

    async def submit_lendingtree_lead(self, listener_id: str, xml: str) -> LendingTreeResponse:
        """Submits a LendingTree lead as XML; returns the XML answer."""
        response: LendingTreeResponse = await self._native.submit_lendingtree_lead(listener_id, xml)
        return response

    def __repr__(self) -> str:
        return f"<AsyncListeners of {self._native!r}>"


class AsyncMessages:
    """``client.messages``: the message endpoint (awaitable)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.AsyncClient) -> None:
        self._native = native

    async def send(self, text: str, visitor: Optional[VisitorInput] = None) -> None:
        """Sends a direct message; ``visitor`` needs a ``client_visitor_id`` or ``phone_number``."""
        await self._native.send_message(text, visitor)

    def __repr__(self) -> str:
        return f"<AsyncMessages of {self._native!r}>"


class AsyncClient:
    """The Botsplash client for asyncio. Takes the same options as :class:`botsplash.Client`.

    Use one client for the whole program (it holds the connection pool)::

        async with botsplash.AsyncClient(app_id="my-app", api_key="...") as client:
            result = await client.listeners.submit_visitor("new-leads", phone_number="+1 704 555 0100")
    """

    __slots__ = ("_native", "listeners", "messages")

    listeners: AsyncListeners
    messages: AsyncMessages

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
    ) -> None:
        self._native = _native.AsyncClient(
            app_id=app_id,
            api_key=api_key,
            username=username,
            password=password,
            api_key_in=api_key_in,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_unknown_outcome=retry_unknown_outcome,
            batch_size=batch_size,
            bulk_concurrency=bulk_concurrency,
        )
        self.listeners = AsyncListeners(self._native)
        self.messages = AsyncMessages(self._native)

    @property
    def config(self) -> Config:
        """The validated configuration (no credentials)."""
        return self._native.config

    @property
    def closed(self) -> bool:
        return self._native.closed

    async def close(self) -> None:
        """Releases the connection pool; later calls raise ``BotsplashError``."""
        self._native.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return repr(self._native)
