"""High-level uploads: one ``b2_upload_file`` for small files, the large-file API for big ones.

``upload(client, bucket_id, file_name, source, ...)`` (what ``B2Client.upload`` calls) accepts

- ``bytes`` / ``bytearray`` / ``memoryview``;
- a path (``str`` or ``os.PathLike``);
- a binary file object, seekable (read from its current position) or not;
- an iterable of ``bytes`` chunks of unknown length (a generator, a streamed body, ...).

Choosing the API: a source of ``large_file_threshold`` bytes or more (default twice the
``recommendedPartSize`` of the authorization, never below twice ``absoluteMinimumPartSize``;
anything above 5 GB) is sent as a large file; smaller ones with one ``b2_upload_file``. A source of
unknown length is read ahead until it reaches the threshold: if it ends first it goes up as one
small file.

Large files: the part size is ``part_size`` (default ``recommendedPartSize``), clamped to the
authorization's minimum and to 5 GB, grown so that the file needs at most 10,000 parts. Parts go
up in parallel on ``max_workers`` threads through ``client.upload_part`` (which keeps one part URL
per worker and retries on fresh URLs). Memory stays around ``max_workers x part_size`` whatever
the file size: seekable sources (bytes, paths, seekable files) are read part by part inside the
worker that sends the part, and at most ``max_workers`` parts are queued or in flight; streams
and iterables are read by the calling thread only when a worker slot is free. (Bookkeeping adds
about 200 bytes per part: at most 2 MB for 10,000 parts.)

Whole-file SHA-1 (``large_file_sha1`` in fileInfo, which B2 asks to be set "when known"):
``large_file_sha1="<40 hex digits>"`` stores the caller's value; ``large_file_sha1=True`` computes
it for bytes, paths and seekable files with one extra sequential read before the upload starts
(~0.7 s of CPU per GiB, and the first part waits for it); the default (``None``) sets none, so
a large file is read exactly once. A caller's own ``large_file_sha1`` entry in ``file_info`` is
kept as given. Every part is still sent with its own SHA-1, which B2 checks.

Reading parts: from paths and plain binary files (``open(..., "rb")``), each worker hashes its
part with positioned reads through a 1 MiB buffer, then sends it straight from the file the same
way (two reads from the page cache cost less CPU than filling a part-sized buffer, and memory
stays at about ``2 x max_workers`` MiB). Other seekable file objects are read into one buffer
per worker, reused for the whole upload (at most ``max_workers`` buffers of ``part_size``), and
sent from it without copies; the transport sends bodies in 1 MiB blocks.

Resume (``resume=True``): before starting a large file, the unfinished large files of the bucket
are searched for one with the same name, the same fileInfo (including ``large_file_sha1`` when
present), the same contentType when one was given, and parts whose sizes fit this upload's part
plan (same total size and part size). Parts already there with the same size and SHA-1 are not
sent again; a part whose SHA-1 differs (other content under the same name) is sent again, so a
resumed file always ends up with this upload's content. Sources of unknown length are never
resumed (their part plan is not known up front).

Failures: when a part or the finish fails for good, the unfinished large file is cancelled if
``cancel_on_failure`` (otherwise left for a later resume) and the original error is re-raised.
A ``KeyboardInterrupt`` / ``SystemExit`` never triggers the cancel (nothing more is sent).
If ``b2_finish_large_file`` times out, loses its connection, gets a 5xx, or a 400 (B2's answer to
a retried finish that had succeeded), ``b2_get_file_info`` decides whether it actually finished.

Progress: ``progress(bytes_done, total_or_None)`` is called with monotonically growing counts,
never concurrently (see :mod:`django_b2.client._progress`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Union, cast

from django_b2.client._body import HEX_DIGITS_AT_END
from django_b2.client._progress import PieceProgress, ProgressCallback, ProgressTracker
from django_b2.client._validation import validate_file_info, validate_file_name
from django_b2.client.errors import (
    B2AuthTokenExpired,
    B2BadRequest,
    B2Error,
    B2Forbidden,
    B2IntegrityError,
    B2ServiceError,
    B2TransportError,
    B2Unauthorized,
    B2ValidationError,
)

if TYPE_CHECKING:
    from django_b2.client._client import B2Client

__all__ = [
    "LARGE_FILE_SHA1",
    "MAX_LARGE_FILE_SIZE",
    "MAX_PARTS",
    "MAX_PART_SIZE",
    "MAX_SINGLE_UPLOAD_SIZE",
    "PartPlan",
    "choose_part_size",
    "choose_threshold",
    "plan_parts",
    "upload",
]

logger = logging.getLogger("django_b2.client.upload")

MAX_PARTS = 10_000
MAX_PART_SIZE = 5_000_000_000
MAX_SINGLE_UPLOAD_SIZE = 5_000_000_000
MAX_LARGE_FILE_SIZE = 10_000_000_000_000
MAX_FILE_INFO_ENTRIES = 10
LARGE_FILE_SHA1 = "large_file_sha1"
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
AUTO_CONTENT_TYPE = "b2/x-auto"
HASH_CHUNK_SIZE = 1 << 20  # read-and-hash step, for parts and for the whole-file pass
AUTH_EXPIRED_PART_ATTEMPTS = 3

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes], Iterable[bytes]]


# -- part planning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartPlan:
    """One part of a large file: its number (from 1), offset in the source and length."""

    number: int
    offset: int
    length: int


def choose_part_size(
    requested: int | None, *, recommended: int, minimum: int, size: int | None = None
) -> int:
    """The part size to use: ``requested`` (or ``recommended``) clamped to ``[minimum, 5 GB]``,
    grown so that ``size`` bytes fit in 10,000 parts."""
    part = recommended if requested is None else requested
    part = max(part, minimum, 1)
    part = min(part, MAX_PART_SIZE)
    if size is not None:
        part = max(part, -(-size // MAX_PARTS))
    return part


def choose_threshold(requested: int | None, *, recommended: int, minimum: int) -> int:
    """Smallest size sent as a large file: ``requested`` (default ``2 x recommended``), at least
    ``2 x minimum`` (a large file needs two parts), at most just above the 5 GB single limit."""
    threshold = 2 * recommended if requested is None else requested
    threshold = max(threshold, 2 * minimum)
    return min(threshold, MAX_SINGLE_UPLOAD_SIZE + 1)


def plan_parts(size: int, part_size: int) -> list[PartPlan]:
    """Split ``size`` bytes into parts of ``part_size`` (the last one shorter).

    Always at least two parts (B2's large files need two): when ``part_size`` would give one,
    the size is split in halves.
    """
    if size < 2:
        raise B2ValidationError(f"a large file needs at least 2 bytes, got {size}")
    if part_size >= size:
        part_size = -(-size // 2)
    count = -(-size // part_size)
    if count > MAX_PARTS:
        raise B2ValidationError(
            f"{size} bytes in parts of {part_size} would need {count} parts (B2 allows "
            f"{MAX_PARTS}); use part_size >= {-(-size // MAX_PARTS)}"
        )
    return [
        PartPlan(index + 1, index * part_size, min(part_size, size - index * part_size))
        for index in range(count)
    ]


# -- sources ----------------------------------------------------------------------------------


class _Source:
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
    ) -> tuple[memoryview | _FileRange, str]:
        """``length`` bytes from ``offset`` (fewer only if the source ends) and their SHA-1 hex.

        Random-access sources only. The view may point into ``buffer`` (at least ``length``
        bytes), so it is valid until the buffer is reused.
        """
        raise NotImplementedError

    def file_range(self, offset: int, length: int) -> _FileRange | None:
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


class _BytesSource(_Source):
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


def _read_exact(handle: IO[bytes], length: int) -> bytes:
    """Read ``length`` bytes unless the file ends first (raw files may return short reads)."""
    first = handle.read(length)
    _check_binary(first)
    if first is None or len(first) == length or not first:
        return first or b""
    pieces = [first]
    got = len(first)
    while got < length:
        more = handle.read(length - got)
        _check_binary(more)
        if not more:
            break
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def _read_into(handle: IO[bytes], view: memoryview) -> int:
    """Fill ``view`` from the file (``readinto`` when it has one); fewer bytes only at its end."""
    readinto = getattr(handle, "readinto", None)
    got = 0
    while got < len(view):
        if callable(readinto):
            count = readinto(view[got:])
        else:
            data = handle.read(len(view) - got)
            _check_binary(data)
            count = len(data) if data else 0
            view[got : got + count] = data or b""
        if not count:
            break
        got += count
    return got


class _FileRange:
    """A part to be sent straight from a file descriptor (see :meth:`_FileSource.part`)."""

    def __init__(self, fd: int, start: int, length: int) -> None:
        self.fd = fd
        self.start = start
        self.length = length

    def __len__(self) -> int:
        return self.length

    def open(self, *, hash_trailer: bool = False) -> _FileRangeBody:
        return _FileRangeBody(self, hash_trailer)


class _FileRangeBody:
    """A rewindable body reading a file range with ``preadv`` into one reused 1 MiB buffer.

    Each read returns a view of that buffer, valid until the next read (the HTTP stack sends
    each block before it reads the next). With ``hash_trailer`` each block also goes through
    the range's SHA-1 as it is read, and the body ends with the 40 hex digits (for
    ``X-Bz-Content-Sha1: hex_digits_at_end``): the file is read once, not once to hash and once
    to send. Rewinding to the start starts the hash again.
    """

    def __init__(self, part: _FileRange, hash_trailer: bool = False) -> None:
        self._part = part
        self._position = 0
        self._buffer: memoryview | None = None
        self._hash_trailer = hash_trailer
        self._digest: Any = hashlib.sha1() if hash_trailer else None
        self._hex = b""
        self._length = part.length + (40 if hash_trailer else 0)

    def __len__(self) -> int:
        return self._length

    def hexdigest(self) -> str:
        """The SHA-1 hex of the range, once the body was read to its end."""
        if not self._hex:
            raise B2IntegrityError("internal error: the part's body was not sent to its end")
        return self._hex.decode("ascii")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}
        position = max(0, base[whence] + offset)
        if self._hash_trailer and position != self._position:
            if position:
                raise io.UnsupportedOperation("a hashing body rewinds only to its start")
            self._digest = hashlib.sha1()
            self._hex = b""
        self._position = position
        return self._position

    def read(self, size: int = -1) -> memoryview:
        left = self._part.length - self._position
        if left <= 0:
            return self._read_trailer(size)
        want = left if size is None or size < 0 else min(size, left)
        want = min(want, HASH_CHUNK_SIZE)
        if want <= 0:
            return memoryview(b"")
        if self._buffer is None:
            self._buffer = memoryview(bytearray(min(HASH_CHUNK_SIZE, self._part.length)))
        block = self._buffer[:want]
        count = os.preadv(self._part.fd, [block], self._part.start + self._position)
        if count <= 0:
            raise B2ValidationError(
                f"the source file ended {left} bytes early while sending it; was it truncated "
                "during the upload?"
            )
        self._position += count
        if self._digest is not None:
            self._digest.update(block[:count])
        return block[:count]

    def _read_trailer(self, size: int) -> memoryview:
        if self._digest is None:
            return memoryview(b"")
        if not self._hex:
            self._hex = self._digest.hexdigest().encode("ascii")
        at = self._position - self._part.length
        end = 40 if size is None or size < 0 else min(40, at + size)
        self._position += max(0, end - at)
        return memoryview(self._hex[at:end])

    def close(self) -> None:
        self._buffer = None


class _ViewBody:
    """A part's bytes as a rewindable file object whose reads are views, not copies."""

    def __init__(self, view: memoryview) -> None:
        self._view: memoryview | None = view
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        assert self._view is not None
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        return self._position

    def read(self, size: int = -1) -> memoryview:
        assert self._view is not None
        end = len(self._view) if size is None or size < 0 else self._position + size
        block = self._view[self._position : end]
        self._position += len(block)
        return block

    def close(self) -> None:
        """Drop the view, so nothing the HTTP stack still holds keeps the buffer exported."""
        self._view = None


