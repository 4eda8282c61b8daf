"""HTTP plumbing: sessions, headers, timeouts, options, and ``requests`` errors as B2 errors.

One ``requests.Session`` per thread, default headers and timeouts, option merging, and the single
place where ``requests`` errors become B2 errors.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from .. import DISTRIBUTION, __version__
from .errors import (
    B2APIError,
    B2ConnectionError,
    B2ServiceError,
    B2TimeoutError,
    B2TransportError,
    error_from_response,
)

__all__ = ["HttpOptions", "Transport", "map_request_exception", "merge_http_options"]

HttpOptions = Mapping[str, Any]

Timeout = float | tuple[float, float]

SEND_BLOCK_SIZE = 1 << 20


class _BigBlockAdapter(HTTPAdapter):
    """An adapter whose connections send file-like bodies in 1 MiB blocks.

    urllib3 reads and ``sendall``s a file body ``blocksize`` bytes at a time (16 KiB by default);
    for uploads of many MiB that is ~64 Python-level round trips per MiB. 1 MiB blocks cost
    ~0.25 s less CPU per GiB sent (BENCHMARKS.md) and hold at most 1 MiB more per connection.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blocksize", SEND_BLOCK_SIZE)
        super().init_poolmanager(*args, **kwargs)


def map_request_exception(exc: requests.RequestException) -> B2TransportError:
    """The B2 error for a ``requests`` failure (raise it ``from exc``)."""
    error: B2TransportError
    if isinstance(exc, requests.Timeout):
        error = B2TimeoutError(f"B2 request timed out: {exc}")
    else:
        error = B2ConnectionError(f"B2 request failed without a response: {exc}")
    error.may_have_reached = not _never_connected(exc)
    return error


def _never_connected(exc: requests.RequestException) -> bool:
    """True when no connection was made, so the request cannot have reached B2."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        # requests wraps urllib3's MaxRetryError, whose ``reason`` is the connect failure
        # (NewConnectionError covers refused connections and names that do not resolve).
        return isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return False


def merge_http_options(base: dict[str, Any], extra: HttpOptions | None) -> dict[str, Any]:
    """``base`` updated with ``extra``; ``headers`` are merged key by key, not replaced."""
    if not extra:
        return base
    merged = dict(base)
    for key, value in extra.items():
        if key == "headers" and value is not None:
            headers = dict(merged.get("headers") or {})
            headers.update(value)
            merged["headers"] = headers
        else:
            merged[key] = value
    return merged


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def user_agent(comment: str | None = None) -> str:
    agent = f"{DISTRIBUTION}/{__version__} python-requests/{requests.__version__}"
    return f"{agent} {comment}" if comment else agent


class Transport:
    """Sends requests for one client. Thread-safe: each thread gets its own ``Session``
    (unless the caller supplied one, which is then shared as given)."""

    def __init__(
        self,
        *,
        session: requests.Session | None,
        timeout: Timeout,
        proxies: Mapping[str, str] | None,
        verify: bool | str,
        headers: Mapping[str, str] | None,
        pool_size: int,
        http_options: HttpOptions | None,
        user_agent_comment: str | None,
        test_mode: str | None,
    ) -> None:
        # No defaults here: ``B2Client``'s constructor declares them (and passes every one).
        self._shared_session = session
        self._pool_size = pool_size
        self._local = threading.local()
        self._owned: list[requests.Session] = []
        self._owned_lock = threading.Lock()
        default_headers = {"User-Agent": user_agent(user_agent_comment)}
        if test_mode:
            default_headers["X-Bz-Test-Mode"] = test_mode
        default_headers.update(headers or {})
        base: dict[str, Any] = {"timeout": timeout, "headers": default_headers}
        if session is None:
            base["verify"] = verify
            if proxies is not None:
                base["proxies"] = dict(proxies)
        self._base = merge_http_options(base, http_options)

    def session(self) -> requests.Session:
        """This thread's session."""
        if self._shared_session is not None:
            return self._shared_session
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = _BigBlockAdapter(
                pool_connections=self._pool_size, pool_maxsize=self._pool_size
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._local.session = session
            with self._owned_lock:
                self._owned.append(session)
        return session

    def close(self) -> None:
        """Close the sessions this transport created (a caller's session is left open)."""
        with self._owned_lock:
            sessions, self._owned = self._owned, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def build_kwargs(
        self,
        headers: Mapping[str, str] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        **call: Any,
    ) -> dict[str, Any]:
        """requests kwargs: defaults, then the call's own, then ``http``, then ``http_override``."""
        kwargs = merge_http_options(self._base, {"headers": headers or {}, **call})
        kwargs = merge_http_options(kwargs, http)
        if http_override:
            kwargs.update(http_override)
        return kwargs

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        secret_headers: bool = False,
        **call: Any,
    ) -> requests.Response:
        """Send one request; a non-2xx answer raises the matching :class:`B2APIError`.

        ``secret_headers=True`` (a request carrying the application key): an error without a
        response is raised with no ``__cause__`` or ``__context__``, because the frames of the
        ``requests``/``urllib3`` error hold the request's headers in local variables, which
        tracebacks and Django's debug page show.
        """
        kwargs = self.build_kwargs(headers, http, http_override, **call)
        failure: B2TransportError | None = None
        try:
            response = self.session().request(method, url, **kwargs)
        except requests.RequestException as exc:
            if not secret_headers:
                raise map_request_exception(exc) from exc
            failure = map_request_exception(exc)
        if failure is not None:
            raise failure  # outside the except block: nothing chained to it
        if not 200 <= response.status_code < 300:
            raise error_for_response(response)
        return response

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """:meth:`request` (same keyword arguments) and return the decoded JSON body."""
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise B2ServiceError(
                response.status_code, "invalid_response", f"the response is not JSON: {exc}"
            ) from exc


def error_for_response(response: requests.Response) -> B2APIError:
    """Parse a B2 error response (body may be empty, e.g. for ``HEAD``) and close it."""
    code = message = ""
    try:
        body = response.json() if response.content else None
    except (ValueError, requests.RequestException):
        body = None
    finally:
        response.close()
    if isinstance(body, dict):
        code = str(body.get("code") or "")
        message = str(body.get("message") or "")
    if not message:
        message = response.reason or ""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return error_from_response(response.status_code, code, message, retry_after)
