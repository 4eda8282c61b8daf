"""``DjangoCacheAuthStore``: the client's ``AuthStore`` on a Django cache alias.

Every worker (thread or process) that uses the same cache alias shares one B2 account
authorization, so a fleet of workers authorizes once instead of once per process. The store keeps
only what :class:`~django_b2.client.AccountAuthorization` holds (token, URLs, limits), never the
application key. It touches nothing but its own keys: no ``cache.clear()``, ever.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from django.core.cache import BaseCache, caches

from django_b2.client import AccountAuthorization

__all__ = ["KEY_PREFIX", "MAX_TTL", "DjangoCacheAuthStore", "cache_lock"]

#: Versioned prefix of every key this store writes; bump the version when the stored shape changes.
KEY_PREFIX: Final = "django_b2:auth:v1:"
#: Longest time an authorization stays in the cache: well inside B2's 24-hour token lifetime.
MAX_TTL: Final = 20 * 3600


@contextmanager
def cache_lock(
    cache: BaseCache,
    lock_key: str,
    *,
    timeout: float = 30.0,
    wait: float = 30.0,
    poll_interval: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[bool]:
    """Hold ``lock_key`` in ``cache`` while the block runs; yield whether it was acquired.

    Taken with ``cache.add`` (atomic on Redis, Memcached, the database and local-memory caches),
    so it is exclusive across threads and processes sharing the cache. A worker that finds it
    taken polls every ``poll_interval`` seconds for at most ``wait`` seconds, then runs the block
    anyway (yielding ``False``): the holder may have died, and its lock expires by itself after
    ``timeout`` seconds. Only a lock still held under this worker's token is released.
    """
    token = uuid.uuid4().hex
    expiry = max(1, int(timeout))
    deadline = clock() + wait
    acquired = bool(cache.add(lock_key, token, timeout=expiry))
    while not acquired and clock() < deadline:
        sleep(poll_interval)
        acquired = bool(cache.add(lock_key, token, timeout=expiry))
    try:
        yield acquired
    finally:
        # Release only a lock we still own (it may have expired and been taken by another).
        if acquired and cache.get(lock_key) == token:
            cache.delete(lock_key)


class DjangoCacheAuthStore:
    """Share B2 authorizations through the Django cache ``alias``.

    ``lock(key)`` serializes re-authorization across processes with ``cache.add`` (atomic on
    Redis, Memcached and the database cache): one worker holds the lock while others poll every
    ``poll_interval`` seconds, for at most ``lock_wait`` seconds, after which they proceed anyway
    (the holder may have died; its lock expires after ``lock_timeout`` seconds).
    """

    def __init__(
        self,
        alias: str = "default",
        *,
        lock_timeout: float = 30.0,
        lock_wait: float = 30.0,
        poll_interval: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.alias = alias
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"DjangoCacheAuthStore(alias={self.alias!r})"

    @property
    def cache(self) -> BaseCache:
        return caches[self.alias]

    @staticmethod
    def cache_key(key: str) -> str:
        return KEY_PREFIX + key

    @staticmethod
    def lock_key(key: str) -> str:
        return KEY_PREFIX + "lock:" + key

    def get(self, key: str) -> AccountAuthorization | None:
        raw: Any = self.cache.get(self.cache_key(key))
        if not isinstance(raw, dict):
            return None
        try:
            return AccountAuthorization.from_dict(raw)
        except (KeyError, TypeError, ValueError):
            # A shape written by another version of this package: ignore it, it will be replaced.
            return None

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None:
        timeout = max(1, int(min(ttl, MAX_TTL)))
        self.cache.set(self.cache_key(key), value.to_dict(), timeout=timeout)

    def delete(self, key: str) -> None:
        self.cache.delete(self.cache_key(key))

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with cache_lock(
            self.cache,
            self.lock_key(key),
            timeout=self.lock_timeout,
            wait=self.lock_wait,
            poll_interval=self.poll_interval,
            sleep=self._sleep,
            clock=self._clock,
        ):
            yield
