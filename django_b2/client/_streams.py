"""File-object helpers for uploads: the one seekability probe, exact reads, part readers.

:func:`seek_position` is the one "can this file object seek, and where does it stand" probe (the
request bodies, the upload sources and the storage use it). :class:`FileRange` and
:class:`ViewReader` are the rewindable readers a part is sent from.
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

from .errors import B2ValidationError

__all__ = [
    "HASH_CHUNK_SIZE",
    "FileRange",
    "ViewReader",
    "check_binary",
    "length_from",
    "read_exact",
    "read_into",
    "rereadable",
    "seek_position",
]

HASH_CHUNK_SIZE = 1 << 20  # read-and-hash step, for parts and for the whole-file pass


def seek_position(handle: Any) -> int | None:
    seekable = getattr(handle, "seekable", None)
    if callable(seekable):
        try:
            if not seekable():
                return None
        except (OSError, ValueError):
            return None
    elif not callable(getattr(handle, "seek", None)):
        return None
    try:
        position = handle.tell()
    except (OSError, ValueError, AttributeError):
        return None
    return int(position)


def length_from(handle: Any, start: int) -> int:
    """Bytes from ``start`` to the end of a seekable file object; leaves it at ``start``."""
    end = int(handle.seek(0, io.SEEK_END))
    handle.seek(start)
    return end - start


def rereadable(source: object) -> bool:
    """Whether ``source`` can be read twice: bytes, or a file object that seeks."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return True
    return seek_position(source) is not None


def read_exact(handle: IO[bytes], length: int) -> bytes:
    """Read ``length`` bytes unless the file ends first (raw files may return short reads)."""
    first = handle.read(length)
    check_binary(first)
    if first is None or len(first) == length or not first:
        return first or b""
    pieces = [first]
    got = len(first)
    while got < length:
        more = handle.read(length - got)
        check_binary(more)
        if not more:
            break
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def read_into(handle: IO[bytes], view: memoryview) -> int:
    """Fill ``view`` from the file (``readinto`` when it has one); fewer bytes only at its end."""
    readinto = getattr(handle, "readinto", None)
    got = 0
    while got < len(view):
        if callable(readinto):
            count = readinto(view[got:])
        else:
            data = handle.read(len(view) - got)
            check_binary(data)
            count = len(data) if data else 0
            view[got : got + count] = data or b""
        if not count:
            break
        got += count
    return got


def check_binary(data: object) -> None:
    if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
        raise B2ValidationError(
            f"the source file returned {type(data).__name__}, not bytes; open it in binary "
            "mode ('rb')"
        )


class _PartReader:
    """A rewindable, read-only binary file object of a known length (the part readers' base)."""

    _position = 0

    def __len__(self) -> int:
        raise NotImplementedError

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self)}
        self._position = max(0, base[whence] + offset)
        return self._position


class FileRange(_PartReader):
    """A part read straight from a file descriptor with ``preadv`` into one reused 1 MiB buffer.

    A rewindable binary reader: each read returns a view of that buffer, valid until the next
    read (the HTTP stack sends each block before it reads the next). The body that sends it
    (:class:`~django_b2.client._body.Payload`) hashes the blocks as they go when asked to, so
    the file is read once, not once to hash and once to send.
    """

    def __init__(self, fd: int, start: int, length: int) -> None:
        self.fd = fd
        self.start = start
        self.length = length
        self._buffer: memoryview | None = None

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> memoryview:
        left = self.length - self._position
        want = left if size is None or size < 0 else min(size, left)
        want = min(want, HASH_CHUNK_SIZE)
        if want <= 0:
            return memoryview(b"")
        if self._buffer is None:
            self._buffer = memoryview(bytearray(min(HASH_CHUNK_SIZE, self.length)))
        block = self._buffer[:want]
        count = os.preadv(self.fd, [block], self.start + self._position)
        if count <= 0:
            raise B2ValidationError(
                f"the source file ended {left} bytes early while sending it; was it truncated "
                "during the upload?"
            )
        self._position += count
        return block[:count]

    def close(self) -> None:
        """Drop the buffer (the file descriptor belongs to the source)."""
        self._buffer = None


class ViewReader(_PartReader):
    """A part's bytes as a rewindable file object whose reads are views, not copies."""

    def __init__(self, view: memoryview) -> None:
        self._view: memoryview | None = view

    def __len__(self) -> int:
        return len(self._view) if self._view is not None else 0

    def read(self, size: int = -1) -> memoryview:
        assert self._view is not None
        end = len(self._view) if size is None or size < 0 else self._position + size
        block = self._view[self._position : end]
        self._position += len(block)
        return block

    def close(self) -> None:
        """Drop the view, so nothing the HTTP stack still holds keeps the buffer exported."""
        self._view = None
