"""The core of ``B2Client``: configuration, account authorization, the JSON and upload call paths.

Each JSON call goes *re-authorize once* -> *retry policy* -> *raw call*: transient failures
(transport errors, 408, 429, 5xx) are retried by :class:`~django_b2.client._retry.RetryPolicy`; an
expired or rejected account token (``401 expired_auth_token`` / ``bad_auth_token``) makes the client
re-authorize (serialized through the :class:`AuthStore` lock; at most ``_TOKEN_ROUNDS`` tokens per
call) and try again.

The call groups (``_buckets``, ``_files``, ...) subclass :class:`ClientCore` as mixins: each
method checks its arguments, builds the call's JSON body and goes through
:meth:`ClientCore._post` (or :meth:`ClientCore._call` for the requests that are not a plain JSON
call); uploads go through :meth:`ClientCore._send_upload`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar, cast

import requests

from . import _raw as raw
from ._auth import (
    AccountAuthorization,
    ApplicationKeyAuth,
    AuthStore,
    InMemoryAuthStore,
    Secret,
    auth_cache_key,
    needs_reauth,
)
from ._body import Payload
from ._resend import Tracked
from ._retry import RetryPolicy, is_retryable
from ._transport import HttpOptions, Transport
from ._types import AuthorizeAccountResponse
from ._upload_urls import UrlPool, send_upload, url_pair
from .errors import B2Unauthorized, B2ValidationError

logger = logging.getLogger("django_b2.client")

T = TypeVar("T")

DEFAULT_API_URL = "https://api.backblazeb2.com"
#: Tokens one call may try after its first is rejected as expired or bad. Each must be newer
#: than the one rejected, so this bounds a call to a few re-authorizations and never loops on a
#: bad key (a 401 from b2_authorize_account itself is never retried). More than one is needed
#: because B2's own ``expire_some_account_authorization_tokens`` test mode (and a busy pool of
#: workers near the 24 h limit) can reject a token minted a moment ago.
_TOKEN_ROUNDS = 4


def require_id(what: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise B2ValidationError(f"{what} must be a non-empty str, got {value!r}")
    return value


class ClientCore:
    """Configuration, authorization, the retried and re-authorizing JSON call path, and the
    upload call path (upload URL pools)."""

    def __init__(
        self,
        application_key_id: str,
        application_key: str,
        *,
        api_url: str = DEFAULT_API_URL,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (10.0, 120.0),
        proxies: Mapping[str, str] | None = None,
        verify: bool | str = True,
        headers: Mapping[str, str] | None = None,
        pool_size: int = 10,
        http_options: HttpOptions | None = None,
        retry: RetryPolicy | None = None,
        auth_store: AuthStore | None = None,
        auth_max_age: float = 23 * 3600,
        test_mode: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        # From here on only the secret holder has the key: no frame of a traceback raised
        # below (a bad option, say) shows it among its local variables.
        self._application_key = Secret(application_key)
        del application_key
        if not isinstance(application_key_id, str) or not application_key_id:
            raise B2ValidationError(
                "application_key_id is empty; pass the key id shown in the B2 console"
            )
        if not self._application_key.is_filled():
            raise B2ValidationError(
                "application_key is empty; pass the secret key shown once when the key was made"
            )
        if not isinstance(api_url, str) or not api_url.startswith(("http://", "https://")):
            raise B2ValidationError(
                f"api_url {api_url!r} must start with https:// (or http:// for the emulator)"
            )
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise B2ValidationError(f"pool_size must be a positive int, not {pool_size!r}")
        if not 0 < auth_max_age <= 24 * 3600:
            raise B2ValidationError(
                f"auth_max_age={auth_max_age} is out of range; tokens live at most 24 hours, "
                "so use 1 to 86400 seconds"
            )
        timeouts = timeout if isinstance(timeout, tuple) else (timeout,)
        if not all(isinstance(t, (int, float)) and t > 0 for t in timeouts):
            raise B2ValidationError(
                f"timeout {timeout!r} must be seconds > 0 or a (connect, read) pair of them"
            )
        self.application_key_id = application_key_id
        self._key_auth = ApplicationKeyAuth(application_key_id, self._application_key)
        self.api_url = api_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.auth_store: AuthStore = auth_store if auth_store is not None else InMemoryAuthStore()
        self.auth_max_age = float(auth_max_age)
        self.auth_cache_key = auth_cache_key(
            self.api_url, application_key_id, self._application_key.reveal()
        )
        self._transport = Transport(
            session=session,
            timeout=timeout,
            proxies=proxies,
            verify=verify,
            headers=headers,
            pool_size=pool_size,
            http_options=http_options,
            user_agent_comment=user_agent,
            test_mode=test_mode,
        )
        self._current: AccountAuthorization | None = None
        self._upload_urls = UrlPool()
        self._part_urls = UrlPool()

    def __repr__(self) -> str:
        # getattr: a traceback of __init__ may show the half-built client.
        key_id = getattr(self, "application_key_id", None)
        return (
            f"B2Client(application_key_id={key_id!r}, api_url={getattr(self, 'api_url', None)!r})"
        )

    def close(self) -> None:
        """Close the HTTP sessions this client opened."""
        self._transport.close()

    # --- authorization -------------------------------------------------------------------------

    def authorize(
        self, *, http: HttpOptions | None = None, http_override: HttpOptions | None = None
    ) -> AuthorizeAccountResponse:
        """Call ``b2_authorize_account`` now, cache the result and return B2's body."""
        body = self._authorize_account(http, http_override)
        self._remember(AccountAuthorization.from_response(body))
        return body

    @property
    def authorization(self) -> AccountAuthorization:
        """The current account authorization (authorizes if there is none or it is too old)."""
        return self._authorization()

    @property
    def last_authorization(self) -> AccountAuthorization | None:
        """The authorization this client used last (None before the first); no I/O."""
        return self._current

    def current_authorization(self) -> AccountAuthorization:
        """The authorization shared through the auth store now (one store read).

        When another worker has replaced the stored one (a re-authorization after B2 rejected
        the old token, or another key) this client adopts it; authorizes when there is none.
        Use it to tell whether something obtained under an earlier authorization is still
        current, e.g. a cached download token.
        """
        stored = self.auth_store.get(self.auth_cache_key)
        if stored is not None and self._usable(stored, None):
            self._current = stored
            return stored
        return self._authorization()

    @property
    def account_id(self) -> str:
        return self._authorization().account_id

    def _authorize_account(
        self, http: HttpOptions | None, http_override: HttpOptions | None
    ) -> AuthorizeAccountResponse:
        def attempt() -> AuthorizeAccountResponse:
            try:
                return raw.authorize_account(
                    self._transport,
                    self.api_url,
                    self._key_auth,
                    http=http,
                    http_override=http_override,
                )
            except B2Unauthorized as exc:
                # Any 401 here means the credentials are wrong: never "re-authorize" or retry.
                raise B2Unauthorized(
                    exc.status,
                    exc.code,
                    f"B2 rejected application key id {self.application_key_id!r} "
                    f"({exc.message}); check application_key_id and application_key",
                ) from exc

        result = self.retry.call(attempt)
        logger.debug("authorized B2 key id %s", self.application_key_id)
        return result

    def _remember(self, auth: AccountAuthorization) -> None:
        self._current = auth
        ttl = max(self.auth_max_age - auth.age(), 1.0)
        self.auth_store.set(self.auth_cache_key, auth, ttl)

    def _usable(
        self, auth: AccountAuthorization | None, stale: AccountAuthorization | None
    ) -> bool:
        if auth is None or auth.age() >= self.auth_max_age:
            return False
        # Replacing a rejected token: only a newer one will do (threads and workers may hold
        # older ones, which were rejected too or soon will be).
        return stale is None or (
            auth.authorization_token != stale.authorization_token
            and auth.obtained_at >= stale.obtained_at
        )

    def _authorization(self, stale: AccountAuthorization | None = None) -> AccountAuthorization:
        """A usable authorization; with ``stale``, a different one obtained no earlier."""
        current = self._current
        if current is not None and self._usable(current, stale):
            return current
        key = self.auth_cache_key
        stored = self.auth_store.get(key)
        if stored is not None and self._usable(stored, stale):
            self._current = stored
            return stored
        with self.auth_store.lock(key):
            stored = self.auth_store.get(key)  # another worker may have refreshed meanwhile
            if stored is not None and self._usable(stored, stale):
                self._current = stored
                return stored
            auth = AccountAuthorization.from_response(self._authorize_account(None, None))
            self._remember(auth)
            return auth

    def _call(
        self,
        fn: Callable[[AccountAuthorization], T],
        *,
        reauth: bool = True,
        retry_if: Callable[[BaseException], bool] = is_retryable,
    ) -> T:
        """Retry policy -> ``fn(authorization)``; on an expired or bad token, a newer token.

        ``retry_if`` says which failures may be resent (calls that create things pass a
        stricter one). The policy's deadline covers the whole call, every token round included.

        Each rejection of the account token (``expired_auth_token``/``bad_auth_token``, or a
        body-less 401 on HEAD) re-authorizes once, serialized through the auth store's lock (a
        newer token another worker stored meanwhile is used instead), and retries with it; at
        most ``_TOKEN_ROUNDS`` tokens per call, then the error propagates. A permission 401
        (``unauthorized``) is never re-authorized, and a body-less 401 (whose code is unknown)
        only once.
        """
        started = time.monotonic()
        auth = self._authorization()
        rounds = 1
        while True:
            left = self.retry.deadline - (time.monotonic() - started)
            try:
                return self.retry.call(partial(fn, auth), retry_if=retry_if, deadline=left)
            except B2Unauthorized as exc:
                if not reauth or not needs_reauth(exc) or rounds >= _TOKEN_ROUNDS:
                    raise
                if not exc.code and rounds > 1:
                    raise  # a body-less 401 (HEAD) may be a permission problem: one retry only
                logger.info("B2 rejected the account token (%s); re-authorizing", exc.code)
            auth = self._authorization(stale=auth)
            rounds += 1

    def _post(
        self,
        answer: type[T],
        name: str,
        body: Mapping[str, Any] | Callable[[AccountAuthorization], Mapping[str, Any]],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
        *,
        account: bool = False,
        retry_if: Callable[[BaseException], bool] = is_retryable,
        tracked: Tracked | None = None,
    ) -> T:
        """The JSON call ``name``: ``POST`` ``body`` (with ``accountId`` first when ``account``)
        through :meth:`_call`, and return B2's decoded answer; ``answer`` is the TypedDict that
        describes it (for the type checker only).

        ``body`` may be a function of the authorization each attempt uses. ``tracked`` watches
        each attempt (for calls reconciled after a lost answer).
        """

        def attempt(auth: AccountAuthorization) -> Any:
            sent = body(auth) if callable(body) else body
            if account:
                sent = {"accountId": auth.account_id, **sent}
            return raw.post(
                self._transport,
                auth.api_url,
                auth.authorization_token,
                name,
                sent,
                http,
                http_override,
            )

        watched = tracked.watch(attempt) if tracked is not None else attempt
        return cast(T, self._call(watched, retry_if=retry_if))

    def _send_upload(
        self,
        payload: Payload,
        headers: Mapping[str, str],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
        *,
        explicit: tuple[str | None, str | None],
        pool: UrlPool,
        key: str,
        fetch: Callable[[], Mapping[str, object]],
        tracked: Tracked | None = None,
    ) -> Any:
        """Send ``payload`` with ``headers`` to the caller's upload URL (``explicit``, when
        given) or to one from ``pool[key]`` (new ones from ``fetch``); B2's answer."""

        def send(url: str, token: str) -> Any:
            return raw.upload(
                self._transport, url, token, headers, payload.open(), http, http_override
            )

        return send_upload(
            self.retry,
            payload,
            tracked.watch(send) if tracked is not None else send,
            explicit=explicit,
            pool=pool,
            key=key,
            fetch=lambda: url_pair(fetch()),
        )
