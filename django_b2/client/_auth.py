"""Account authorization: the parsed ``b2_authorize_account`` answer and where it is cached.

``AccountAuthorization`` never holds the application key, so it may be cached (in memory, in
Django's cache, ...) and shared by workers. ``AuthStore`` is the protocol such caches implement;
``lock(key)`` serializes re-authorization so that one worker logs in while the others wait and then
reuse its token.

For the client's own use: ``Secret`` holds the application key (never in a repr, never pickled),
``ApplicationKeyAuth`` turns it into the ``b2_authorize_account`` header only when the request is
sent, and ``needs_reauth`` says which 401s a newer account token may cure.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import requests

from .errors import B2AuthTokenExpired, B2Unauthorized, B2ValidationError

__all__ = ["AccountAuthorization", "AuthStore", "InMemoryAuthStore", "auth_cache_key"]


@dataclass(frozen=True)
class AccountAuthorization:
    """What the client keeps from ``b2_authorize_account`` (v3). JSON-safe; holds no key."""

    account_id: str
    authorization_token: str
    api_url: str
    download_url: str
    recommended_part_size: int
    absolute_minimum_part_size: int
    capabilities: tuple[str, ...]
    bucket_id: str | None
    bucket_name: str | None
    name_prefix: str | None
    obtained_at: float

    def __repr__(self) -> str:
        # The token is a credential for up to 24 hours: keep it out of logs and tracebacks.
        return (
            f"AccountAuthorization(account_id={self.account_id!r}, api_url={self.api_url!r}, "
            f"download_url={self.download_url!r}, bucket_name={self.bucket_name!r}, "
            f"name_prefix={self.name_prefix!r}, obtained_at={self.obtained_at!r})"
        )

    @classmethod
    def from_response(
        cls, body: Mapping[str, Any], obtained_at: float | None = None
    ) -> AccountAuthorization:
        """Parse a v3 ``b2_authorize_account`` body (``apiInfo.storageApi``)."""
        try:
            storage = body["apiInfo"]["storageApi"]
            return cls(
                account_id=str(body["accountId"]),
                authorization_token=str(body["authorizationToken"]),
                api_url=str(storage["apiUrl"]).rstrip("/"),
                download_url=str(storage["downloadUrl"]).rstrip("/"),
                recommended_part_size=int(storage["recommendedPartSize"]),
                absolute_minimum_part_size=int(storage["absoluteMinimumPartSize"]),
                capabilities=tuple(storage.get("capabilities") or ()),
                bucket_id=storage.get("bucketId"),
                bucket_name=storage.get("bucketName"),
                name_prefix=storage.get("namePrefix"),
                obtained_at=time.time() if obtained_at is None else obtained_at,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise B2ValidationError(
                f"b2_authorize_account answered without the v3 field {exc}; check that api_url "
                "points at a B2 API server"
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``capabilities`` as a list); the inverse of :meth:`from_dict`."""
        data = asdict(self)
        data["capabilities"] = list(self.capabilities)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccountAuthorization:
        """Rebuild from :meth:`to_dict` output (e.g. read back from a cache)."""
        values = dict(data)
        values["capabilities"] = tuple(values.get("capabilities") or ())
        return cls(**values)

    def age(self, now: float | None = None) -> float:
        """Seconds since this authorization was obtained."""
        return (time.time() if now is None else now) - self.obtained_at


@runtime_checkable
class AuthStore(Protocol):
    """Where authorizations are cached, keyed by :attr:`B2Client.auth_cache_key`."""

    def get(self, key: str) -> AccountAuthorization | None: ...

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[None]: ...


class InMemoryAuthStore:
    """An ``AuthStore`` for one process: a dict with expiry and one lock per key."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._items: dict[str, tuple[AccountAuthorization, float]] = {}
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str) -> AccountAuthorization | None:
        with self._guard:
            item = self._items.get(key)
            if item is None:
                return None
            value, expires_at = item
            if time.monotonic() >= expires_at:
                del self._items[key]
                return None
            return value

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None:
        with self._guard:
            self._items[key] = (value, time.monotonic() + ttl)

    def delete(self, key: str) -> None:
        with self._guard:
            self._items.pop(key, None)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            yield


def auth_cache_key(api_url: str, application_key_id: str, application_key: str) -> str:
    """The store key for one set of credentials; the key itself is only ever hashed."""
    key_hash = hashlib.sha256(application_key.encode("utf-8")).hexdigest()
    material = "\0".join((api_url.rstrip("/"), application_key_id, key_hash))
    return "django_b2:auth:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


class Secret:
    """Holds the application key; its repr never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def is_filled(self) -> bool:
        """Whether it holds a non-empty ``str`` (checked without handing the value out)."""
        return isinstance(self._value, str) and bool(self._value)

    def __repr__(self) -> str:
        return "'********'"

    def __reduce__(self) -> Any:
        raise TypeError("the application key is not picklable")


class ApplicationKeyAuth(requests.auth.AuthBase):
    """``requests`` auth that adds ``Authorization: Basic base64(key_id:key)`` at send time.

    The header is built from the :class:`Secret` inside ``requests`` when the request is
    prepared, so no caller's frame holds the key or the header in a local variable; the repr
    names only the key id, and the object cannot be pickled.
    """

    def __init__(self, application_key_id: str, application_key: Secret) -> None:
        self._key_id = application_key_id
        self._key = application_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = "Basic " + base64.b64encode(
            f"{self._key_id}:{self._key.reveal()}".encode()
        ).decode("ascii")
        return request

    def __repr__(self) -> str:
        return f"ApplicationKeyAuth(application_key_id={self._key_id!r}, application_key=****)"

    def __reduce__(self) -> Any:
        raise TypeError("the application key is not picklable")


def needs_reauth(exc: B2Unauthorized) -> bool:
    """``bad_auth_token``/``expired_auth_token``, or a body-less 401 (``HEAD``: code unknown)."""
    return isinstance(exc, B2AuthTokenExpired) or (type(exc) is B2Unauthorized and not exc.code)