def _check_binary(data: object) -> None:
    if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
        raise B2ValidationError(
            f"the source file returned {type(data).__name__}, not bytes; open it in binary "
            "mode ('rb')"
        )


class _FileSource(_Source):
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
            return _read_exact(self._handle, length)

    def read(self, length: int) -> bytes:
        data = self.read_at(self._position, length)
        self._position += len(data)
        return data

    def buffer_needed(self) -> bool:
        return self._pread_fd() is None

    def part(
        self, offset: int, length: int, buffer: bytearray | None
    ) -> tuple[memoryview | _FileRange, str]:
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
            return _FileRange(fd, self._start + offset, got), digest.hexdigest()
        assert buffer is not None and len(buffer) >= length
        view = memoryview(buffer)[:length]
        with self._lock:
            self._handle.seek(self._start + offset)
            got = _read_into(self._handle, view)
        return view[:got], hashlib.sha1(view[:got]).hexdigest()

    def file_range(self, offset: int, length: int) -> _FileRange | None:
        assert self.size is not None
        fd = self._pread_fd()
        if fd is None:
            return None
        return _FileRange(fd, self._start + offset, max(0, min(length, self.size - offset)))

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
        were flushed by the seeks in :func:`_open_source`); never for wrappers such as GzipFile
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
                got = _read_into(self._handle, buffer[: min(len(buffer), left)])
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


