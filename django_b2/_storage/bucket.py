"""``Bucket``: a storage's options, its client (built on first use) and its bucket id.

Nothing here talks to B2 before it is needed: the client is built on first use, and the bucket
id comes from the options, the key's bucket restriction, the shared cache or one
``b2_list_buckets`` for all workers.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Final

from django.core.cache import BaseCache, caches
from django.core.files.storage import Storage

from django_b2 import conf
from django_b2.cache import DjangoCacheAuthStore, cache_lock
from django_b2.client import B2Client, RetryPolicy
from django_b2.client.errors import B2NotFound

__all__ = [
    "BUCKET_ID_CACHE_PREFIX",
    "BUCKET_ID_TTL",
    "LOOKUP_LOCK_TIMEOUT",
    "LOOKUP_LOCK_WAIT",
    "WEB_TIMEOUT",
    "Bucket",
]

BUCKET_ID_CACHE_PREFIX: Final = "django_b2:bucket:v1:"
#: Seconds a looked-up bucket id stays in the shared cache.
BUCKET_ID_TTL: Final = 3600
#: (connect, read) seconds for the storage's requests: a web worker should not wait long for a
#: host that does not answer (the client alone waits (10, 120)).
WEB_TIMEOUT: Final = (5.0, 60.0)
#: Longest a worker waits for another one looking up the bucket id before looking it up itself.
LOOKUP_LOCK_WAIT: Final = 10.0
#: A looking-up worker's lock expires after this many seconds even if it dies holding it.
LOOKUP_LOCK_TIMEOUT: Final = 60


class Bucket(Storage):
    """The bottom part of :class:`~django_b2.storage.B2Storage`: options, client, bucket."""

    # Set by B2Storage.__init__ (and again when a pickle is loaded).
    config: conf.B2Config
    _lock: threading.RLock
    _client: B2Client | None
    _bucket_id: str | None

    @property
    def bucket_name(self) -> str:
        return self.config.bucket_name

    @property
    def location(self) -> str:
        return self.config.location

    @property
    def cache(self) -> BaseCache:
        """The Django cache shared by workers (authorization, bucket id, download tokens)."""
        return caches[self.config.auth_cache]

    @property
    def client(self) -> B2Client:
        """The :class:`B2Client`, built on first use (no request is made here)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
                client = self._client
        return client

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`B2Client` besides the credentials.

        Override in a subclass to pass what settings cannot hold, e.g. a ``RetryPolicy``, a
        ``requests.Session`` or ``proxies``.
        """
        cfg = self.config
        return {
            "api_url": cfg.api_url,
            "auth_store": DjangoCacheAuthStore(cfg.auth_cache),
            "http_options": dict(cfg.http_options) if cfg.http_options else None,
            "test_mode": cfg.test_mode,
            "retry": RetryPolicy.for_web_requests(**(cfg.retry or {})),
            "timeout": WEB_TIMEOUT,
        }

    def command_client(self) -> B2Client:
        """A new client for management commands: like :attr:`client`, but with the client's own
        looser retry policy and timeouts (the ``retry`` option's fields still apply), unless a
        subclass's :meth:`client_kwargs` chose others. A command is not a web request: it may
        wait out a long ``Retry-After`` rather than fail."""
        cfg = self.config
        kwargs = self.client_kwargs()
        if kwargs.get("retry") == RetryPolicy.for_web_requests(**(cfg.retry or {})):
            kwargs["retry"] = RetryPolicy(**(cfg.retry or {}))
        if kwargs.get("timeout") == WEB_TIMEOUT:
            del kwargs["timeout"]
        return B2Client(cfg.application_key_id, cfg.application_key, **kwargs)

    def _build_client(self) -> B2Client:
        cfg = self.config
        return B2Client(cfg.application_key_id, cfg.application_key, **self.client_kwargs())

    @property
    def bucket_id(self) -> str:
        """The bucket's id: from OPTIONS, the key's restriction, the shared cache or one lookup."""
        if self._bucket_id is None:
            with self._lock:
                if self._bucket_id is None:
                    self._bucket_id = self._lookup_bucket_id()
        return self._bucket_id

    def _lookup_bucket_id(self) -> str:
        cfg = self.config
        auth = self.client.authorization
        if auth.bucket_id and auth.bucket_name == cfg.bucket_name:
            return str(auth.bucket_id)
        material = f"{auth.account_id}\0{cfg.bucket_name}".encode()
        digest = hashlib.sha256(material).hexdigest()
        cache_key = BUCKET_ID_CACHE_PREFIX + digest
        cached = self.cache.get(cache_key)
        if isinstance(cached, str):
            return cached
        # One worker looks it up while the others wait and then read what it stored (after
        # LOOKUP_LOCK_WAIT seconds they look it up themselves).
        with cache_lock(
            self.cache,
            BUCKET_ID_CACHE_PREFIX + "lock:" + digest,
            timeout=LOOKUP_LOCK_TIMEOUT,
            wait=LOOKUP_LOCK_WAIT,
        ):
            cached = self.cache.get(cache_key)
            if isinstance(cached, str):
                return cached
            return self._fetch_bucket_id(cache_key)

    def _fetch_bucket_id(self, cache_key: str) -> str:
        cfg = self.config
        try:
            bucket = self.client.get_bucket(bucket_name=cfg.bucket_name)
        except B2NotFound as exc:
            raise conf.B2ConfigurationError(
                f"B2 has no bucket {cfg.bucket_name!r} visible to application key "
                f"{cfg.application_key_id!r}. Create it (manage.py b2_buckets create) or fix "
                "OPTIONS['bucket_name'] or B2_BUCKET_NAME.",
                check_id="django_b2.E002",
            ) from exc
        bucket_id = str(bucket["bucketId"])
        self.cache.set(cache_key, bucket_id, timeout=BUCKET_ID_TTL)
        return bucket_id

    @property
    def download_url(self) -> str:
        return str(self.client.authorization.download_url)
