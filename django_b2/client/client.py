"""``B2Client``: every B2 native API call with validation, retries and re-authorization.

Each JSON call goes *re-authorize once* -> *retry policy* -> *raw call*: transient failures
(transport errors, 408, 429, 5xx) are retried by :class:`~django_b2.client.retry.RetryPolicy`; an
expired or rejected account token (``401 expired_auth_token`` / ``bad_auth_token``) makes the client
re-authorize exactly once (serialized through the :class:`AuthStore` lock) and try again.

Uploads use per-bucket (and per-large-file) pools of upload URLs: a URL serves one upload at a time
and goes back to the pool only after a success; after a connection error, 408, 5xx or 401 it is
discarded and a fresh one is fetched (up to ``retry.attempts`` URLs).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeVar

import requests

from . import raw
from ._transport import HttpOptions, Transport
from .auth import AccountAuthorization, AuthStore, InMemoryAuthStore, auth_cache_key
from .errors import (
    B2AuthTokenExpired,
    B2BadRequest,
    B2Error,
    B2NotFound,
    B2TooManyRequests,
    B2Unauthorized,
    B2ValidationError,
)
from .retry import RetryPolicy, is_retryable
from .signing import download_url_by_name, override_params
from .types import (
    ApplicationKey,
    AuthorizeAccountResponse,
    Bucket,
    CancelLargeFileResponse,
    CreatedApplicationKey,
    DeleteFileVersionResponse,
    DownloadAuthorization,
    FileInfoByName,
    FileLegalHoldResponse,
    FileRetentionResponse,
    FileVersion,
    ListBucketsResponse,
    ListFileNamesResponse,
    ListFileVersionsResponse,
    ListKeysResponse,
    ListPartsResponse,
    ListUnfinishedLargeFilesResponse,
    Part,
    UploadPartUrl,
    UploadUrl,
)
from .validation import (
    range_header,
    validate_bucket_info,
    validate_bucket_name,
    validate_bucket_type,
    validate_capabilities,
    validate_count,
    validate_download_duration,
    validate_file_info,
    validate_file_name,
    validate_file_retention,
    validate_key_duration,
    validate_key_name,
    validate_legal_hold,
    validate_part_number,
    validate_prefix,
)

if TYPE_CHECKING:
    from .download import DownloadedFile
    from .progress import ProgressCallback

__all__ = ["B2Client"]

logger = logging.getLogger("django_b2.client")

T = TypeVar("T")
Data = bytes | bytearray | memoryview | IO[bytes]
RangeArg = tuple[int, int | None] | str | None

DEFAULT_API_URL = "https://api.backblazeb2.com"
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
#: Tokens one call may try after its first is rejected as expired or bad. Each must be newer
#: than the one rejected, so this bounds a call to a few re-authorizations and never loops on a
#: bad key (a 401 from b2_authorize_account itself is never retried). More than one is needed
#: because B2's own ``expire_some_account_authorization_tokens`` test mode (and a busy pool of
#: workers near the 24 h limit) can reject a token minted a moment ago.
_TOKEN_ROUNDS = 4
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


class _Secret:
    """Holds the application key; its repr never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'********'"

    def __reduce__(self) -> Any:
        raise TypeError("the application key is not picklable")