class _StreamSource(_Source):
    """An unseekable binary file object: read once, front to back."""

    def __init__(self, handle: IO[bytes], size: int | None) -> None:
        self._handle = handle
        self.size = size

    def read(self, length: int) -> bytes:
        return _read_exact(self._handle, length)


class _IterableSource(_Source):
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


def _open_source(source: object, content_length: int | None) -> _Source:
    """Turn any accepted source into a :class:`_Source`; bad types fail here, before any call."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = _BytesSource(source)
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
        opened: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by _FileSource.close()
        size = os.fstat(opened.fileno()).st_size
        if content_length is not None:
            if content_length > size:
                opened.close()
                raise B2ValidationError(
                    f"content_length={content_length} but {path!r} has only {size} bytes"
                )
            size = content_length
        return _FileSource(opened, 0, size, owned=True)
    if callable(getattr(source, "read", None)):
        handle = cast("IO[bytes]", source)
        if isinstance(handle, io.TextIOBase):
            raise B2ValidationError(
                "the source file is opened in text mode; open it with 'rb' (binary)"
            )
        start = _tell_if_seekable(handle)
        if start is None:
            return _StreamSource(handle, content_length)
        end = handle.seek(0, io.SEEK_END)
        handle.seek(start)
        available = end - start
        if content_length is not None:
            if content_length > available:
                raise B2ValidationError(
                    f"content_length={content_length} but the file has only {available} bytes "
                    "after its current position"
                )
            available = content_length
        return _FileSource(handle, start, available, owned=False)
    if isinstance(source, Iterable):
        return _IterableSource(source, content_length)
    raise B2ValidationError(
        f"cannot upload a {type(source).__name__}: pass bytes, a path, a binary file object "
        "or an iterable of bytes"
    )


def _tell_if_seekable(handle: Any) -> int | None:
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


# -- argument checks --------------------------------------------------------------------------


def _check_int(name: str, value: object, *, minimum: int, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise B2ValidationError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_arguments(
    bucket_id: object,
    file_name: object,
    content_type: object,
    file_info: object,
    content_length: object,
    large_file_threshold: object,
    part_size: object,
    max_workers: object,
    progress: object,
) -> None:
    if not isinstance(bucket_id, str) or not bucket_id:
        raise B2ValidationError("bucket_id must be a non-empty string (the bucket's id, not name)")
    validate_file_name(file_name)
    if not isinstance(content_type, str) or not content_type:
        raise B2ValidationError(
            f"content_type must be a MIME type string such as {AUTO_CONTENT_TYPE!r}"
        )
    validate_file_info(file_info)  # type: ignore[arg-type]
    _check_int("content_length", content_length, minimum=0)
    _check_int("large_file_threshold", large_file_threshold, minimum=1)
    _check_int("part_size", part_size, minimum=1)
    if isinstance(part_size, int) and part_size > MAX_PART_SIZE:
        raise B2ValidationError(f"part_size must be at most {MAX_PART_SIZE} bytes (5 GB)")
    _check_int("max_workers", max_workers, minimum=1, allow_none=False)
    if isinstance(content_length, int) and content_length > MAX_LARGE_FILE_SIZE:
        raise B2ValidationError(
            f"content_length={content_length} is above B2's largest file "
            f"({MAX_LARGE_FILE_SIZE} bytes, 10 TB)"
        )
    if progress is not None and not callable(progress):
        raise B2ValidationError("progress must be a callable(bytes_done, total) or None")


def _check_large_file_sha1(value: object, in_file_info: str | None) -> str | bool | None:
    """``large_file_sha1`` as the engine uses it: a lower-case hex digest, True, or None."""
    if value is None or value is False:
        return None
    if value is True:
        return True
    if isinstance(value, str) and _SHA1_HEX.fullmatch(value):
        digest = value.lower()
        if in_file_info is not None and in_file_info.lower() != digest:
            raise B2ValidationError(
                "large_file_sha1 and file_info['large_file_sha1'] differ; give it once"
            )
        return digest
    raise B2ValidationError(
        f"large_file_sha1 must be None, True (compute it) or the file's SHA-1 as 40 hex "
        f"digits, got {value!r}"
    )


def _sha1_hex(data: bytes | memoryview) -> str:
    return hashlib.sha1(data).hexdigest()


# -- the entry point --------------------------------------------------------------------------


def upload(
    client: B2Client,
    bucket_id: str,
    file_name: str,
    source: Source,
    *,
    content_type: str = AUTO_CONTENT_TYPE,
    file_info: Mapping[str, str] | None = None,
    content_length: int | None = None,
    large_file_threshold: int | None = None,
    part_size: int | None = None,
    max_workers: int = 4,
    resume: bool = True,
    cancel_on_failure: bool = True,
    progress: ProgressCallback | None = None,
    large_file_sha1: str | bool | None = None,
) -> dict[str, Any]:
    """Upload ``source`` as ``file_name``; return the file version (upload or finish response).

    See the module docstring for how sources, part sizes, resume and failures are handled.
    """
    _check_arguments(
        bucket_id,
        file_name,
        content_type,
        file_info,
        content_length,
        large_file_threshold,
        part_size,
        max_workers,
        progress,
    )
    info = {key.lower(): value for key, value in (file_info or {}).items()}
    whole_sha1 = _check_large_file_sha1(large_file_sha1, info.get(LARGE_FILE_SHA1))
    src = _open_source(source, content_length)
    try:
        if whole_sha1 is True and not src.random_access:
            raise B2ValidationError(
                "large_file_sha1=True needs bytes, a path or a seekable file (a stream cannot "
                "be read twice); pass the SHA-1 hex digest instead if you know it, or leave it out"
            )
        if src.size is not None and src.size > MAX_LARGE_FILE_SIZE:
            raise B2ValidationError(
                f"the source is {src.size} bytes; B2's largest file is {MAX_LARGE_FILE_SIZE}"
            )
        auth = client.authorization
        minimum = auth.absolute_minimum_part_size
        recommended = auth.recommended_part_size
        threshold = choose_threshold(large_file_threshold, recommended=recommended, minimum=minimum)
        tracker = ProgressTracker(progress, src.size)
        job = _Job(
            client=client,
            bucket_id=bucket_id,
            file_name=file_name,
            content_type=content_type,
            file_info=info,
            max_workers=max_workers,
            resume=resume,
            cancel_on_failure=cancel_on_failure,
            tracker=tracker,
            large_file_sha1=whole_sha1,
        )
        size = src.size
        if size is not None:
            tracker.start()
            if size < threshold:
                if isinstance(src, _FileSource):
                    return job.single_from_file(src)
                return job.single(src.read_at(0, size) if src.random_access else _read_all(src))
            chosen = choose_part_size(
                part_size, recommended=recommended, minimum=minimum, size=size
            )
            return job.large(src, plan_parts(size, chosen), chosen, preloaded=[])

        # Unknown length: read ahead until the threshold (and two parts) or the end.
        chosen = choose_part_size(part_size, recommended=recommended, minimum=minimum)
        tracker.start()
        preloaded: list[bytes] = []
        buffered = 0
        while buffered < threshold or len(preloaded) < 2:
            piece = src.read(chosen)
            if piece:
                preloaded.append(piece)
                buffered += len(piece)
            if len(piece) < chosen:
                body = b"".join(preloaded)
                preloaded.clear()
                tracker.set_total(len(body))
                return job.single(body)
        return job.large(src, None, chosen, preloaded=preloaded)
    finally:
        src.close()


def _read_all(src: _Source) -> bytes:
    """All of a known-size stream, checked against its declared size."""
    assert src.size is not None
    data = src.read(src.size)
    _check_stream_end(src, len(data))
    return data


def _check_stream_end(src: _Source, got: int) -> None:
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


@dataclass
class _Job:
    client: B2Client
    bucket_id: str
    file_name: str
    content_type: str
    file_info: dict[str, str]
    max_workers: int
    resume: bool
    cancel_on_failure: bool
    tracker: ProgressTracker
    large_file_sha1: str | bool | None = None

    # -- small files ----------------------------------------------------------------------

    def single(self, data: bytes) -> dict[str, Any]:
        piece = self.tracker.attempt(len(data))
        body = io.BytesIO(data)  # closed afterwards, so nothing pins the bytes (see _send_parts)
        try:
            result = self.client.upload_file(
                self.bucket_id,
                self.file_name,
                body,
                content_type=self.content_type,
                content_length=len(data),
                content_sha1=_sha1_hex(data),
                file_info=self.file_info or None,
                progress=piece,
            )
        finally:
            body.close()
        piece.complete()
        return dict(result)

    def single_from_file(self, src: _FileSource) -> dict[str, Any]:
        """A small file straight from the file object (hashed first; not held in memory)."""
        assert src.size is not None
        digest = src.sha1()
        piece = self.tracker.attempt(src.size)
        with src.lock:
            handle = src.rewind()
            result = self.client.upload_file(
                self.bucket_id,
                self.file_name,
                handle,
                content_type=self.content_type,
                content_length=src.size,
                content_sha1=digest,
                file_info=self.file_info or None,
                progress=piece,
            )
        piece.complete()
        return dict(result)

    # -- large files ----------------------------------------------------------------------

    def large(
        self,
        src: _Source,
        plan: list[PartPlan] | None,
        part_size: int,
        *,
        preloaded: list[bytes],
    ) -> dict[str, Any]:
        info = dict(self.file_info)
        if LARGE_FILE_SHA1 not in info and len(info) < MAX_FILE_INFO_ENTRIES:
            if isinstance(self.large_file_sha1, str):
                info[LARGE_FILE_SHA1] = self.large_file_sha1
            elif self.large_file_sha1 is True and src.random_access:
                info[LARGE_FILE_SHA1] = src.sha1()

        file_id: str | None = None
        existing: dict[int, tuple[int, str]] = {}
        if self.resume and plan is not None:
            try:
                found = self._find_resumable(info, plan)
            except (B2Unauthorized, B2Forbidden) as exc:
                # e.g. a key with writeFiles but not listFiles: upload without resuming.
                logger.info(
                    "Not resuming %s: cannot list unfinished files (%s)", self.file_name, exc
                )
                found = None
            if found is not None:
                file_id, existing = found
                logger.info(
                    "Resuming large file %s (%s) with %d parts already uploaded",
                    self.file_name,
                    file_id,
                    len(existing),
                )
        if file_id is None:
            started = self.client.start_large_file(
                self.bucket_id,
                self.file_name,
                content_type=self.content_type,
                file_info=info or None,
            )
            file_id = str(started["fileId"])

        try:
            digests, total = self._send_parts(file_id, src, plan, part_size, preloaded, existing)
            result = self._finish(file_id, digests)
            length = result.get("contentLength")
            if isinstance(length, int) and length != total:
                raise B2IntegrityError(
                    f"B2 finished {self.file_name!r} with {length} bytes but {total} were sent"
                )
            return result
        except Exception:
            if self.cancel_on_failure:
                self._cancel(file_id)
            else:
                logger.info(
                    "Upload of %s failed; unfinished large file %s left for resume",
                    self.file_name,
                    file_id,
                )
            raise

    def _cancel(self, file_id: str) -> None:
        try:
            self.client.cancel_large_file(file_id)
        except B2Error as exc:
            logger.warning(
                "Could not cancel unfinished large file %s (%s): %s", self.file_name, file_id, exc
            )

    def _finish(self, file_id: str, digests: list[str]) -> dict[str, Any]:
        try:
            return dict(self.client.finish_large_file(file_id, digests))
        except (B2TransportError, B2ServiceError, B2BadRequest) as exc:
            # The finish may have gone through although we did not hear back (or a retry of a
            # finish that succeeded got 400): ask B2 instead of blindly retrying.
            try:
                state = self.client.get_file_info(file_id)
            except B2Error:
                raise exc from None
            if state.get("action") == "upload":
                logger.info(
                    "b2_finish_large_file for %s failed (%s) but the file is finished",
                    file_id,
                    exc,
                )
                return dict(state)
            raise

    def _find_resumable(
        self, info: dict[str, str], plan: list[PartPlan]
    ) -> tuple[str, dict[int, tuple[int, str]]] | None:
        best: tuple[str, dict[int, tuple[int, str]]] | None = None
        start_file_id: str | None = None
        while True:
            page = self.client.list_unfinished_large_files(
                self.bucket_id, name_prefix=self.file_name, start_file_id=start_file_id
            )
            for candidate in page.get("files") or []:
                if candidate.get("fileName") != self.file_name:
                    continue
                if dict(candidate.get("fileInfo") or {}) != info:
                    continue
                if (
                    self.content_type != AUTO_CONTENT_TYPE
                    and candidate.get("contentType") != self.content_type
                ):
                    continue
                parts = self._existing_parts(str(candidate["fileId"]))
                fits = all(
                    1 <= number <= len(plan) and length == plan[number - 1].length
                    for number, (length, _) in parts.items()
                )
                if fits and (best is None or len(parts) > len(best[1])):
                    best = (str(candidate["fileId"]), parts)
            start_file_id = page.get("nextFileId")
            if not start_file_id:
                return best

    def _existing_parts(self, file_id: str) -> dict[int, tuple[int, str]]:
        parts: dict[int, tuple[int, str]] = {}
        start: int | None = None
        while True:
            page = self.client.list_parts(file_id, start_part_number=start)
            for part in page.get("parts") or []:
                parts[int(part["partNumber"])] = (
                    int(part["contentLength"]),
                    str(part.get("contentSha1") or "").lower(),
                )
            start = page.get("nextPartNumber")
            if not start:
                return parts

    def _upload_part(
        self,
        file_id: str,
        number: int,
        data: memoryview | _FileRange,
        digest: str | None,
        piece: PieceProgress,
    ) -> str:
        """One part, through the client's URL pool and retries.

        The client re-authorizes once per failed call. With several workers sharing one account
        token, a fresh token can expire again before a worker's retry uses it (B2's
        ``expire_some_account_authorization_tokens`` test mode does exactly that), so an expired
        token gets the part a few more tries here; every other error is final.

        Without ``digest`` (a file range), the part is hashed while it is sent and ends with
        its hex SHA-1 (``hex_digits_at_end``); returns the part's SHA-1 hex either way.
        """
        for attempt in range(1, AUTH_EXPIRED_PART_ATTEMPTS + 1):
            # Sent from the worker's buffer without copies; closed afterwards, so whatever the
            # HTTP stack keeps referring to (until the garbage collector runs) pins nothing.
            body: _FileRangeBody | _ViewBody
            if isinstance(data, _FileRange):
                body = data.open(hash_trailer=digest is None)
            else:
                assert digest is not None
                body = _ViewBody(data)
            try:
                self.client.upload_part(
                    file_id,
                    number,
                    body,  # type: ignore[arg-type]
                    content_length=len(data) + (40 if digest is None else 0),
                    content_sha1=HEX_DIGITS_AT_END if digest is None else digest,
                    progress=piece,
                )
                if isinstance(body, _FileRangeBody) and digest is None:
                    return body.hexdigest()
                assert digest is not None
                return digest
            except B2AuthTokenExpired:
                if attempt == AUTH_EXPIRED_PART_ATTEMPTS:
                    raise
                logger.info("Part %d of %s: token expired again; retrying", number, file_id)
            finally:
                body.close()
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send_parts(
        self,
        file_id: str,
        src: _Source,
        plan: list[PartPlan] | None,
        part_size: int,
        preloaded: list[bytes],
        existing: dict[int, tuple[int, str]],
    ) -> tuple[list[str], int]:
        digests: dict[int, str] = {}
        sizes: dict[int, int] = {}
        errors: list[BaseException] = []
        lock = threading.Lock()
        failed = threading.Event()
        slots = threading.Semaphore(self.max_workers)
        tracker = self.tracker
        # Read buffers, reused part after part: at most one per part in flight (max_workers).
        free_buffers: list[bytearray] = []
        buffer_size = plan[0].length if plan else part_size

        def fail(exc: BaseException) -> None:
            with lock:
                errors.append(exc)
            failed.set()

        def send(number: int, part: PartPlan | None, chunk: bytes | None) -> None:
            buffer: bytearray | None = None
            try:
                if failed.is_set():
                    return
                data: memoryview | _FileRange
                digest: str | None
                if chunk is None:
                    assert part is not None
                    # A part not uploaded before goes straight from the file, hashed as it is
                    # sent; one that may be there already is hashed first to compare.
                    ranged = None
                    if existing.get(number, (-1, ""))[0] != part.length:
                        ranged = src.file_range(part.offset, part.length)
                    if ranged is not None:
                        data, digest = ranged, None
                    else:
                        if src.buffer_needed():
                            with lock:
                                buffer = free_buffers.pop() if free_buffers else None
                            if buffer is None:
                                buffer = bytearray(buffer_size)
                        data, digest = src.part(part.offset, part.length, buffer)
                    if len(data) != part.length:
                        raise B2ValidationError(
                            f"the source returned {len(data)} bytes for part {number} instead "
                            f"of {part.length}; was the file changed during the upload?"
                        )
                else:
                    data = memoryview(chunk)
                    digest = _sha1_hex(chunk)
                if digest is not None and existing.get(number) == (len(data), digest):
                    tracker.add(len(data))
                else:
                    piece = tracker.attempt(len(data))
                    digest = self._upload_part(file_id, number, data, digest, piece)
                    piece.complete()
                with lock:
                    digests[number] = digest
                    sizes[number] = len(data)
            except BaseException as exc:
                fail(exc)
            finally:
                if buffer is not None:
                    with lock:
                        free_buffers.append(buffer)
                slots.release()

        def next_part(number: int) -> tuple[PartPlan | None, bytes | None] | None:
            """The next part to send (reading stream data here), or None at the end."""
            if preloaded:
                return None, preloaded.pop(0)
            if plan is not None:
                if number > len(plan):
                    return None
                part = plan[number - 1]
                if src.random_access:
                    return part, None
                data = src.read(part.length)
                if len(data) != part.length:
                    _check_stream_end(src, part.offset + len(data))
                return None, data
            data = src.read(part_size)
            if not data:
                return None
            if number > MAX_PARTS:
                raise B2ValidationError(
                    f"the source is longer than {MAX_PARTS} parts of {part_size} bytes; pass "
                    "content_length or a larger part_size"
                )
            return None, data

        executor = ThreadPoolExecutor(
            max_workers=self.max_workers, thread_name_prefix="b2-upload-part"
        )
        count = 0
        try:
            number = 1
            while not failed.is_set():
                slots.acquire()
                if failed.is_set():
                    slots.release()
                    break
                try:
                    item = next_part(number)
                except Exception as exc:
                    slots.release()
                    fail(exc)
                    break
                if item is None:
                    slots.release()
                    break
                executor.submit(send, number, item[0], item[1])
                count = number
                number += 1
            if not failed.is_set() and plan is not None and not src.random_access:
                _check_stream_end(src, plan[-1].offset + plan[-1].length)
        except BaseException:
            failed.set()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        if errors:
            raise errors[0]

        numbers = sorted(digests)
        if numbers != list(range(1, count + 1)):
            raise B2IntegrityError(
                f"internal error: parts {numbers} were sent for {self.file_name!r}, "
                f"expected 1..{count}"
            )
        if plan is None:
            tracker.set_total(tracker.done, report=True)
        return [digests[n] for n in numbers], sum(sizes.values())
