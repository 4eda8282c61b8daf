"""Upload request bodies: a payload that can be sent again from its start, and the reader
requests streams from (length-capped, progress-reporting, optionally ending in the SHA-1 hex
for ``hex_digits_at_end``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from typing import IO, TYPE_CHECKING, Any

from .errors import B2ValidationError

if TYPE_CHECKING:
    from ._progress import ProgressCallback


Data = bytes | bytearray | memoryview | IO[bytes]
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
HEX_DIGITS_AT_END = "hex_digits_at_end"


class Payload:
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
                self.sha1 = HEX_DIGITS_AT_END
                self.trailer = True
        else:
            raise B2ValidationError(
                f"data must be bytes or a binary file object, not {type(data).__name__}"
            )
        # ``hex_digits_at_end`` from the caller: the data already ends with its 40 hex digits
        # (e.g. a body that hashes while it is read); progress counts the content only.
        self._content_length = self.length
        if content_sha1 == HEX_DIGITS_AT_END:
            if self.length < 40:
                raise B2ValidationError(
                    f"with content_sha1='{HEX_DIGITS_AT_END}' the data must end with the 40 hex "
                    f"digits of its SHA-1, but it has only {self.length} bytes"
                )
            self._content_length = self.length - 40
        elif content_sha1 is not None and not _SHA1_HEX.fullmatch(content_sha1):
            raise B2ValidationError(
                f"content_sha1 {content_sha1!r} is not 40 hex digits; pass the SHA-1 hex digest "
                f"(or '{HEX_DIGITS_AT_END}' for data ending with it) or leave it out to have it "
                "computed"
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
        sent = min(sent, self._content_length)
        if self._progress is not None and sent > self._high_water:
            self._high_water = sent
            self._progress(sent, self._content_length)


class _BodyReader:
    """What requests sends: reads at most ``length`` bytes, reports progress, and appends the
    hex SHA-1 when the body uses ``hex_digits_at_end``."""

    def __init__(self, payload: Payload, stream: IO[bytes], length: int, trailer: bool) -> None:
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
