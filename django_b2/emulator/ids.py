"""B2-shaped identifiers: account, bucket, key and file ids, application keys, tokens."""

from __future__ import annotations

import secrets
import time

#: The kind digit after ``_f`` in a file id (b2sdk's ``FileVersion._type``).
FILE_KIND_SMALL = "1"
FILE_KIND_LARGE = "2"


def account_id() -> str:
    """12 hex digits."""
    return secrets.token_hex(6)


def bucket_id() -> str:
    """24 hex digits."""
    return secrets.token_hex(12)


def key_id(account: str) -> str:
    """``005``, the account id, 10 hex digits."""
    return "005" + account + secrets.token_hex(5)


def application_key() -> str:
    """``K005`` and 27 URL-safe characters (31 in all, as B2's)."""
    return "K005" + secrets.token_urlsafe(20)[:27]


def file_id(bucket: str, kind: str, now_ms: int) -> str:
    """A B2-shaped id (83 characters with a 24-hex bucket id): ``4_z<bucket>_f<kind><15
    hex>_d<yyyymmdd>_m<hhmmss>_c<nnn>_v<nnnnnnn>_t<nnnn>``; b2sdk reads ``kind``."""
    stamp = time.gmtime(now_ms // 1000)
    return (
        f"4_z{bucket}_f{kind}{secrets.token_hex(8)[:15]}"
        f"_d{time.strftime('%Y%m%d', stamp)}_m{time.strftime('%H%M%S', stamp)}"
        f"_c{secrets.randbelow(1000):03d}_v{secrets.randbelow(10**7):07d}"
        f"_t{secrets.randbelow(10**4):04d}"
    )


def _token(prefix: str, account: str, marker: str) -> str:
    return f"{prefix}_{account}_{marker}{secrets.token_urlsafe(24)}"


def account_token(account: str) -> str:
    return _token("4", account, "")


def upload_token(account: str, *, part: bool) -> str:
    """The token of an upload URL: ``u`` for files, ``p`` for the parts of a large file."""
    return _token("4", account, "p" if part else "u")


def download_token(account: str) -> str:
    return _token("3", account, "d")
