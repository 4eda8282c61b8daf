"""Upload URLs: per-bucket (and per-large-file) pools and the send loops that use them.

A URL serves one upload at a time and goes back to its pool only after a success; after a
connection error, 408, 5xx or 401 it is discarded and a fresh one is fetched (up to
``retry.attempts`` URLs). A URL the caller passed explicitly is never pooled or replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from ._auth import needs_reauth
from ._body import Payload
from ._retry import RetryPolicy, is_retryable
from .errors import B2BadRequest, B2Error, B2TooManyRequests, B2Unauthorized, B2ValidationError

logger = logging.getLogger("django_b2.client")

T = TypeVar("T")


def _url_in_use(exc: BaseException) -> bool:
    """``400 auth_token_limit``: the upload URL is busy with another upload; take a fresh one."""
    return isinstance(exc, B2BadRequest) and exc.code == "auth_token_limit"


class _NoRetry(Exception):
    """Carries an error that the upload loop must not retry (e.g. from fetching a URL)."""

    def __init__(self, error: B2Error) -> None:
        super().__init__(error)
        self.error = error


class UrlPool:
    """Free upload URLs per bucket id (or per large-file id): taken exclusively, put back after
    a success only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: dict[str, list[tuple[str, str]]] = {}

    def take(self, key: str) -> tuple[str, str] | None:
        with self._lock:
            free = self._free.get(key)
            return free.pop() if free else None

    def put(self, key: str, entry: tuple[str, str]) -> None:
        with self._lock:
            self._free.setdefault(key, []).append(entry)

    def drop(self, key: str) -> None:
        with self._lock:
            self._free.pop(key, None)


def check_explicit_url(upload_url: str | None, authorization_token: str | None) -> None:
    if (upload_url is None) != (authorization_token is None):
        raise B2ValidationError(
            "upload_url and authorization_token go together: pass both (from get_upload_url / "
            "get_upload_part_url) or neither"
        )


def send_to_explicit_url(retry: RetryPolicy, payload: Payload, send: Callable[[], T]) -> T:
    """Send to a URL the caller gave (never pooled or replaced)."""
    # The caller owns that URL: only a 429 is worth another try on it.
    return retry.call(
        send,
        retry_if=lambda exc: isinstance(exc, B2TooManyRequests) and payload.can_send(),
    )


def send_pooled(
    retry: RetryPolicy,
    pool: UrlPool,
    key: str,
    fetch: Callable[[], tuple[str, str]],
    send: Callable[[str, str], T],
    payload: Payload,
) -> T:
    """Send with a URL from ``pool[key]`` (or a fresh one from ``fetch``); a failed URL is
    discarded and the send retried on a fresh one while the retry policy and the body allow."""

    def attempt() -> T:
        entry = pool.take(key)
        if entry is None:
            try:
                entry = fetch()
            except B2Error as exc:  # already retried/re-authorized by the JSON path
                raise _NoRetry(exc) from exc
        try:
            result = send(*entry)
        except B2TooManyRequests:
            pool.put(key, entry)  # rate limited, but the URL itself is fine
            raise
        except B2Error as exc:
            logger.info("upload to a B2 upload URL failed (%s); discarding that URL", exc)
            raise
        pool.put(key, entry)
        return result

    permission_retries = 0

    def retryable(exc: BaseException) -> bool:
        nonlocal permission_retries
        if isinstance(exc, _NoRetry) or not payload.can_send():
            return False
        if isinstance(exc, B2Unauthorized) and not needs_reauth(exc):
            # ``unauthorized`` is a permission problem: one fresh URL, then give up.
            permission_retries += 1
            return permission_retries == 1
        return is_retryable(exc) or isinstance(exc, B2Unauthorized) or _url_in_use(exc)

    try:
        return retry.call(
            attempt,
            retry_if=retryable,
            no_wait_if=lambda exc: isinstance(exc, B2Unauthorized) or _url_in_use(exc),
        )
    except _NoRetry as wrapped:
        raise wrapped.error from wrapped.error.__cause__


def url_pair(got: Mapping[str, object]) -> tuple[str, str]:
    """``(uploadUrl, authorizationToken)`` of a get_upload_url / get_upload_part_url answer."""
    return str(got["uploadUrl"]), str(got["authorizationToken"])


def send_upload(
    retry: RetryPolicy,
    payload: Payload,
    send: Callable[[str, str], T],
    *,
    explicit: tuple[str | None, str | None],
    pool: UrlPool,
    key: str,
    fetch: Callable[[], tuple[str, str]],
) -> T:
    """Send to the caller's own URL when given (never pooled or replaced), else through ``pool``."""
    upload_url, token = explicit
    if upload_url is not None and token is not None:
        return send_to_explicit_url(retry, payload, lambda: send(upload_url, token))
    return send_pooled(retry, pool, key, fetch, send, payload)