def _require_id(what: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise B2ValidationError(f"{what} must be a non-empty str, got {value!r}")
    return value


def _needs_reauth(exc: B2Unauthorized) -> bool:
    """``bad_auth_token``/``expired_auth_token``, or a body-less 401 (``HEAD``: code unknown)."""
    return isinstance(exc, B2AuthTokenExpired) or (type(exc) is B2Unauthorized and not exc.code)


def _url_in_use(exc: BaseException) -> bool:
    """``400 auth_token_limit``: the upload URL is busy with another upload; take a fresh one."""
    return isinstance(exc, B2BadRequest) and exc.code == "auth_token_limit"


class _NoRetry(Exception):
    """Carries an error that the upload loop must not retry (e.g. from fetching a URL)."""

    def __init__(self, error: B2Error) -> None:
        super().__init__(error)
        self.error = error


class _UrlPool:
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


class _Payload:
    """An upload body that can be sent again from its start (or says it cannot)."""

    def __init__(
        self,
        data: Data,
        content_length: int | None,
        content_sha1: str | None,
        progress: ProgressCallback | None,
    ) -> None:
        self._progress = progress
        self._high_water = 0
        self._sends = 0
        self.trailer = False
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data) if not isinstance(data, bytes) else data
            if content_length is not None and content_length != len(data):
                raise B2ValidationError(
                    f"content_length={content_length} but data has {len(data)} bytes; "
                    "drop content_length or fix it"
                )
            self._stream: IO[bytes] = io.BytesIO(data)
            self._start = 0
            self.length = len(data)
            self.rewindable = True
            self.sha1 = content_sha1 or hashlib.sha1(data).hexdigest()
        elif callable(getattr(data, "read", None)):
            self._stream = data
            self.rewindable = _seekable(data)
            if self.rewindable:
                self._start = data.tell()
                if content_length is None:
                    content_length = data.seek(0, os.SEEK_END) - self._start
                    data.seek(self._start)
            else:
                self._start = 0
                if content_length is None:
                    raise B2ValidationError(
                        "data is a stream that cannot seek, so its size is unknown; pass "
                        "content_length=<bytes>"
                    )
            self.length = content_length
            if content_sha1 is not None:
                self.sha1 = content_sha1
            elif self.rewindable:
                self.sha1 = self._hash_stream()
            else:
                self.sha1 = "hex_digits_at_end"
                self.trailer = True
        else:
            raise B2ValidationError(
                f"data must be bytes or a binary file object, not {type(data).__name__}"
            )
        if content_sha1 is not None and not _SHA1_HEX.fullmatch(content_sha1):
            raise B2ValidationError(
                f"content_sha1 {content_sha1!r} is not 40 hex digits; pass the SHA-1 hex digest "
                "or leave it out to have it computed"
            )
        if self.length < 0:
            raise B2ValidationError(f"content_length must be >= 0, not {self.length}")

    @property
    def wire_length(self) -> int:
        return self.length + (40 if self.trailer else 0)

    def _hash_stream(self) -> str:
        digest = hashlib.sha1()
        remaining = self.length
        while remaining > 0:
            block = self._stream.read(min(remaining, 1 << 20))
            if not block:
                break
            digest.update(block)
            remaining -= len(block)
        self._stream.seek(self._start)
        return digest.hexdigest()

    def can_send(self) -> bool:
        return self._sends == 0 or self.rewindable

    def open(self) -> _BodyReader:
        """A reader from the start of the body (rewinding the source if it was sent before)."""
        if self._sends and not self.rewindable:  # guarded by can_send(); never resend silently
            raise B2ValidationError("the upload body is a stream that cannot be rewound")
        if self._sends:
            self._stream.seek(self._start)
        self._sends += 1
        return _BodyReader(self, self._stream, self.length, self.trailer)

    def report(self, sent: int) -> None:
        if self._progress is not None and sent > self._high_water:
            self._high_water = sent
            self._progress(sent, self.length)


class _BodyReader:
    """What requests sends: reads at most ``length`` bytes, reports progress, and appends the
    hex SHA-1 when the body uses ``hex_digits_at_end``."""

    def __init__(self, payload: _Payload, stream: IO[bytes], length: int, trailer: bool) -> None:
        self._payload = payload
        self._stream = stream
        self._remaining = length
        self._sent = 0
        self._digest = hashlib.sha1() if trailer else None
        self._tail = b""
        self._length = length + (40 if trailer else 0)

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._remaining > 0:
            want = self._remaining if size is None or size < 0 else min(size, self._remaining)
            block = self._stream.read(want)
            if block:
                self._remaining -= len(block)
                self._sent += len(block)
                if self._digest is not None:
                    self._digest.update(block)
                self._payload.report(self._sent)
                return block
            # Sending fewer bytes than Content-Length would leave the server waiting.
            raise B2ValidationError(
                f"the upload source ended after {self._sent} of {self._length} bytes; pass the "
                "real content_length or a source that holds that many bytes"
            )
        if self._digest is not None:
            self._tail = self._digest.hexdigest().encode("ascii")
            self._digest = None
        block, self._tail = (
            (self._tail, b"")
            if size is None or size < 0
            else (self._tail[:size], self._tail[size:])
        )
        return block


def _seekable(data: Any) -> bool:
    try:
        if callable(getattr(data, "seekable", None)) and not data.seekable():
            return False
        data.tell()
        return True
    except (OSError, AttributeError, ValueError):
        return False


