"""Signed (download-authorization) URLs for private buckets, with token reuse.

A B2 download authorization is minted by a request (``b2_get_download_authorization``) for a
file-name *prefix* and a lifetime. To keep :meth:`B2Storage.url` free of requests in steady state,
a token is minted for ``expire + url_token_reuse`` seconds and kept in the storage's shared Django
cache; every URL asked for while the token still has at least ``expire`` seconds left reuses it.
So each URL is valid for at least ``expire`` seconds and at most ``expire + url_token_reuse``.

Which prefix a token covers is the ``signed_url_scope`` option:

* ``"location"`` (default): one token for the storage's ``location`` (``"<location>/"``, or the
  whole bucket when ``location`` is empty). One request per reuse window for every URL of the
  storage, but a URL's token also opens the other files under that location: do not use it when
  users must not read each other's files by editing a URL.
* ``"file"``: one token per file name; a URL opens only its own file (and names that extend it,
  since B2 matches prefixes). One request per file per reuse window.

A URL that asks for a ``content_disposition`` always gets a per-file token minted with that
disposition (B2 requires the token to carry the override it serves).

Minting is serialized through the shared cache (:func:`django_b2.cache.cache_lock`): when a burst
of workers finds no token, one mints it while the others wait (at most :data:`MINT_LOCK_WAIT`
seconds) and then take it from the cache. A worker that waited longer than that mints its own
token rather than fail.

Each storage also keeps the tokens it last used in memory, so a steady stream of ``url()`` calls
does not read the shared cache every time: a remembered token is used while it has ``expire``
seconds left and was read from (or written to) the cache less than :data:`MEMO_RECHECK` seconds
ago; after that the cache is read again, so a token deleted from the cache (e.g. ``cache.clear()``)
stops being used within that time.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from typing import TYPE_CHECKING, Any, Final

from django_b2 import conf
from django_b2.cache import cache_lock
from django_b2.client import download_url_by_name

if TYPE_CHECKING:
    from django.core.cache import BaseCache

    from .storage import B2Storage

__all__ = ["MEMO_RECHECK", "MINT_LOCK_WAIT", "TOKEN_CACHE_PREFIX", "download_token", "signed_url"]

TOKEN_CACHE_PREFIX: Final = "django_b2:dltoken:v1:"
#: Longest a worker waits for another one minting the same token before minting its own.
MINT_LOCK_WAIT: Final = 10.0
#: A minting worker's lock expires after this many seconds even if it dies holding it.
_MINT_LOCK_TIMEOUT: Final = 60
#: Seconds taken off a token's lifetime for clock skew and request latency.
_SAFETY_MARGIN: Final = 5
#: Seconds a storage trusts its in-memory copy of a token before reading the shared cache again.
MEMO_RECHECK: Final = 1.0
#: Tokens remembered per storage (one per prefix with scope "file"); the memo starts over beyond.
_MEMO_SIZE: Final = 4096

# storage -> {(api_url, key id, bucket, prefix, disposition, lifetime): (token, expiry, read_at)}
_memos: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], tuple[str, float, float]]] = (
    weakref.WeakKeyDictionary()
)


def _check_expire(expire: Any) -> int:
    if isinstance(expire, bool) or not isinstance(expire, int):
        raise TypeError(f"expire must be an int number of seconds, got {expire!r}.")
    if not 1 <= expire <= conf.MAX_URL_EXPIRE:
        raise ValueError(
            f"expire must be between 1 and {conf.MAX_URL_EXPIRE} seconds (B2's limit for "
            f"download authorizations), got {expire}."
        )
    return expire


def download_token(
    storage: B2Storage,
    prefix: str,
    expire: int,
    *,
    content_disposition: str | None = None,
) -> str:
    """A download-authorization token for ``prefix`` valid for at least ``expire`` seconds."""
    cfg = storage.config
    expire = _check_expire(expire)
    lifetime = min(expire + cfg.url_token_reuse, conf.MAX_URL_EXPIRE)
    parts = (
        cfg.api_url,
        cfg.application_key_id,
        cfg.bucket_name,
        prefix,
        content_disposition or "",
        str(lifetime),
    )
    memo = _memos.get(storage)
    if memo is None:
        memo = _memos.setdefault(storage, {})
    now = time.time()
    remembered = memo.get(parts)
    if (
        remembered is not None
        and now - remembered[2] < MEMO_RECHECK
        and remembered[1] - now >= expire
    ):
        return remembered[0]
    found = _shared_token(storage, parts, prefix, lifetime, expire, content_disposition)
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[parts] = (found[0], found[1], now)
    return found[0]


def _shared_token(
    storage: B2Storage,
    parts: tuple[str, ...],
    prefix: str,
    lifetime: int,
    expire: int,
    content_disposition: str | None,
) -> tuple[str, float]:
    """The token (and when it expires) from the shared cache, minted if the cache has none."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    cache_key = TOKEN_CACHE_PREFIX + digest
    cache = storage.cache
    found = _cached_token(cache, cache_key, expire)
    if found is not None:
        return found
    with cache_lock(
        cache,
        TOKEN_CACHE_PREFIX + "lock:" + digest,
        timeout=_MINT_LOCK_TIMEOUT,
        wait=MINT_LOCK_WAIT,
    ):
        # Another worker may have minted it while this one waited for the lock.
        found = _cached_token(cache, cache_key, expire)
        if found is not None:
            return found
        return _mint(storage, cache, cache_key, prefix, lifetime, expire, content_disposition)


def _cached_token(cache: BaseCache, cache_key: str, expire: int) -> tuple[str, float] | None:
    cached = cache.get(cache_key)
    if isinstance(cached, dict) and isinstance(cached.get("token"), str):
        expires_at = float(cached.get("expires_at", 0))
        if expires_at - time.time() >= expire:
            return str(cached["token"]), expires_at
    return None


def _mint(
    storage: B2Storage,
    cache: BaseCache,
    cache_key: str,
    prefix: str,
    lifetime: int,
    expire: int,
    content_disposition: str | None,
) -> tuple[str, float]:
    started = time.time()
    answer = storage.client.get_download_authorization(
        storage.bucket_id,
        prefix,
        lifetime,
        b2_content_disposition=content_disposition,
    )
    token = str(answer["authorizationToken"])
    expires_at = started + lifetime - _SAFETY_MARGIN
    keep_for = int(expires_at - time.time()) - expire
    if keep_for > 0:
        cache.set(cache_key, {"token": token, "expires_at": expires_at}, timeout=keep_for)
    return token, expires_at


def signed_url(
    storage: B2Storage,
    name: str,
    expire: int | None = None,
    content_disposition: str | None = None,
) -> str:
    """A URL that downloads ``name`` from the storage's bucket for at least ``expire`` seconds.

    ``expire`` defaults to the storage's ``url_expire``; ``content_disposition`` (RFC 6266, e.g.
    ``'attachment; filename="report.pdf"'``) makes browsers save the file under that name.
    """
    cfg = storage.config
    seconds = _check_expire(cfg.url_expire if expire is None else expire)
    key = storage.b2_name(name)
    if content_disposition is not None or cfg.signed_url_scope == "file":
        prefix = key
    else:
        prefix = f"{cfg.location}/" if cfg.location else ""
    token = download_token(storage, prefix, seconds, content_disposition=content_disposition)
    base = cfg.custom_domain or storage.download_url
    return download_url_by_name(
        base,
        cfg.bucket_name,
        key,
        authorization=token,
        b2_content_disposition=content_disposition,
    )
