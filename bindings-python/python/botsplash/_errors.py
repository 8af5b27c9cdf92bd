"""The exceptions of the Botsplash SDK (DESIGN.md's error kinds, one class each).

Every class derives from :class:`BotsplashError`, so ``except botsplash.BotsplashError``
catches everything the SDK raises for a failed call. The classes are plain Python (the native
module only fills them in), so they pickle, which multiprocessing needs to send them between
processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Type

if TYPE_CHECKING:
    from ._native import ListenerResult

__all__ = [
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
]


class FieldError(NamedTuple):
    """One invalid input field: where it is (``visitors[3].tzName``) and what is wrong."""

    path: str
    message: str


class BotsplashError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: what went wrong (never contains a credential).
        status: the HTTP status of the answer, if there was one.
        request_id: the server's ``x-request-id`` for the failing answer, if any.
        retries: how many retries were made before giving up.
        outcome_unknown: True when the request may have reached the server and been
            processed. Do not blindly resend a lead then: the person may already have been
            texted.
        field_errors: for validation errors, every invalid field with its path.
    """

    #: The error kind's name shared by every language of the SDK (``"rate_limited"``).
    kind: str = "error"

    message: str
    status: Optional[int]
    request_id: Optional[str]
    retries: int
    outcome_unknown: bool
    field_errors: List[FieldError]

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retries: int = 0,
        outcome_unknown: bool = False,
        field_errors: Iterable[Tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retries = retries
        self.outcome_unknown = outcome_unknown
        self.field_errors = [FieldError(path, msg) for path, msg in field_errors]

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.request_id is not None:
            parts.append(f"request_id={self.request_id!r}")
        if self.retries:
            parts.append(f"retries={self.retries}")
        if self.outcome_unknown:
            parts.append("outcome_unknown=True")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Rebuild from the message, then restore every attribute: subclasses add their own
        # attributes, and Exception's default pickling would only replay the message.
        return (type(self), (self.message,), self.__dict__.copy())


class ConfigError(BotsplashError):
    """Bad client options (raised when the client is built, not at the first call)."""

    kind = "config"


class ValidationError(BotsplashError):
    """Bad input, caught before anything was sent; ``field_errors`` lists every problem."""

    kind = "validation"


class AuthenticationError(BotsplashError):
    """HTTP 401 or 403: the app id, API key or username/password were refused."""

    kind = "authentication"


class NotFoundError(BotsplashError):
    """HTTP 404: unknown app or listener."""

    kind = "not_found"


class RateLimitError(BotsplashError):
    """HTTP 429 that the retries did not get past (or that asked to wait more than 60 s).

    Attributes:
        retry_after: how long the server asked to wait, in seconds, if it said.
    """

    kind = "rate_limited"

    retry_after: Optional[float]

    def __init__(self, message: str = "", *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class APIError(BotsplashError):
    """Any other non-2xx answer; the message includes what the server said."""

    kind = "api"


class APITimeoutError(BotsplashError):
    """No answer in time (see ``outcome_unknown``: the request may have been processed)."""

    kind = "timeout"


class APIConnectionError(BotsplashError):
    """Could not connect, or the connection was lost."""

    kind = "connection"


class DecodeError(BotsplashError):
    """The answer is not what the API documentation promises."""

    kind = "decode"


class PartialBulkError(BotsplashError):
    """A bulk submission where some batches were accepted and another failed.

    Attributes:
        results: one slot per input visitor, in input order: the result where the server
            confirmed the visitor, ``None`` where it did not.
        unconfirmed: the indices of the ``None`` slots. Resend only those, and only after
            checking ``outcome_unknown`` (the failed batch may have arrived).
        cause: the kind of the batch failure that stopped the submission (``"rate_limited"``,
            ``"api"``, ...: the ``kind`` of the matching exception class).
    """

    kind = "partial_bulk"

    results: List[Optional["ListenerResult"]]
    unconfirmed: List[int]
    cause: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        results: Sequence[Optional["ListenerResult"]] = (),
        unconfirmed: Sequence[int] = (),
        cause: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.results = list(results)
        self.unconfirmed = list(unconfirmed)
        self.cause = cause


_CLASSES: Dict[str, Type[BotsplashError]] = {
    cls.__name__: cls
    for cls in (
        BotsplashError,
        ConfigError,
        ValidationError,
        AuthenticationError,
        NotFoundError,
        RateLimitError,
        APIError,
        APITimeoutError,
        APIConnectionError,
        DecodeError,
        PartialBulkError,
    )
}


def _from_native(
    class_name: str,
    message: str,
    status: Optional[int],
    request_id: Optional[str],
    retries: int,
    outcome_unknown: bool,
    retry_after: Optional[float],
    field_errors: List[Tuple[str, str]],
    results: Optional[List[Optional["ListenerResult"]]],
    unconfirmed: Optional[List[int]],
    cause: Optional[str],
) -> BotsplashError:
    """Builds the exception for an error of the native core (called from Rust only)."""
    cls = _CLASSES.get(class_name, BotsplashError)
    common: Dict[str, Any] = dict(
        status=status,
        request_id=request_id,
        retries=retries,
        outcome_unknown=outcome_unknown,
        field_errors=field_errors,
    )
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **common)
    if cls is PartialBulkError:
        return PartialBulkError(
            message, results=results or [], unconfirmed=unconfirmed or [], cause=cause, **common
        )
    return cls(message, **common)
