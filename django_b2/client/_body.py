"""Upload request bodies: a payload that can be sent again, and the reader requests streams.

The reader is length-capped and reports progress; for ``hex_digits_at_end`` it hashes the bytes
as it sends them and ends with their SHA-1 hex.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO, TYPE_CHECKING

from ._limits import HEX_DIGITS_AT_END, SHA1_HEX
from ._streams import length_from, seek_position
from .errors import B2IntegrityError, B2ValidationError

if TYPE_CHECKING:
    from ._progress import ProgressCallback


__all__ = ["Data", "Payload"]

Data = bytes | bytearray | memoryview | IO[bytes]


class Payload:
    """An upload body that can be sent again from its start (or says it cannot).

    Without a ``content_sha1``, a stream that cannot seek, or any stream when
    ``hash_while_sending``, is hashed while it is sent and ends with the hex SHA-1
    (``hex_digits_at_end``); :attr:`sent_sha1` holds it once a send reached the end.
    """

    def __init__(
        self,
        data: Data,
        content_length: int | None,
        content_sha1: str | None,
        progress: ProgressCallback | None,
        *,
        hash_while_sending: bool = False,
    ) -> None:
        self._progress = progress
        self._high_water = 0
        self._sends = 0
        self.trailer = False
        self._sent_sha1 = ""
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
            position = seek_position(data)
            self.rewindable = position is not None
            if position is not None:
                self._start = position
                if content_length is None:
                    content_length = length_from(data, position)
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
            elif self.rewindable and not hash_while_sending:
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
        elif content_sha1 is not None and not SHA1_HEX.fullmatch(content_sha1):
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

    @property
    def sent_sha1(self) -> str:
        """The SHA-1 hex a hashing body sent at its end (after a send that reached the end)."""
        if not self._sent_sha1:
            raise B2IntegrityError("internal error: the part's body was not sent to its end")
        return self._sent_sha1

    def sent(self, sha1_hex: str) -> None:
        """Record the SHA-1 a hashing reader sent at the end of the body."""
        self._sent_sha1 = sha1_hex

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
            hex_digits = self._digest.hexdigest()
            self._payload.sent(hex_digits)
            self._tail = hex_digits.encode("ascii")
            self._digest = None
        block, self._tail = (
            (self._tail, b"")
            if size is None or size < 0
            else (self._tail[:size], self._tail[size:])
        )
        return block
