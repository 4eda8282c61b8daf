"""Upload sources: what can be uploaded (bytes, paths, file objects, iterables), opened once.

:func:`open_source` turns any accepted source into an :class:`UploadSource` (bad types fail here,
before any request). Random-access sources hand out parts as a
:class:`~django_b2.client._streams.FileRange` (read straight from the file) or as a view of a
buffer.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from ._streams import (
    HASH_CHUNK_SIZE,
    FileRange,
    length_from,
    read_exact,
    read_into,
    seek_position,
)
from .errors import B2ValidationError

__all__ = [
    "BytesSource",
    "FileSource",
    "IterableSource",
    "StreamSource",
    "UploadSource",
    "check_stream_end",
    "open_source",
    "read_all",
]


class UploadSource:
    """What the engine needs from a source."""

    size: int | None = None
    random_access = False  # read_at() works; the content can be read more than once

    def read_at(self, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def buffer_needed(self) -> bool:
        """Whether :meth:`part` needs a buffer to read into."""
        return False

    def part(
        self, offset: int, length: int, buffer: bytearray | None
    ) -> tuple[memoryview | FileRange, str]:
        """``length`` bytes from ``offset`` (fewer only if the source ends) and their SHA-1 hex.

        Random-access sources only. The view may point into ``buffer`` (at least ``length``
        bytes), so it is valid until the buffer is reused.
        """
        raise NotImplementedError

    def file_range(self, offset: int, length: int) -> FileRange | None:
        """The part as a file range to hash while it is sent, or None (then use :meth:`part`)."""
        return None

    def read(self, length: int) -> bytes:
        """Sequential read: ``length`` bytes, fewer only at the end of the source."""
        raise NotImplementedError

    def sha1(self) -> str:
        """SHA-1 of the whole content (random-access sources only)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the source opened."""


class BytesSource(UploadSource):
    random_access = True

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        if not view.c_contiguous:
            view = memoryview(bytes(view))
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        self._view = view
        self._whole = data if isinstance(data, bytes) else None
        self.size = view.nbytes
        self._position = 0

    def read_at(self, offset: int, length: int) -> bytes:
        if offset == 0 and length >= self._view.nbytes and self._whole is not None:
            return self._whole
        return bytes(self._view[offset : offset + length])

    def part(self, offset: int, length: int, buffer: bytearray | None) -> tuple[memoryview, str]:
        view = self._view[offset : offset + length]
        return view, hashlib.sha1(view).hexdigest()

    def read(self, length: int) -> bytes:
        data = self.read_at(self._position, length)
        self._position += len(data)
        return data

    def sha1(self) -> str:
        return hashlib.sha1(self._view).hexdigest()


class FileSource(UploadSource):
    """A seekable binary file, from a start position, ``size`` bytes."""

    random_access = True

    def __init__(self, handle: IO[bytes], start: int, size: int, *, owned: bool) -> None:
        self._handle = handle
        self._start = start
        self.size = size
        self._owned = owned
        self._lock = threading.Lock()
        self._position = 0
        self._local = threading.local()
        self._fd: int | bool | None = None  # None: not checked yet; False: no positioned reads

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def rewind(self) -> IO[bytes]:
        """The file positioned at the start of the content (hold :attr:`lock` while using it)."""
        self._handle.seek(self._start)
        return self._handle

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset if self.size is not None else length))
        with self._lock:
            self._handle.seek(self._start + offset)
            return read_exact(self._handle, length)

    def read(self, length: int) -> bytes:
        data = self.read_at(self._position, length)
        self._position += len(data)
        return data

    def buffer_needed(self) -> bool:
        return self._pread_fd() is None

    def part(
        self, offset: int, length: int, buffer: bytearray | None
    ) -> tuple[memoryview | FileRange, str]:
        assert self.size is not None
        length = max(0, min(length, self.size - offset))
        fd = self._pread_fd()
        if fd is not None:
            # A regular file: hash the part through a small cache-hot buffer with positioned
            # reads (no lock: workers read and hash, which releases the GIL, at the same time),
            # then send it straight from the file the same way. Only for parts whose SHA-1 is
            # needed before sending (resume); others use file_range(), hashed while sent.
            digest = hashlib.sha1()
            chunk = self._chunk_buffer(length)
            got = 0
            while got < length:
                count = os.preadv(fd, [chunk[: length - got]], self._start + offset + got)
                if count <= 0:
                    break
                digest.update(chunk[:count])
                got += count
            return FileRange(fd, self._start + offset, got), digest.hexdigest()
        assert buffer is not None and len(buffer) >= length
        view = memoryview(buffer)[:length]
        with self._lock:
            self._handle.seek(self._start + offset)
            got = read_into(self._handle, view)
        return view[:got], hashlib.sha1(view[:got]).hexdigest()

    def file_range(self, offset: int, length: int) -> FileRange | None:
        assert self.size is not None
        fd = self._pread_fd()
        if fd is None:
            return None
        return FileRange(fd, self._start + offset, max(0, min(length, self.size - offset)))

    def _chunk_buffer(self, length: int) -> memoryview:
        """This thread's hashing buffer: 1 MiB, or the part's length if smaller."""
        want = max(1, min(HASH_CHUNK_SIZE, length))
        chunk: memoryview | None = getattr(self._local, "chunk", None)
        if chunk is None or len(chunk) < want:
            chunk = memoryview(bytearray(want))
            self._local.chunk = chunk
        return chunk

    def _pread_fd(self) -> int | None:
        """The file descriptor when positioned reads give exactly the content, else None.

        Only for files we opened or plain unbuffered/buffered binary files (their pending writes
        were flushed by the seeks in :func:`open_source`); never for wrappers such as GzipFile
        whose ``fileno()`` is another file's.
        """
        if self._fd is None:
            # Worked out once, and published only when known: workers ask concurrently.
            found: int | bool = False
            handle = _unwrap(self._handle)
            plain = type(handle) in (io.BufferedReader, io.BufferedRandom, io.FileIO)
            if hasattr(os, "preadv") and (self._owned or plain):
                try:
                    fd = handle.fileno()
                    if stat.S_ISREG(os.fstat(fd).st_mode):
                        found = fd
                except (OSError, ValueError, AttributeError):
                    pass
            self._fd = found
        return self._fd if self._fd is not False else None

    def sha1(self) -> str:
        digest = hashlib.sha1()
        assert self.size is not None
        buffer = memoryview(bytearray(min(HASH_CHUNK_SIZE, max(self.size, 1))))
        with self._lock:
            self._handle.seek(self._start)
            left = self.size
            while left > 0:
                got = read_into(self._handle, buffer[: min(len(buffer), left)])
                if not got:
                    break
                digest.update(buffer[:got])
                left -= got
        if left:
            raise B2ValidationError(
                f"the source file ended {left} bytes early while hashing it; was it truncated "
                "during the upload?"
            )
        return digest.hexdigest()

    def close(self) -> None:
        if self._owned:
            self._handle.close()


def _unwrap(handle: Any) -> Any:
    """The file behind pure proxies (a Django ``File``, a ``NamedTemporaryFile``): objects whose
    ``file`` attribute is what their ``read`` and ``seek`` act on."""
    for _ in range(4):
        inner = getattr(handle, "file", None)
        if inner is None or inner is handle:
            break
        proxied = isinstance(handle, tempfile._TemporaryFileWrapper) or (
            getattr(handle, "read", None) == getattr(inner, "read", None)
            and getattr(handle, "seek", None) == getattr(inner, "seek", None)
        )
        if not proxied:
            break
        handle = inner
    return handle


class StreamSource(UploadSource):
    """An unseekable binary file object: read once, front to back."""

    def __init__(self, handle: IO[bytes], size: int | None) -> None:
        self._handle = handle
        self.size = size

    def read(self, length: int) -> bytes:
        return read_exact(self._handle, length)


class IterableSource(UploadSource):
    """An iterable of bytes chunks, re-cut to the requested lengths."""

    def __init__(self, chunks: Iterable[Any], size: int | None) -> None:
        self._chunks: Iterator[Any] = iter(chunks)
        self._left = memoryview(b"")
        self.size = size
        self._done = False

    def read(self, length: int) -> bytes:
        pieces: list[bytes] = []
        want = length
        while want > 0:
            if not self._left:
                if self._done:
                    break
                try:
                    chunk = next(self._chunks)
                except StopIteration:
                    self._done = True
                    break
                if not isinstance(chunk, (bytes, bytearray, memoryview)):
                    raise B2ValidationError(
                        f"the source iterable yielded {type(chunk).__name__}; it must yield "
                        "bytes (encode text first)"
                    )
                view = memoryview(chunk)
                if not view.c_contiguous:
                    view = memoryview(view.tobytes())
                self._left = view.cast("B") if view.nbytes else memoryview(b"")
                continue
            take = self._left[:want]
            pieces.append(bytes(take))
            self._left = self._left[len(take) :]
            want -= len(take)
        return b"".join(pieces)


def open_source(source: object, content_length: int | None) -> UploadSource:
    """Turn any accepted source into an :class:`UploadSource`; bad types fail before any call."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = BytesSource(source)
        if content_length is not None and content_length != data.size:
            raise B2ValidationError(
                f"content_length={content_length} but the data is {data.size} bytes; "
                "leave content_length out for bytes"
            )
        return data
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise B2ValidationError(f"cannot upload {path!r}: no such file")
        opened: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by FileSource.close()
        size = os.fstat(opened.fileno()).st_size
        if content_length is not None:
            if content_length > size:
                opened.close()
                raise B2ValidationError(
                    f"content_length={content_length} but {path!r} has only {size} bytes"
                )
            size = content_length
        return FileSource(opened, 0, size, owned=True)
    if callable(getattr(source, "read", None)):
        handle = cast("IO[bytes]", source)
        if isinstance(handle, io.TextIOBase):
            raise B2ValidationError(
                "the source file is opened in text mode; open it with 'rb' (binary)"
            )
        start = seek_position(handle)
        if start is None:
            return StreamSource(handle, content_length)
        available = length_from(handle, start)
        if content_length is not None:
            if content_length > available:
                raise B2ValidationError(
                    f"content_length={content_length} but the file has only {available} bytes "
                    "after its current position"
                )
            available = content_length
        return FileSource(handle, start, available, owned=False)
    if isinstance(source, Iterable):
        return IterableSource(source, content_length)
    raise B2ValidationError(
        f"cannot upload a {type(source).__name__}: pass bytes, a path, a binary file object "
        "or an iterable of bytes"
    )


def read_all(src: UploadSource) -> bytes:
    """All of a known-size stream, checked against its declared size."""
    assert src.size is not None
    data = src.read(src.size)
    check_stream_end(src, len(data))
    return data


def check_stream_end(src: UploadSource, got: int) -> None:
    """Fail unless a stream of declared size ended exactly after ``got`` bytes."""
    assert src.size is not None
    if got < src.size:
        raise B2ValidationError(
            f"content_length={src.size} but the source ended after {got} bytes; pass the "
            "right content_length"
        )
    if src.read(1):
        raise B2ValidationError(
            f"content_length={src.size} but the source has more data; pass the right "
            "content_length (or leave it out)"
        )
