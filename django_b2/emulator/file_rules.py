"""B2's rules for what an upload carries: name, content type, SHA-1, file info, size."""

from __future__ import annotations

import email.utils
import mimetypes
import re
import urllib.parse

from .errors import ApiError, bad_request

MAX_FILE_INFO = 10
HEADER_BUDGET = 7000
HEADER_BUDGET_RESTRICTED = 2048
MAX_SIMPLE_FILE_SIZE = 5_000_000_000
MAX_PART_SIZE = 5_000_000_000
MAX_PART_NUMBER = 10_000
MAX_LARGE_FILE_SIZE = 10_000_000_000_000
#: The ``b2-*`` file info keys B2 accepts, and the response header each one becomes.
INFO_HEADERS = {
    "b2-content-disposition": "Content-Disposition",
    "b2-content-language": "Content-Language",
    "b2-expires": "Expires",
    "b2-cache-control": "Cache-Control",
    "b2-content-encoding": "Content-Encoding",
}
B2_INFO_KEYS = tuple(INFO_HEADERS)

_INFO_KEY = re.compile(r"[A-Za-z0-9\-_.`~!#$%^&*'|+]{1,50}")
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Characters B2 leaves unencoded in X-Bz-File-Name / X-Bz-Info-* / URLs.
SAFE_CHARS = "-._~/!$'()*;=:@"


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe=SAFE_CHARS)


def percent_decode(value: str, *, what: str) -> str:
    try:
        return urllib.parse.unquote_plus(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise bad_request(f"{what} is not valid percent-encoded UTF-8") from exc


def check_file_name(name: object, field: str = "fileName") -> str:
    if not isinstance(name, str) or name == "":
        raise bad_request("File names must contain at least one character")
    encoded = name.encode("utf-8", errors="surrogatepass")
    if len(encoded) > 1024:
        raise bad_request(f"{field} is longer than 1024 bytes of UTF-8")
    if _CONTROL.search(name):
        raise bad_request(f"{field} must not contain characters below 32 or DEL (127)")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request(f"{field} is not valid UTF-8") from exc
    return name


def check_content_type(value: object, file_name: str) -> str:
    if value is None or value == "":
        raise bad_request("contentType is required")
    if not isinstance(value, str) or _CONTROL.search(value) or len(value) > 255:
        raise bad_request("contentType must be a MIME type such as text/plain")
    if value == "b2/x-auto":
        guessed, _ = mimetypes.guess_type(file_name, strict=False)
        return guessed or "application/octet-stream"
    if "/" not in value:
        raise bad_request(f"contentType {value!r} is not a MIME type (type/subtype)")
    return value


def check_sha1_header(value: str | None) -> str:
    """Return the lowercase hex digest, ``hex_digits_at_end`` or ``do_not_verify``."""
    if value is None:
        raise bad_request("X-Bz-Content-Sha1 header is required")
    if value in ("hex_digits_at_end", "do_not_verify"):
        return value
    if value.startswith("unverified:") and _HEX40.fullmatch(value[len("unverified:") :]):
        return "do_not_verify"
    if not _HEX40.fullmatch(value):
        raise bad_request(
            "X-Bz-Content-Sha1 must be 40 hex digits, hex_digits_at_end or do_not_verify"
        )
    return value.lower()


def check_file_info(info: object) -> dict[str, str]:
    """Validate a fileInfo map; keys are lowercased."""
    if info is None:
        return {}
    if not isinstance(info, dict):
        raise bad_request("fileInfo must be an object of string values")
    if len(info) > MAX_FILE_INFO:
        raise bad_request(f"fileInfo has {len(info)} entries; at most {MAX_FILE_INFO} allowed")
    result: dict[str, str] = {}
    for raw_key, value in info.items():
        if not isinstance(raw_key, str) or not _INFO_KEY.fullmatch(raw_key):
            raise bad_request(
                f"file info key {raw_key!r} must be 1-50 letters, digits or -_.`~!#$%^&*'|+"
            )
        if not isinstance(value, str):
            raise bad_request(f"file info value for {raw_key!r} must be a string")
        key = raw_key.lower()
        if key.startswith("b2-"):
            _check_b2_info(key, value)
        result[key] = value
    return result


def _check_b2_info(key: str, value: str) -> None:
    if key not in B2_INFO_KEYS:
        raise bad_request(f"file info key {key!r} is reserved: only {', '.join(B2_INFO_KEYS)}")
    if value == "" or _CONTROL.search(value):
        raise bad_request(f"file info {key!r} must be a non-empty string without control chars")
    if key == "b2-expires":
        try:
            email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError) as exc:
            raise bad_request("b2-expires must be an RFC 2616 date") from exc


def header_size(file_name: str, info: dict[str, str]) -> int:
    size = len("X-Bz-File-Name: \r\n") + len(percent_encode(file_name))
    for key, value in info.items():
        size += len(f"X-Bz-Info-{key}: \r\n") + len(percent_encode(value))
    return size


def check_header_budget(file_name: str, info: dict[str, str], *, restricted: bool) -> None:
    budget = HEADER_BUDGET_RESTRICTED if restricted else HEADER_BUDGET
    size = header_size(file_name, info)
    if size > budget:
        raise bad_request(
            f"file name and file info take {size} bytes of headers; the limit is {budget}"
        )


def parse_byte_range(value: object, size: int) -> tuple[int, int]:
    """Parse ``bytes=a-b`` (inclusive) for copy calls; returns (start, end_inclusive)."""
    if not isinstance(value, str):
        raise bad_request("range must be a string like bytes=0-99")
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", value.strip())
    if not match:
        raise bad_request("range must look like bytes=START-END")
    start, end = int(match.group(1)), int(match.group(2))
    if start > end:
        raise bad_request("range start is after its end")
    if start >= size:
        raise ApiError(416, "range_not_satisfiable", f"range {value} is outside 0-{size - 1}")
    return start, min(end, size - 1)


def name_successor(name: bytes) -> bytes:
    """The smallest byte string greater than every string starting with ``name``."""
    # UTF-8 never contains 0xff, so incrementing the last byte is always possible.
    return name[:-1] + bytes([name[-1] + 1])
