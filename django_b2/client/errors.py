"""Exceptions raised by the B2 client.

::

    B2Error                      .retryable (class attribute)
    ├─ B2TransportError          no response; cause chained; retryable; .may_have_reached
    │  ├─ B2ConnectionError
    │  └─ B2TimeoutError
    ├─ B2APIError                .status .code .message .retry_after, all in __str__
    │  ├─ B2BadRequest 400
    │  ├─ B2Unauthorized 401
    │  │  └─ B2AuthTokenExpired  bad_auth_token / expired_auth_token: reauthorize once
    │  ├─ B2Forbidden 403 (+ access_denied)
    │  │  └─ B2CapExceeded       transaction/storage/download cap
    │  ├─ B2NotFound 404 (+ 400 no_such_file / file_not_present)
    │  ├─ B2Conflict 409
    │  ├─ B2RangeNotSatisfiable 416
    │  ├─ B2TooManyRequests 429  retryable
    │  └─ B2ServiceError 408/5xx retryable; uploads get a new URL
    ├─ B2IntegrityError          length/SHA-1 mismatch
    └─ B2ValidationError         (also a ValueError) bad input caught before any request

:func:`error_from_response` picks the class from a ``(status, code)`` table, then from the status
alone; it never looks at the message text. Every exception pickles and unpickles intact.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "B2APIError",
    "B2AuthTokenExpired",
    "B2BadRequest",
    "B2CapExceeded",
    "B2Conflict",
    "B2ConnectionError",
    "B2Error",
    "B2Forbidden",
    "B2IntegrityError",
    "B2NotFound",
    "B2RangeNotSatisfiable",
    "B2ServiceError",
    "B2TimeoutError",
    "B2TooManyRequests",
    "B2TransportError",
    "B2Unauthorized",
    "B2ValidationError",
    "error_from_response",
]


class B2Error(Exception):
    """Base class of every error the client raises."""

    retryable: bool = False


class B2TransportError(B2Error):
    """No HTTP response arrived (the ``requests`` exception is the ``__cause__``, except for
    ``b2_authorize_account``: its request carries the application key, so nothing is chained).

    ``may_have_reached`` is False only when no connection could be made (refused, name not
    resolved, connect timeout): then B2 cannot have acted on the request. Otherwise the request
    may have been received and carried out, and only the answer was lost.
    """

    retryable = True
    may_have_reached: bool = True


class B2ConnectionError(B2TransportError):
    """The connection could not be made or broke off."""


class B2TimeoutError(B2TransportError):
    """Connecting or waiting for the response took longer than the timeout."""


class B2IntegrityError(B2Error):
    """The received data does not match its announced length or SHA-1."""


class B2ValidationError(B2Error, ValueError):
    """An argument was rejected before any request was sent; the message says what to change."""


class B2APIError(B2Error):
    """B2 answered with an error status.

    ``status`` is the HTTP status, ``code`` B2's short error code (``""`` when the response had
    no body, e.g. for ``HEAD``), ``message`` B2's human-readable text and ``retry_after`` the
    ``Retry-After`` header in seconds, if any.
    """

    def __init__(
        self, status: int, code: str, message: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status} {self.code or '(no code)'}: {self.message or '(no message)'}"
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, retry_after={self.retry_after!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status, self.code, self.message, self.retry_after))


class B2BadRequest(B2APIError):
    """400: the request was malformed or not allowed in this state; fix it, do not retry."""


class B2Unauthorized(B2APIError):
    """401: bad credentials, or the key lacks the capability/bucket/prefix for this call."""


class B2AuthTokenExpired(B2Unauthorized):
    """401 ``expired_auth_token`` / ``bad_auth_token``: the client re-authorizes once."""


class B2Forbidden(B2APIError):
    """403 (and ``access_denied``): not permitted, e.g. Object Lock or a wrong SSE-C key."""


class B2CapExceeded(B2Forbidden):
    """403 ``*_cap_exceeded``: an account cap was reached; raise the cap in the B2 console."""


class B2NotFound(B2APIError):
    """404, and 400 ``no_such_file`` / ``file_not_present``: the file or bucket does not exist."""


class B2Conflict(B2APIError):
    """409: e.g. ``update_bucket`` with a stale ``if_revision_is``."""


class B2RangeNotSatisfiable(B2APIError):
    """416: the requested range starts at or after the end of the file."""


class B2TooManyRequests(B2APIError):
    """429: rate limited; retried after ``Retry-After``."""

    retryable = True


class B2ServiceError(B2APIError):
    """408 or 5xx: a transient service failure; retried with backoff."""

    retryable = True


_BY_STATUS_AND_CODE: dict[tuple[int, str], type[B2APIError]] = {
    (400, "no_such_file"): B2NotFound,
    (400, "file_not_present"): B2NotFound,
    (401, "bad_auth_token"): B2AuthTokenExpired,
    (401, "expired_auth_token"): B2AuthTokenExpired,
    (401, "access_denied"): B2Forbidden,
    (403, "transaction_cap_exceeded"): B2CapExceeded,
    (403, "storage_cap_exceeded"): B2CapExceeded,
    (403, "download_cap_exceeded"): B2CapExceeded,
    (403, "cap_exceeded"): B2CapExceeded,
}

_BY_STATUS: dict[int, type[B2APIError]] = {
    400: B2BadRequest,
    401: B2Unauthorized,
    403: B2Forbidden,
    404: B2NotFound,
    408: B2ServiceError,
    409: B2Conflict,
    416: B2RangeNotSatisfiable,
    429: B2TooManyRequests,
}


def error_class_for(status: int, code: str) -> type[B2APIError]:
    """The exception class for an error response with this status and code."""
    cls = _BY_STATUS_AND_CODE.get((status, code)) or _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if 500 <= status <= 599:
        return B2ServiceError
    return B2APIError


def error_from_response(
    status: int, code: str, message: str, retry_after: float | None = None
) -> B2APIError:
    """Build the exception for an error response (dispatch on ``(status, code)`` only)."""
    return error_class_for(status, code)(status, code, message, retry_after)
