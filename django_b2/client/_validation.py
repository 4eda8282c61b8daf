"""Checks that run before any request, so bad input fails fast with a message saying what to do.

Each function returns the (possibly normalised) value or raises :class:`B2ValidationError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Union

from ._limits import (
    MAX_DOWNLOAD_AUTH_SECONDS,
    MAX_FILE_INFO_ENTRIES,
    MAX_FILE_INFO_KEY_BYTES,
    MAX_FILE_NAME_BYTES,
    MAX_KEY_DURATION_SECONDS,
    MAX_KEY_NAME_LENGTH,
    MAX_PART_NUMBER,
)
from ._types import BUCKET_TYPES, KEY_CAPABILITIES, RESTRICTED_KEY_FORBIDDEN_CAPABILITIES
from .errors import B2ValidationError

__all__ = [
    "MAX_DOWNLOAD_AUTH_SECONDS",
    "MAX_FILE_INFO_ENTRIES",
    "MAX_FILE_NAME_BYTES",
    "MAX_KEY_DURATION_SECONDS",
    "MAX_PART_NUMBER",
    "RangeArg",
    "range_header",
    "validate_bucket_info",
    "validate_bucket_name",
    "validate_bucket_type",
    "validate_capabilities",
    "validate_count",
    "validate_download_duration",
    "validate_file_info",
    "validate_file_name",
    "validate_file_retention",
    "validate_key_duration",
    "validate_key_name",
    "validate_legal_hold",
    "validate_part_number",
]

#: A byte range argument: ``(start, end_inclusive)``, ``(start, None)`` or a raw ``"bytes=..."``.
RangeArg = Union[tuple[int, Union[int, None]], str, None]  # noqa: UP007 - runtime alias on 3.10


_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_KEY_NAME = re.compile(rf"[A-Za-z0-9-]{{1,{MAX_KEY_NAME_LENGTH}}}")
_INFO_KEY = re.compile(r"[A-Za-z0-9\-_.`~!#$%^&*'|+]+")
_RESERVED_INFO_KEYS = frozenset(
    {
        "b2-content-disposition",
        "b2-content-language",
        "b2-expires",
        "b2-cache-control",
        "b2-content-encoding",
    }
)


def _require_str(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise B2ValidationError(f"{what} must be a str, not {type(value).__name__}")
    return value


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")  # what B2 refuses in names


def validate_file_name(name: object, what: str = "file name") -> str:
    """1..1024 UTF-8 bytes, no code points below 32 and no DEL (127)."""
    text = _require_str(what.capitalize(), name)
    try:
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise B2ValidationError(
            f"{what.capitalize()} {text!r} is not valid UTF-8 text (lone surrogate at position "
            f"{exc.start}); remove or replace that character"
        ) from exc
    if size == 0:
        raise B2ValidationError(f"{what.capitalize()} is empty; give at least one character")
    if size > MAX_FILE_NAME_BYTES:
        raise B2ValidationError(
            f"{what.capitalize()} is {size} bytes in UTF-8; shorten it to at most "
            f"{MAX_FILE_NAME_BYTES} bytes"
        )
    found = _CONTROL_CHARACTER.search(text)
    if found is not None:
        raise B2ValidationError(
            f"{what.capitalize()} {text!r} contains the control character {found.group()!r} at "
            f"position {found.start()}; B2 does not allow code points below 32 or DEL (127)"
        )
    return text


def validate_prefix(prefix: object, what: str = "prefix") -> str:
    """Like a file name, but may be empty."""
    text = _require_str(what.capitalize(), prefix)
    return validate_file_name(text, what) if text else text


def _matching(what: str, value: object, pattern: re.Pattern[str], rule: str) -> str:
    """``value``, a str that ``pattern`` matches in full; else an error ending in ``rule`` (what
    to use instead; ``{length}`` in it is the given value's length)."""
    text = _require_str(what, value)
    if not pattern.fullmatch(text):
        raise B2ValidationError(f"{what} {text!r} is invalid; " + rule.format(length=len(text)))
    return text


def validate_bucket_name(name: object) -> str:
    """6..63 letters, digits and ``-``; must not start with ``b2-``."""
    rule = "use 6 to 63 characters, only letters, digits and '-' (it has {length} characters)"
    text = _matching("Bucket name", name, _BUCKET_NAME, rule)
    if text.lower().startswith("b2-"):
        raise B2ValidationError(
            f"Bucket name {text!r} starts with 'b2-', which B2 reserves; choose another name"
        )
    return text


def validate_bucket_info(info: Mapping[str, str] | None) -> dict[str, str] | None:
    """A string-to-string map of at most 10 entries (``None`` passes through)."""
    if info is None:
        return None
    if not isinstance(info, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in info.items()
    ):
        raise B2ValidationError(
            "bucket_info must be a dict of str to str, e.g. {'Cache-Control': 'max-age=3600'}"
        )
    if len(info) > MAX_FILE_INFO_ENTRIES:
        raise B2ValidationError(
            f"bucket_info has {len(info)} entries; B2 allows at most {MAX_FILE_INFO_ENTRIES}"
        )
    return dict(info)


def validate_bucket_type(bucket_type: object) -> str:
    """``allPublic`` or ``allPrivate`` (the only types a caller may set)."""
    text = _require_str("Bucket type", bucket_type)
    if text not in BUCKET_TYPES:
        raise B2ValidationError(
            f"Bucket type {text!r} is not one you can set; use 'allPrivate' or 'allPublic'"
        )
    return text


def validate_file_info(info: Mapping[str, str] | None) -> dict[str, str]:
    """At most 10 entries; keys of up to 50 allowed bytes; only the known ``b2-*`` keys."""
    if info is None:
        return {}
    if not isinstance(info, Mapping):
        raise B2ValidationError(
            f"file_info must be a dict of str to str, not {type(info).__name__}"
        )
    if len(info) > MAX_FILE_INFO_ENTRIES:
        raise B2ValidationError(
            f"file_info has {len(info)} entries; B2 allows at most {MAX_FILE_INFO_ENTRIES}"
        )
    result: dict[str, str] = {}
    for key, value in info.items():
        if not isinstance(key, str) or not _INFO_KEY.fullmatch(key):
            raise B2ValidationError(
                f"file_info key {key!r} is invalid; use letters, digits and - _ . ` ~ ! # $ % ^ "
                "& * ' | + only"
            )
        if len(key) > MAX_FILE_INFO_KEY_BYTES:
            raise B2ValidationError(
                f"file_info key {key!r} is {len(key)} bytes; shorten it to at most "
                f"{MAX_FILE_INFO_KEY_BYTES}"
            )
        if key.lower().startswith("b2-") and key.lower() not in _RESERVED_INFO_KEYS:
            allowed = ", ".join(sorted(_RESERVED_INFO_KEYS))
            raise B2ValidationError(
                f"file_info key {key!r} uses the reserved 'b2-' prefix; the only b2- keys are "
                f"{allowed}"
            )
        if not isinstance(value, str):
            raise B2ValidationError(
                f"file_info[{key!r}] must be a str, not {type(value).__name__}; convert it with "
                "str()"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in value) and key.lower().startswith("b2-"):
            raise B2ValidationError(f"file_info[{key!r}] contains a control character; remove it")
        result[key] = value
    return result


def validate_part_number(part_number: object) -> int:
    """1..10000."""
    if isinstance(part_number, bool) or not isinstance(part_number, int):
        raise B2ValidationError(f"Part number must be an int, not {type(part_number).__name__}")
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise B2ValidationError(
            f"Part number {part_number} is out of range; use 1 to {MAX_PART_NUMBER}"
        )
    return part_number


def _require_int(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise B2ValidationError(f"{what} must be an int, not {type(value).__name__}")
    return value


def validate_download_duration(seconds: object) -> int:
    """Download authorization lifetime: 1..604800 seconds (one week)."""
    value = _require_int("valid_duration_in_seconds", seconds)
    if not 1 <= value <= MAX_DOWNLOAD_AUTH_SECONDS:
        raise B2ValidationError(
            f"valid_duration_in_seconds={value} is out of range for a download authorization; "
            f"use 1 to {MAX_DOWNLOAD_AUTH_SECONDS} (one week)"
        )
    return value


def validate_key_duration(seconds: object) -> int:
    """Application key lifetime: a positive number of seconds below 86,400,000 (1000 days)."""
    value = _require_int("valid_duration_in_seconds", seconds)
    if not 1 <= value < MAX_KEY_DURATION_SECONDS:
        raise B2ValidationError(
            f"valid_duration_in_seconds={value} is out of range for a key; use 1 to "
            f"{MAX_KEY_DURATION_SECONDS - 1} (less than 1000 days)"
        )
    return value


def validate_count(what: str, value: object, maximum: int) -> int:
    """A page size such as ``max_file_count``: 1..maximum."""
    number = _require_int(what, value)
    if not 1 <= number <= maximum:
        raise B2ValidationError(f"{what}={number} is out of range; use 1 to {maximum}")
    return number


def validate_capabilities(capabilities: Iterable[str], *, bucket_restricted: bool) -> list[str]:
    """Known capability names; bucket-restricted keys may not hold account-level ones."""
    if isinstance(capabilities, str):
        raise B2ValidationError(
            f"capabilities must be a list of names, not the string {capabilities!r}; "
            f"write [{capabilities!r}]"
        )
    caps = list(capabilities)
    if not caps:
        raise B2ValidationError("capabilities is empty; give at least one, e.g. ['readFiles']")
    unknown = [c for c in caps if c not in KEY_CAPABILITIES]
    if unknown:
        raise B2ValidationError(
            f"Unknown capabilities {unknown}; use names from KEY_CAPABILITIES, e.g. "
            "'readFiles', 'writeFiles', 'listFiles'"
        )
    if bucket_restricted:
        forbidden = sorted(set(caps) & RESTRICTED_KEY_FORBIDDEN_CAPABILITIES)
        if forbidden:
            raise B2ValidationError(
                f"A key restricted to one bucket cannot hold {forbidden}; remove them or drop "
                "bucket_id"
            )
    return caps


def validate_key_name(name: object) -> str:
    """1..100 letters, digits and ``-``."""
    rule = f"use 1 to {MAX_KEY_NAME_LENGTH} letters, digits and '-'"
    return _matching("Key name", name, _KEY_NAME, rule)


def validate_file_retention(retention: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{"mode": "governance"|"compliance"|None, "retainUntilTimestamp": ms|None}``."""
    if retention is None:
        return None
    if not isinstance(retention, Mapping) or "mode" not in retention:
        raise B2ValidationError(
            "file_retention must be a dict like {'mode': 'governance', "
            "'retainUntilTimestamp': <ms>} (or {'mode': None} to remove it)"
        )
    mode = retention.get("mode")
    if mode not in (None, "governance", "compliance"):
        raise B2ValidationError(
            f"file_retention mode {mode!r} is invalid; use 'governance', 'compliance' or None"
        )
    until = retention.get("retainUntilTimestamp")
    if mode is not None:
        _require_int("file_retention['retainUntilTimestamp'] (milliseconds)", until)
    return dict(retention)


def validate_legal_hold(legal_hold: object) -> str | None:
    """``"on"``, ``"off"`` or ``None``."""
    if legal_hold is None:
        return None
    if legal_hold not in ("on", "off"):
        raise B2ValidationError(f"legal_hold {legal_hold!r} is invalid; use 'on' or 'off'")
    return str(legal_hold)


def range_header(value: RangeArg) -> str | None:
    """``(start, end_inclusive)``, ``(start, None)`` or a raw ``"bytes=..."`` -> Range header."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.startswith("bytes=") or len(value) <= len("bytes="):
            raise B2ValidationError(
                f"range {value!r} is invalid; pass (start, end) or a string like 'bytes=0-99'"
            )
        return value
    if not isinstance(value, tuple) or len(value) != 2:
        raise B2ValidationError(
            f"range {value!r} is invalid; pass (start, end_inclusive), (start, None) or 'bytes=...'"
        )
    start, end = value
    start = _require_int("range start", start)
    if start < 0:
        raise B2ValidationError(f"range start {start} is negative; use 0 or more")
    if end is None:
        return f"bytes={start}-"
    end = _require_int("range end", end)
    if end < start:
        raise B2ValidationError(
            f"range end {end} is before its start {start}; the end is inclusive and must be >= "
            "the start"
        )
    return f"bytes={start}-{end}"