class B2Client:
    """A thread-safe client for the B2 native API (v3). No network traffic until the first call.

    See ``docs/DESIGN.md`` for the contract and README.md ("The B2 client") for examples.
    """

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
        if not isinstance(application_key_id, str) or not application_key_id:
            raise B2ValidationError(
                "application_key_id is empty; pass the key id shown in the B2 console"
            )
        if not isinstance(application_key, str) or not application_key:
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
        self._application_key = _Secret(application_key)
        self.api_url = api_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.auth_store: AuthStore = auth_store if auth_store is not None else InMemoryAuthStore()
        self.auth_max_age = float(auth_max_age)
        self.auth_cache_key = auth_cache_key(self.api_url, application_key_id, application_key)
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
        self._upload_urls = _UrlPool()
        self._part_urls = _UrlPool()

    def __repr__(self) -> str:
        return f"B2Client(application_key_id={self.application_key_id!r}, api_url={self.api_url!r})"

    def close(self) -> None:
        """Close the HTTP sessions this client opened."""
        self._transport.close()

    def __enter__(self) -> B2Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
                    self.application_key_id,
                    self._application_key.reveal(),
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

    def _call(self, fn: Callable[[AccountAuthorization], T], *, reauth: bool = True) -> T:
        """Retry policy -> ``fn(authorization)``; on an expired or bad token, a newer token.

        Each rejection of the account token (``expired_auth_token``/``bad_auth_token``, or a
        body-less 401 on HEAD) re-authorizes once, serialized through the auth store's lock (a
        newer token another worker stored meanwhile is used instead), and retries with it; at
        most ``_TOKEN_ROUNDS`` tokens per call, then the error propagates. A permission 401
        (``unauthorized``) is never re-authorized, and a body-less 401 (whose code is unknown)
        only once.
        """
        auth = self._authorization()
        rounds = 1
        while True:
            try:
                return self.retry.call(partial(fn, auth))
            except B2Unauthorized as exc:
                if not reauth or not _needs_reauth(exc) or rounds >= _TOKEN_ROUNDS:
                    raise
                if not exc.code and rounds > 1:
                    raise  # a body-less 401 (HEAD) may be a permission problem: one retry only
                logger.info("B2 rejected the account token (%s); re-authorizing", exc.code)
            auth = self._authorization(stale=auth)
            rounds += 1

    def _api(
        self,
        fn: Callable[..., T],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
        *,
        account: bool = False,
        **kwargs: Any,
    ) -> T:
        """A JSON call: ``fn(transport, api_url, token, **kwargs)`` through :meth:`_call`."""

        def run(auth: AccountAuthorization) -> T:
            extra = {"account_id": auth.account_id} if account else {}
            return fn(
                self._transport,
                auth.api_url,
                auth.authorization_token,
                http=http,
                http_override=http_override,
                **extra,
                **kwargs,
            )

        return self._call(run)

    # --- buckets -------------------------------------------------------------------------------

    def create_bucket(
        self,
        bucket_name: str,
        bucket_type: str,
        *,
        bucket_info: Mapping[str, str] | None = None,
        cors_rules: list[Any] | None = None,
        lifecycle_rules: list[Any] | None = None,
        file_lock_enabled: bool | None = None,
        default_server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        validate_bucket_name(bucket_name)
        validate_bucket_type(bucket_type)
        return self._api(
            raw.create_bucket,
            http,
            http_override,
            account=True,
            bucket_name=bucket_name,
            bucket_type=bucket_type,
            bucket_info=validate_bucket_info(bucket_info),
            cors_rules=cors_rules,
            lifecycle_rules=lifecycle_rules,
            file_lock_enabled=file_lock_enabled,
            default_server_side_encryption=default_server_side_encryption,
        )

    def delete_bucket(
        self,
        bucket_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        _require_id("bucket_id", bucket_id)
        return self._api(raw.delete_bucket, http, http_override, account=True, bucket_id=bucket_id)

    def list_buckets(
        self,
        *,
        bucket_id: str | None = None,
        bucket_name: str | None = None,
        bucket_types: list[str] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListBucketsResponse:
        """List buckets; a key restricted to one bucket lists that one when no filter is given."""
        if bucket_name is not None:
            validate_bucket_name(bucket_name)
        if bucket_id is not None:
            _require_id("bucket_id", bucket_id)
        if isinstance(bucket_types, str):
            raise B2ValidationError(f"bucket_types must be a list, e.g. [{bucket_types!r}]")

        def run(auth: AccountAuthorization) -> ListBucketsResponse:
            restricted_id = auth.bucket_id if bucket_id is None and bucket_name is None else None
            return raw.list_buckets(
                self._transport,
                auth.api_url,
                auth.authorization_token,
                account_id=auth.account_id,
                bucket_id=bucket_id or restricted_id,
                bucket_name=bucket_name,
                bucket_types=bucket_types,
                http=http,
                http_override=http_override,
            )

        return self._call(run)

    def get_bucket(
        self,
        *,
        bucket_name: str | None = None,
        bucket_id: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        """The bucket with this name or id; raises :class:`B2NotFound` if there is none."""
        if (bucket_name is None) == (bucket_id is None):
            raise B2ValidationError("get_bucket needs exactly one of bucket_name= or bucket_id=")
        buckets = self.list_buckets(
            bucket_id=bucket_id,
            bucket_name=bucket_name,
            bucket_types=["all"],
            http=http,
            http_override=http_override,
        )["buckets"]
        if not buckets:
            what = f"name {bucket_name!r}" if bucket_name is not None else f"id {bucket_id!r}"
            raise B2NotFound(404, "not_found", f"no bucket with {what} is visible to this key")
        return buckets[0]

    def update_bucket(
        self,
        bucket_id: str,
        *,
        bucket_type: str | None = None,
        bucket_info: Mapping[str, str] | None = None,
        cors_rules: list[Any] | None = None,
        lifecycle_rules: list[Any] | None = None,
        default_retention: Mapping[str, Any] | None = None,
        default_server_side_encryption: Mapping[str, Any] | None = None,
        file_lock_enabled: bool | None = None,
        if_revision_is: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        _require_id("bucket_id", bucket_id)
        if bucket_type is not None:
            validate_bucket_type(bucket_type)
        if file_lock_enabled is False:
            raise B2ValidationError(
                "file_lock_enabled=False is not possible: Object Lock can only be turned on"
            )
        return self._api(
            raw.update_bucket,
            http,
            http_override,
            account=True,
            bucket_id=bucket_id,
            bucket_type=bucket_type,
            bucket_info=validate_bucket_info(bucket_info),
            cors_rules=cors_rules,
            lifecycle_rules=lifecycle_rules,
            default_retention=default_retention,
            default_server_side_encryption=default_server_side_encryption,
            file_lock_enabled=file_lock_enabled,
            if_revision_is=if_revision_is,
        )

    # --- simple uploads ------------------------------------------------------------------------

    def get_upload_url(
        self,
        bucket_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> UploadUrl:
        _require_id("bucket_id", bucket_id)
        return self._api(raw.get_upload_url, http, http_override, bucket_id=bucket_id)

    def upload_file(
        self,
        bucket_id: str,
        file_name: str,
        data: Data,
        *,
        content_type: str = "b2/x-auto",
        content_length: int | None = None,
        content_sha1: str | None = None,
        file_info: Mapping[str, str] | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        upload_url: str | None = None,
        authorization_token: str | None = None,
        progress: ProgressCallback | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        """Upload ``data`` (bytes or a binary file object, read from its current position).

        ``http``/``http_override`` apply to the upload request itself, not to the
        ``b2_get_upload_url`` calls made on the way.
        """
        _require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        if not isinstance(content_type, str) or not content_type:
            raise B2ValidationError("content_type must be a MIME type such as 'text/plain'")
        info = validate_file_info(file_info)
        retention = validate_file_retention(file_retention)
        hold = validate_legal_hold(legal_hold)
        _check_explicit_url(upload_url, authorization_token)
        payload = _Payload(data, content_length, content_sha1, progress)
        headers = raw.upload_headers(
            file_name=file_name,
            content_type=content_type,
            content_length=payload.wire_length,
            content_sha1=payload.sha1,
            file_info=info,
            server_side_encryption=server_side_encryption,
            file_retention=retention,
            legal_hold=hold,
        )

        def send(url: str, token: str) -> FileVersion:
            return raw.upload_file(
                self._transport,
                url,
                token,
                headers=headers,
                body=payload.open(),  # type: ignore[arg-type]
                http=http,
                http_override=http_override,
            )

        if upload_url is not None and authorization_token is not None:
            return self._send_to_explicit_url(
                payload, lambda: send(upload_url, authorization_token)
            )

        def fetch() -> tuple[str, str]:
            got = self.get_upload_url(bucket_id)
            return got["uploadUrl"], got["authorizationToken"]

        return self._send_pooled(self._upload_urls, bucket_id, fetch, send, payload)

    def _send_to_explicit_url(self, payload: _Payload, send: Callable[[], T]) -> T:
        # The caller owns that URL: only a 429 is worth another try on it.
        return self.retry.call(
            send,
            retry_if=lambda exc: isinstance(exc, B2TooManyRequests) and payload.can_send(),
        )

    def _send_pooled(
        self,
        pool: _UrlPool,
        key: str,
        fetch: Callable[[], tuple[str, str]],
        send: Callable[[str, str], T],
        payload: _Payload,
    ) -> T:
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
            if isinstance(exc, B2Unauthorized) and not _needs_reauth(exc):
                # ``unauthorized`` is a permission problem: one fresh URL, then give up.
                permission_retries += 1
                return permission_retries == 1
            return is_retryable(exc) or isinstance(exc, B2Unauthorized) or _url_in_use(exc)

        try:
            return self.retry.call(
                attempt,
                retry_if=retryable,
                no_wait_if=lambda exc: isinstance(exc, B2Unauthorized) or _url_in_use(exc),
            )
        except _NoRetry as wrapped:
            raise wrapped.error from wrapped.error.__cause__

    # --- listing -------------------------------------------------------------------------------

    def list_file_names(
        self,
        bucket_id: str,
        *,
        start_file_name: str | None = None,
        max_file_count: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListFileNamesResponse:
        _check_listing(bucket_id, start_file_name, max_file_count, prefix, delimiter)
        return self._api(
            raw.list_file_names,
            http,
            http_override,
            bucket_id=bucket_id,
            start_file_name=start_file_name,
            max_file_count=max_file_count,
            prefix=prefix,
            delimiter=delimiter,
        )

    def list_file_versions(
        self,
        bucket_id: str,
        *,
        start_file_name: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListFileVersionsResponse:
        _check_listing(bucket_id, start_file_name, max_file_count, prefix, delimiter)
        if start_file_id is not None and start_file_name is None:
            raise B2ValidationError(
                "start_file_id only works together with start_file_name; pass both"
            )
        return self._api(
            raw.list_file_versions,
            http,
            http_override,
            bucket_id=bucket_id,
            start_file_name=start_file_name,
            start_file_id=start_file_id,
            max_file_count=max_file_count,
            prefix=prefix,
            delimiter=delimiter,
        )

    def iter_file_names(
        self,
        bucket_id: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        page_size: int = 1000,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Iterator[FileVersion]:
        """Every current file (and ``folder`` entry with a delimiter), fetched page by page."""
        _check_listing(bucket_id, None, page_size, prefix, delimiter)
        start: str | None = None
        while True:
            page = self.list_file_names(
                bucket_id,
                start_file_name=start,
                max_file_count=page_size,
                prefix=prefix,
                delimiter=delimiter,
                http=http,
                http_override=http_override,
            )
            yield from page["files"]
            start = page["nextFileName"]
            if start is None:
                return

    def iter_file_versions(
        self,
        bucket_id: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        page_size: int = 1000,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Iterator[FileVersion]:
        """Every file version (newest first per name), fetched page by page."""
        _check_listing(bucket_id, None, page_size, prefix, delimiter)
        start_name: str | None = None
        start_id: str | None = None
        while True:
            page = self.list_file_versions(
                bucket_id,
                start_file_name=start_name,
                start_file_id=start_id,
                max_file_count=page_size,
                prefix=prefix,
                delimiter=delimiter,
                http=http,
                http_override=http_override,
            )
            yield from page["files"]
            start_name, start_id = page["nextFileName"], page["nextFileId"]
            if start_name is None:
                return

    # --- single files --------------------------------------------------------------------------

    def hide_file(
        self,
        bucket_id: str,
        file_name: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        _require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        return self._api(
            raw.hide_file, http, http_override, bucket_id=bucket_id, file_name=file_name
        )

    def get_file_info(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        _require_id("file_id", file_id)
        return self._api(raw.get_file_info, http, http_override, file_id=file_id)

    def get_file_info_by_name(
        self,
        bucket_name: str,
        file_name: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileInfoByName:
        """``HEAD`` the newest version of a name: file-version fields plus ``headers``.

        Raises :class:`B2NotFound` when the name is absent or hidden.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)

        def run(auth: AccountAuthorization) -> FileInfoByName:
            response = raw.download_file_by_name(
                self._transport,
                auth.download_url,
                auth.authorization_token,
                bucket_name=bucket_name,
                file_name=file_name,
                method="HEAD",
                stream=False,
                http=http,
                http_override=http_override,
            )
            response.close()
            return raw.file_info_from_headers(response.headers)

        return self._call(run)

    def delete_file_version(
        self,
        file_name: str,
        file_id: str,
        *,
        bypass_governance: bool = False,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> DeleteFileVersionResponse:
        validate_file_name(file_name)
        _require_id("file_id", file_id)
        return self._api(
            raw.delete_file_version,
            http,
            http_override,
            file_name=file_name,
            file_id=file_id,
            bypass_governance=bypass_governance,
        )

    def copy_file(
        self,
        source_file_id: str,
        file_name: str,
        *,
        destination_bucket_id: str | None = None,
        range: RangeArg = None,
        metadata_directive: str | None = None,
        content_type: str | None = None,
        file_info: Mapping[str, str] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        """Server-side copy (≤ 5 GB). ``metadata_directive``: ``"COPY"`` (default) or ``"REPLACE"``
        (then ``content_type`` is required and ``file_info`` is used)."""
        _require_id("source_file_id", source_file_id)
        validate_file_name(file_name)
        if destination_bucket_id is not None:
            _require_id("destination_bucket_id", destination_bucket_id)
        directive = metadata_directive.upper() if metadata_directive is not None else None
        if directive not in (None, "COPY", "REPLACE"):
            raise B2ValidationError(
                f"metadata_directive {metadata_directive!r} is invalid; use 'COPY' or 'REPLACE'"
            )
        if directive == "REPLACE" and not content_type:
            raise B2ValidationError("metadata_directive='REPLACE' needs content_type=...")
        if directive != "REPLACE" and (content_type is not None or file_info is not None):
            raise B2ValidationError(
                "content_type and file_info are only used with metadata_directive='REPLACE'; "
                "add it or drop them"
            )
        return self._api(
            raw.copy_file,
            http,
            http_override,
            source_file_id=source_file_id,
            file_name=file_name,
            destination_bucket_id=destination_bucket_id,
            range=range_header(range),
            metadata_directive=directive,
            content_type=content_type,
            file_info=validate_file_info(file_info) if file_info is not None else None,
            file_retention=validate_file_retention(file_retention),
            legal_hold=validate_legal_hold(legal_hold),
        )

    def update_file_retention(
        self,
        file_name: str,
        file_id: str,
        file_retention: Mapping[str, Any],
        *,
        bypass_governance: bool = False,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileRetentionResponse:
        validate_file_name(file_name)
        _require_id("file_id", file_id)
        retention = validate_file_retention(file_retention)
        if retention is None:
            raise B2ValidationError(
                "file_retention is required; pass {'mode': None} to remove a retention"
            )
        return self._api(
            raw.update_file_retention,
            http,
            http_override,
            file_name=file_name,
            file_id=file_id,
            file_retention=retention,
            bypass_governance=bypass_governance,
        )

    def update_file_legal_hold(
        self,
        file_name: str,
        file_id: str,
        legal_hold: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileLegalHoldResponse:
        validate_file_name(file_name)
        _require_id("file_id", file_id)
        hold = validate_legal_hold(legal_hold)
        if hold is None:
            raise B2ValidationError("legal_hold is required; use 'on' or 'off'")
        return self._api(
            raw.update_file_legal_hold,
            http,
            http_override,
            file_name=file_name,
            file_id=file_id,
            legal_hold=hold,
        )

    # --- large files ---------------------------------------------------------------------------

    def start_large_file(
        self,
        bucket_id: str,
        file_name: str,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        _require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        return self._api(
            raw.start_large_file,
            http,
            http_override,
            bucket_id=bucket_id,
            file_name=file_name,
            content_type=content_type,
            file_info=validate_file_info(file_info) if file_info is not None else None,
            file_retention=validate_file_retention(file_retention),
            legal_hold=validate_legal_hold(legal_hold),
            server_side_encryption=server_side_encryption,
        )

    def get_upload_part_url(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> UploadPartUrl:
        _require_id("file_id", file_id)
        return self._api(raw.get_upload_part_url, http, http_override, file_id=file_id)

    def upload_part(
        self,
        file_id: str,
        part_number: int,
        data: Data,
        *,
        content_length: int | None = None,
        content_sha1: str | None = None,
        upload_url: str | None = None,
        authorization_token: str | None = None,
        progress: ProgressCallback | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Part:
        """Upload one part; same URL pooling and retry rules as :meth:`upload_file`."""
        _require_id("file_id", file_id)
        validate_part_number(part_number)
        _check_explicit_url(upload_url, authorization_token)
        payload = _Payload(data, content_length, content_sha1, progress)

        def send(url: str, token: str) -> Part:
            return raw.upload_part(
                self._transport,
                url,
                token,
                part_number=part_number,
                content_length=payload.wire_length,
                content_sha1=payload.sha1,
                body=payload.open(),  # type: ignore[arg-type]
                server_side_encryption=server_side_encryption,
                http=http,
                http_override=http_override,
            )

        if upload_url is not None and authorization_token is not None:
            return self._send_to_explicit_url(
                payload, lambda: send(upload_url, authorization_token)
            )

        def fetch() -> tuple[str, str]:
            got = self.get_upload_part_url(file_id)
            return got["uploadUrl"], got["authorizationToken"]

        return self._send_pooled(self._part_urls, file_id, fetch, send, payload)

    def copy_part(
        self,
        source_file_id: str,
        large_file_id: str,
        part_number: int,
        *,
        range: RangeArg = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Part:
        _require_id("source_file_id", source_file_id)
        _require_id("large_file_id", large_file_id)
        validate_part_number(part_number)
        return self._api(
            raw.copy_part,
            http,
            http_override,
            source_file_id=source_file_id,
            large_file_id=large_file_id,
            part_number=part_number,
            range=range_header(range),
        )

    def finish_large_file(
        self,
        file_id: str,
        part_sha1_array: list[str],
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        _require_id("file_id", file_id)
        sha1s = list(part_sha1_array)
        if not sha1s:
            raise B2ValidationError(
                "part_sha1_array is empty; a large file needs its parts' SHA-1s"
            )
        bad = [s for s in sha1s if not isinstance(s, str) or not _SHA1_HEX.fullmatch(s)]
        if bad:
            raise B2ValidationError(
                f"part_sha1_array holds values that are not 40 hex digits: {bad[:3]!r}"
            )
        result = self._api(
            raw.finish_large_file, http, http_override, file_id=file_id, part_sha1_array=sha1s
        )
        self._part_urls.drop(file_id)
        return result

    def cancel_large_file(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> CancelLargeFileResponse:
        _require_id("file_id", file_id)
        result = self._api(raw.cancel_large_file, http, http_override, file_id=file_id)
        self._part_urls.drop(file_id)
        return result

    def list_parts(
        self,
        file_id: str,
        *,
        start_part_number: int | None = None,
        max_part_count: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListPartsResponse:
        _require_id("file_id", file_id)
        if start_part_number is not None:
            validate_part_number(start_part_number)
        if max_part_count is not None:
            validate_count("max_part_count", max_part_count, 1000)
        return self._api(
            raw.list_parts,
            http,
            http_override,
            file_id=file_id,
            start_part_number=start_part_number,
            max_part_count=max_part_count,
        )

    def list_unfinished_large_files(
        self,
        bucket_id: str,
        *,
        name_prefix: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListUnfinishedLargeFilesResponse:
        _require_id("bucket_id", bucket_id)
        if name_prefix is not None:
            validate_prefix(name_prefix, "name_prefix")
        if max_file_count is not None:
            validate_count("max_file_count", max_file_count, 100)
        return self._api(
            raw.list_unfinished_large_files,
            http,
            http_override,
            bucket_id=bucket_id,
            name_prefix=name_prefix,
            start_file_id=start_file_id,
            max_file_count=max_file_count,
        )

    # --- downloads -----------------------------------------------------------------------------

    def get_download_authorization(
        self,
        bucket_id: str,
        file_name_prefix: str,
        valid_duration_in_seconds: int,
        *,
        b2_content_disposition: str | None = None,
        b2_content_language: str | None = None,
        b2_expires: str | None = None,
        b2_cache_control: str | None = None,
        b2_content_encoding: str | None = None,
        b2_content_type: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> DownloadAuthorization:
        _require_id("bucket_id", bucket_id)
        validate_prefix(file_name_prefix, "file_name_prefix")
        validate_download_duration(valid_duration_in_seconds)
        overrides = override_params(
            {
                "b2_content_disposition": b2_content_disposition,
                "b2_content_language": b2_content_language,
                "b2_expires": b2_expires,
                "b2_cache_control": b2_cache_control,
                "b2_content_encoding": b2_content_encoding,
                "b2_content_type": b2_content_type,
            }
        )
        return self._api(
            raw.get_download_authorization,
            http,
            http_override,
            bucket_id=bucket_id,
            file_name_prefix=file_name_prefix,
            valid_duration_in_seconds=valid_duration_in_seconds,
            overrides=overrides,
        )

    def signed_download_url(
        self,
        bucket_name: str,
        file_name: str,
        *,
        bucket_id: str | None = None,
        valid_duration_in_seconds: int,
        **b2_overrides: str | None,
    ) -> str:
        """A URL that downloads ``file_name`` without further credentials until it expires.

        Mints a download authorization for exactly this name (``bucket_id`` is looked up from
        ``bucket_name`` when not given) and repeats the overrides in the URL, as B2 requires.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)
        validate_download_duration(valid_duration_in_seconds)
        params = override_params(b2_overrides)  # validate names before any request
        if bucket_id is None:
            bucket_id = self.get_bucket(bucket_name=bucket_name)["bucketId"]
        token = self._api(
            raw.get_download_authorization,
            None,
            None,
            bucket_id=bucket_id,
            file_name_prefix=file_name,
            valid_duration_in_seconds=valid_duration_in_seconds,
            overrides=params,
        )["authorizationToken"]
        return download_url_by_name(
            self.authorization.download_url,
            bucket_name,
            file_name,
            authorization=token,
            **params,
        )

    def download_file_by_name(
        self,
        bucket_name: str,
        file_name: str,
        *,
        range: RangeArg = None,
        authorization: str | None = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        **b2_overrides: str | None,
    ) -> DownloadedFile:
        """Start a streamed download of the newest version of a name.

        ``authorization`` is a download-authorization token to use instead of the account token.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)
        overrides = override_params(b2_overrides)

        def open_at(header: str | None) -> requests.Response:
            def run(auth: AccountAuthorization) -> requests.Response:
                return raw.download_file_by_name(
                    self._transport,
                    auth.download_url,
                    authorization or auth.authorization_token,
                    bucket_name=bucket_name,
                    file_name=file_name,
                    range_header=header,
                    overrides=overrides,
                    http=http,
                    http_override=http_override,
                )

            return self._call(run, reauth=authorization is None)

        return self._downloaded(open_at, range, progress, verify)

    def download_file_by_id(
        self,
        file_id: str,
        *,
        range: RangeArg = None,
        authorization: str | None = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        **b2_overrides: str | None,
    ) -> DownloadedFile:
        """Start a streamed download of one exact file version."""
        _require_id("file_id", file_id)
        overrides = override_params(b2_overrides)

        def open_at(header: str | None) -> requests.Response:
            def run(auth: AccountAuthorization) -> requests.Response:
                return raw.download_file_by_id(
                    self._transport,
                    auth.download_url,
                    authorization or auth.authorization_token,
                    file_id=file_id,
                    range_header=header,
                    overrides=overrides,
                    http=http,
                    http_override=http_override,
                )

            return self._call(run, reauth=authorization is None)

        return self._downloaded(open_at, range, progress, verify)

    def _downloaded(
        self,
        open_at: Callable[[str | None], requests.Response],
        range: RangeArg,
        progress: ProgressCallback | None,
        verify: bool,
    ) -> DownloadedFile:
        from .download import DownloadedFile

        response = open_at(range_header(range))
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        last = match.group(2) if match else ""

        def reopen(offset: int) -> requests.Response:
            # ``offset`` is the absolute byte to continue from; keep the original end.
            return open_at(f"bytes={offset}-{last}")

        return DownloadedFile(response, reopen=reopen, verify=verify, progress=progress)

    # --- keys ----------------------------------------------------------------------------------

    def create_key(
        self,
        key_name: str,
        capabilities: list[str],
        *,
        valid_duration_in_seconds: int | None = None,
        bucket_id: str | None = None,
        name_prefix: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> CreatedApplicationKey:
        validate_key_name(key_name)
        caps = validate_capabilities(capabilities, bucket_restricted=bucket_id is not None)
        if valid_duration_in_seconds is not None:
            validate_key_duration(valid_duration_in_seconds)
        if bucket_id is not None:
            _require_id("bucket_id", bucket_id)
        if name_prefix is not None:
            validate_prefix(name_prefix, "name_prefix")
            if bucket_id is None:
                raise B2ValidationError("name_prefix needs bucket_id=... (API v3)")
        return self._api(
            raw.create_key,
            http,
            http_override,
            account=True,
            key_name=key_name,
            capabilities=caps,
            valid_duration_in_seconds=valid_duration_in_seconds,
            bucket_id=bucket_id,
            name_prefix=name_prefix,
        )

    def delete_key(
        self,
        application_key_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ApplicationKey:
        _require_id("application_key_id", application_key_id)
        return self._api(raw.delete_key, http, http_override, application_key_id=application_key_id)

    def list_keys(
        self,
        *,
        max_key_count: int | None = None,
        start_application_key_id: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListKeysResponse:
        if max_key_count is not None:
            validate_count("max_key_count", max_key_count, 10_000)
        return self._api(
            raw.list_keys,
            http,
            http_override,
            account=True,
            max_key_count=max_key_count,
            start_application_key_id=start_application_key_id,
        )

    # --- high level (client transfers) ---------------------------------------------------------

    def upload(
        self,
        bucket_id: str,
        file_name: str,
        source: Any,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
        content_length: int | None = None,
        large_file_threshold: int | None = None,
        part_size: int | None = None,
        max_workers: int = 4,
        resume: bool = True,
        cancel_on_failure: bool = True,
        progress: ProgressCallback | None = None,
        large_file_sha1: str | bool | None = None,
    ) -> dict[str, Any]:
        """Upload from bytes, a path, a file object or an iterable of bytes (small or large file);
        see :func:`django_b2.client.upload.upload`. ``large_file_sha1``: None (default, not
        set), True (computed with one extra read) or the file's SHA-1 hex."""
        from .upload import upload

        result: dict[str, Any] = upload(
            self,
            bucket_id,
            file_name,
            source,
            content_type=content_type,
            file_info=file_info,
            content_length=content_length,
            large_file_threshold=large_file_threshold,
            part_size=part_size,
            max_workers=max_workers,
            resume=resume,
            cancel_on_failure=cancel_on_failure,
            progress=progress,
            large_file_sha1=large_file_sha1,
        )
        return result

    def download(
        self,
        *,
        bucket_name: str | None = None,
        file_name: str | None = None,
        file_id: str | None = None,
        destination: str | os.PathLike[str] | IO[bytes],
        range: RangeArg = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
    ) -> dict[str, Any]:
        """Download into a path or a writable binary file; see
        :func:`django_b2.client.download.download`."""
        from .download import download

        return download(
            self,
            bucket_name=bucket_name,
            file_name=file_name,
            file_id=file_id,
            destination=destination,
            range=range,
            progress=progress,
            verify=verify,
        )


def _check_explicit_url(upload_url: str | None, authorization_token: str | None) -> None:
    if (upload_url is None) != (authorization_token is None):
        raise B2ValidationError(
            "upload_url and authorization_token go together: pass both (from get_upload_url / "
            "get_upload_part_url) or neither"
        )


def _check_listing(
    bucket_id: str,
    start_file_name: str | None,
    max_file_count: int | None,
    prefix: str | None,
    delimiter: str | None,
) -> None:
    _require_id("bucket_id", bucket_id)
    if start_file_name is not None:
        validate_file_name(start_file_name, "start_file_name")
    if max_file_count is not None:
        validate_count("max_file_count", max_file_count, 10_000)
    if prefix is not None:
        validate_prefix(prefix)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise B2ValidationError(
            f"delimiter must be a single character such as '/', not {delimiter!r}"
        )
