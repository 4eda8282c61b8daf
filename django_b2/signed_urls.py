"""Signed (download-authorization) URLs for private buckets, with bounded token reuse.

A B2 download authorization is minted by a request (``b2_get_download_authorization``) for a
file-name *prefix* and a lifetime. Which prefix is the ``signed_url_scope`` option:

* ``"file"`` (default): the file's own name. A URL opens only its file, and (B2 matches prefixes)
  files whose names extend that name (``report.pdf`` also opens ``report.pdf.bak``); see
  ``docs/security.md``. One token per file.
* ``"location"`` (opt-in): ``"<location>/"``, one token for every file of the storage, so a URL
  edited to another name under the location opens that file too. Refused (system check
  ``django_b2.E006``) when ``location`` is empty: the token would open the whole bucket.

A URL that asks for a ``content_disposition`` always gets a per-file token minted with that
disposition (B2 requires the token to carry the override it serves).

Lifetime: ``url(name, expire=E)`` returns a URL that works for at least ``E`` seconds and stops
working at most ``E + R`` seconds after it was returned, where the reuse window
``R = min(max(E // 10, 60), url_token_reuse, 604800 - E)`` (:func:`reuse_window`;
``url_token_reuse`` is ``None`` by default, i.e. no further limit). Each token is minted for
``E + R`` seconds and kept in the storage's shared Django cache; a URL asked for while a token
still has ``E`` seconds (plus :data:`_SAFETY_MARGIN`) to live reuses it. That is what makes a
repeated ``url()`` free: a page of 50 files costs at most 50 requests when first rendered and none
when rendered again within ``R`` seconds.

A token is handed out only while the account authorization it was minted under is the current
one: each cached token carries a fingerprint (a hash) of that authorization's token, and is
ignored once the shared authorization has been replaced (another key or account, or a
re-authorization after B2 rejected the old token), so links made after a key change or a B2
restart do not carry tokens minted for the old one.

Minting is serialized through the shared cache (:func:`django_b2.cache.cache_lock`): when a burst
of workers finds no token, one mints it while the others wait (at most :data:`MINT_LOCK_WAIT`
seconds) and then take it from the cache. A worker that waited longer than that mints its own
token rather than fail.

Each storage also keeps the tokens it last used in memory, so a steady stream of ``url()`` calls
does not read the shared cache every time: a remembered token is used while it has ``expire``
seconds left, was minted under this process's current authorization, and was read from (or
written to) the cache less than :data:`MEMO_RECHECK` seconds ago; after that the cache (and the
shared authorization) is read again, so a token deleted from the cache, or one minted under an
authorization another worker has replaced, stops being used within that time.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from django_b2 import conf
from django_b2.cache import cache_lock
from django_b2.client import download_url_by_name

if TYPE_CHECKING:
    from django.core.cache import BaseCache

    from .client import AccountAuthorization
    from .storage import B2Storage

__all__ = [
    "MEMO_RECHECK",
    "MINT_LOCK_WAIT",
    "MIN_REUSE",
    "TOKEN_CACHE_PREFIX",
    "download_token",
    "reuse_window",
    "signed_url",
]

#: v2: entries carry the fingerprint of the authorization they were minted under.
TOKEN_CACHE_PREFIX: Final = "django_b2:dltoken:v2:"
#: Longest a worker waits for another one minting the same token before minting its own.
MINT_LOCK_WAIT: Final = 10.0
#: A minting worker's lock expires after this many seconds even if it dies holding it.
_MINT_LOCK_TIMEOUT: Final = 60
#: Seconds taken off a token's lifetime for clock skew and request latency.
_SAFETY_MARGIN: Final = 5
#: Seconds a storage trusts its in-memory copy of a token before reading the shared cache again.
MEMO_RECHECK: Final = 1.0
#: Tokens remembered per storage (one per file with scope "file"); the memo starts over beyond.
_MEMO_SIZE: Final = 4096
#: The reuse window of a URL of ``expire`` seconds is ``max(expire // 10, MIN_REUSE)`` at most.
MIN_REUSE: Final = 60


class _Remembered(NamedTuple):
    token: str
    expires_at: float
    read_at: float
    #: The account authorization token the download token was minted under (process memory).
    minted_under: str


# storage -> {(api_url, key id, bucket, prefix, disposition, lifetime): _Remembered}
_memos: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], _Remembered]] = (
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


def reuse_window(expire: int, url_token_reuse: int | None = None) -> int:
    """Seconds a token for URLs of ``expire`` seconds outlives them, and so is reused.

    ``max(expire // 10, MIN_REUSE)``, lowered to ``url_token_reuse`` when that is set, and never
    past B2's 7-day limit: a URL stops working at most ``expire`` + this after it was made.
    """
    window = max(expire // 10, MIN_REUSE)
    if url_token_reuse is not None:
        window = min(window, url_token_reuse)
    return max(0, min(window, conf.MAX_URL_EXPIRE - expire))


def _fingerprint(auth: AccountAuthorization) -> str:
    """What a cached token records of the authorization it was minted under (not the token)."""
    material = f"{auth.account_id}\0{auth.authorization_token}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def download_token(
    storage: B2Storage,
    prefix: str,
    expire: int,
    *,
    content_disposition: str | None = None,
) -> str:
    """A download-authorization token for ``prefix`` that lives ``expire`` to ``expire + R`` s.

    ``R`` is :func:`reuse_window` of ``expire`` and the storage's ``url_token_reuse``.
    """
    cfg = storage.config
    expire = _check_expire(expire)
    lifetime = expire + reuse_window(expire, cfg.url_token_reuse)
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
    if remembered is not None and now - remembered.read_at < MEMO_RECHECK:
        known = storage.client.last_authorization  # no I/O
        if (
            known is not None
            and remembered.minted_under == known.authorization_token
            and remembered.expires_at - now >= expire
        ):
            return remembered.token
    found = _shared_token(storage, parts, prefix, lifetime, expire, content_disposition)
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[parts] = _Remembered(found[0], found[1], now, found[2])
    return found[0]


def _shared_token(
    storage: B2Storage,
    parts: tuple[str, ...],
    prefix: str,
    lifetime: int,
    expire: int,
    content_disposition: str | None,
) -> tuple[str, float, str]:
    """The token, when it expires and the authorization token it was minted under: from the
    shared cache if minted under the current shared authorization, else minted now."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    cache_key = TOKEN_CACHE_PREFIX + digest
    cache = storage.cache
    current = storage.client.current_authorization()
    found = _cached_token(cache, cache_key, expire, _fingerprint(current))
    if found is not None:
        return (*found, current.authorization_token)
    with cache_lock(
        cache,
        TOKEN_CACHE_PREFIX + "lock:" + digest,
        timeout=_MINT_LOCK_TIMEOUT,
        wait=MINT_LOCK_WAIT,
    ):
        # Another worker may have minted it while this one waited for the lock.
        found = _cached_token(cache, cache_key, expire, _fingerprint(current))
        if found is not None:
            return (*found, current.authorization_token)
        return _mint(storage, cache, cache_key, prefix, lifetime, expire, content_disposition)


def _cached_token(
    cache: BaseCache, cache_key: str, expire: int, fingerprint: str
) -> tuple[str, float] | None:
    cached = cache.get(cache_key)
    if (
        isinstance(cached, dict)
        and isinstance(cached.get("token"), str)
        and cached.get("auth") == fingerprint
    ):
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
) -> tuple[str, float, str]:
    client = storage.client
    started = time.time()
    answer = client.get_download_authorization(
        storage.bucket_id,
        prefix,
        lifetime,
        b2_content_disposition=content_disposition,
    )
    # The authorization the call used: a re-authorization during the call replaced it.
    minted_under = client.last_authorization or client.current_authorization()
    token = str(answer["authorizationToken"])
    expires_at = started + lifetime - _SAFETY_MARGIN
    keep_for = int(expires_at - time.time()) - expire
    if keep_for > 0:
        entry = {"token": token, "expires_at": expires_at, "auth": _fingerprint(minted_under)}
        cache.set(cache_key, entry, timeout=keep_for)
    return token, expires_at, minted_under.authorization_token


def signed_url(
    storage: B2Storage,
    name: str,
    expire: int | None = None,
    content_disposition: str | None = None,
) -> str:
    """A URL that downloads ``name`` from the storage's bucket for ``expire`` seconds.

    ``expire`` defaults to the storage's ``url_expire``; the URL stops working at most
    :func:`reuse_window` seconds later. ``content_disposition`` (RFC 6266, e.g.
    ``'attachment; filename="report.pdf"'``) makes browsers save the file under that name.
    """
    cfg = storage.config
    seconds = _check_expire(cfg.url_expire if expire is None else expire)
    key = storage.b2_name(name)
    if content_disposition is None and cfg.signed_url_scope == "location" and cfg.location:
        prefix = storage.name_prefix
    else:
        prefix = key  # one file; never the whole bucket, whatever the options say
    token = download_token(storage, prefix, seconds, content_disposition=content_disposition)
    base = cfg.custom_domain or storage.download_url
    return download_url_by_name(
        base,
        cfg.bucket_name,
        key,
        authorization=token,
        b2_content_disposition=content_disposition,
    )
