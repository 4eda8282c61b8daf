"""``B2File``: what :meth:`B2Storage.open` returns.

Read modes (``"rb"``, ``"r"``) stream the file with HTTP Range requests of at most
``read_block_size`` bytes: nothing is read before it is asked for, a seek costs nothing until the
next read, and sequential reads continue on the open response. Memory stays at one read buffer
whatever the file size.

Sequential reads need few requests: a read from the start of the file asks for a block of
``read_block_size`` bytes, and while reads stay sequential each following block is four times
the last, up to :data:`MAX_SEQUENTIAL_BLOCK` (a 1 GiB file read from start to end takes 5 ranged
GETs with the default 8 MiB). The size of a block costs no memory: its body is read in network
chunks of at most 1 MiB as the caller reads.

Seeks are made cheap for the connection pool too. A short seek forward inside the open block
reads through the gap instead of sending a new request. A block that starts after a seek asks
for only :data:`SEEK_BLOCK_SIZE` bytes, and sequential reads double the size of each following
block up to ``read_block_size``, then grow as above. An abandoned block with little left is
drained so its keep-alive connection is reused; only a large remainder closes the connection (see
:meth:`DownloadedFile.close`).

Write modes (``"wb"``, ``"w"``) write into a :class:`tempfile.SpooledTemporaryFile` (in memory up
to ``spool_max_size`` bytes, then on disk) and upload it on :meth:`close`.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Final

from django.core.files.base import File

from django_b2.client._download import DEFAULT_DRAIN_LIMIT
from django_b2.client.errors import B2NotFound, B2RangeNotSatisfiable

if TYPE_CHECKING:
    from django_b2.client import DownloadedFile

    from .storage import B2Storage

__all__ = [
    "MAX_SEQUENTIAL_BLOCK",
    "READ_BUFFER_SIZE",
    "SEEK_BLOCK_SIZE",
    "SKIP_LIMIT",
    "B2File",
    "RangeReader",
]

#: Size of the read buffer in front of the ranged stream.
READ_BUFFER_SIZE: Final = 64 * 1024
#: Largest network read: big sequential reads get whole chunks passed on without re-joining.
NETWORK_CHUNK_SIZE: Final = 1024 * 1024
#: Largest first request after a seek (later sequential blocks double up to ``read_block_size``).
#: Equal to the drain limit, so a block abandoned by the next seek is drained, not disconnected.
SEEK_BLOCK_SIZE: Final = DEFAULT_DRAIN_LIMIT
#: A seek at most this far forward inside the open block reads through the gap.
SKIP_LIMIT: Final = DEFAULT_DRAIN_LIMIT
#: Largest block of a sequential read (or ``read_block_size`` if larger).
MAX_SEQUENTIAL_BLOCK: Final = 512 * 1024 * 1024
#: Factor by which blocks past ``read_block_size`` grow while reads stay sequential.
_SEQUENTIAL_GROWTH: Final = 4
_READ_MODES: Final = frozenset({"r", "rb"})
_WRITE_MODES: Final = frozenset({"w", "wb"})


class RangeReader(io.RawIOBase):
    """A seekable, read-only raw stream over one B2 file, fetched block by block."""

    def __init__(self, storage: B2Storage, name: str, key: str, block_size: int) -> None:
        super().__init__()
        self._storage = storage
        self._name = name
        self._key = key
        self._block_size = block_size
        self._pos = 0
        self._size: int | None = None
        self._file_id: str | None = None  # pinned by the first response
        self._response: DownloadedFile | None = None
        self._response_pos = 0  # offset of the next byte the open response will give
        self._response_end = 0  # offset just past the open response's range
        self._chunks: Iterator[bytes] | None = None  # the open response's body chunks
        self._pending = memoryview(b"")  # what is left of the current chunk
        self._last_end: int | None = None  # end of the last block requested
        self._last_length = 0  # length of the last block requested
        self.requests = 0  # ranged GETs made, for tests and curious callers

    # -- io.RawIOBase --------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence}); use 0, 1 or 2")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        self._pos = target
        return target

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        piece = self._next_piece(len(view))
        count = len(piece)
        view[:count] = piece
        return count

    def readall(self) -> bytes:
        # The network chunks themselves, joined once: one copy instead of three.
        pieces: list[memoryview] = []
        while True:
            piece = self._next_piece(self._block_size)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)

    def _next_piece(self, limit: int) -> memoryview:
        """Up to ``limit`` bytes from the current position, as a view of a network chunk
        (empty at the end of the file); advances the position."""
        while True:
            if self._size is not None and self._pos >= self._size:
                return memoryview(b"")
            if self._response is not None and self._response_pos != self._pos:
                self._skip_to_position()
            if self._response is None:
                self._start(self._pos)
                if self._response is None:
                    return memoryview(b"")  # empty file or past the end
            want = min(limit, self._response_end - self._response_pos)
            piece = self._take(want) if want > 0 else memoryview(b"")
            if piece:
                self._pos += len(piece)
                self._response_pos += len(piece)
                return piece
            if want <= 0:
                # This block is used up: let the download finish (length/SHA-1 checks, the
                # connection goes back to the pool, its buffers are freed) before the next one.
                next(self._body_chunks(READ_BUFFER_SIZE), None)
            self._close_response()

    def _body_chunks(self, limit: int) -> Iterator[bytes]:
        """The open response's chunks; their size is fixed by the first read of the block:
        one read buffer for small reads, up to 1 MiB for large ones."""
        if self._chunks is None:
            assert self._response is not None
            size = min(max(limit, READ_BUFFER_SIZE), NETWORK_CHUNK_SIZE, self._block_size)
            self._chunks = self._response.iter_chunks(size)
        return self._chunks

    def _take(self, limit: int) -> memoryview:
        """Up to ``limit`` bytes of the open response (empty when its body has ended)."""
        if not self._pending:
            chunk = next(self._body_chunks(limit), None)
            if not chunk:
                return memoryview(b"")
            self._pending = memoryview(chunk)
        piece = self._pending[:limit]
        self._pending = self._pending[len(piece) :]
        return piece

    def close(self) -> None:
        self._close_response()
        super().close()

    # -- B2 ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        if self._size is None:
            self._size = int(self._storage.file_info(self._name)["contentLength"])
        return self._size

    def _skip_to_position(self) -> None:
        """Read through a short forward gap in the open block; else let the block go."""
        response = self._response
        assert response is not None
        gap = self._pos - self._response_pos
        if 0 < gap <= SKIP_LIMIT and self._pos < self._response_end:
            while gap > 0:
                data = self._take(gap)
                if not data:
                    break
                gap -= len(data)
                self._response_pos += len(data)
            if gap == 0:
                return
        self._close_response()

    def _block_length(self, offset: int) -> int:
        """How many bytes to ask for at ``offset``: see the module docstring."""
        if offset == self._last_end:
            last = self._last_length
            if last < self._block_size:
                return min(self._block_size, max(last * 2, SEEK_BLOCK_SIZE))
            return min(max(self._block_size, MAX_SEQUENTIAL_BLOCK), last * _SEQUENTIAL_GROWTH)
        if offset == 0 and self._last_end is None:
            return self._block_size
        return min(self._block_size, SEEK_BLOCK_SIZE)

    def _start(self, offset: int) -> None:
        """Open a ranged GET of one block starting at ``offset``."""
        self._close_response()
        end = offset + self._block_length(offset) - 1
        if self._size is not None:
            if offset >= self._size:
                return
            end = min(end, self._size - 1)
        self.requests += 1
        self._last_end, self._last_length = end + 1, end + 1 - offset
        client = self._storage.client
        try:
            if self._file_id is None:
                response = client.download_file_by_name(
                    self._storage.bucket_name, self._key, range=(offset, end)
                )
            else:
                # Later blocks come from the version the first one came from, even if the name
                # has been overwritten since: a read never mixes two versions.
                response = client.download_file_by_id(self._file_id, range=(offset, end))
        except B2NotFound as exc:
            raise self._storage.missing(self._name, exc) from exc
        except B2RangeNotSatisfiable:
            if offset == 0:
                self._size = 0  # a zero-byte file has no satisfiable range
                return
            self._size = self.size
            return
        # Network reads of one read buffer (up to 1 MiB for large reads, see _body_chunks):
        # memory stays small whatever the block.
        response.chunk_size = min(READ_BUFFER_SIZE, self._block_size)
        total = response.total_length
        if total is not None:
            self._size = int(total)
        if self._file_id is None and response.file_id:
            self._file_id = response.file_id
        self._response = response
        self._chunks = None
        self._pending = memoryview(b"")
        self._response_pos = offset
        length = response.content_length
        self._response_end = offset + (length if length is not None else end - offset + 1)

    @property
    def file_id(self) -> str | None:
        """Id of the version being read (known once the first block has been requested)."""
        return self._file_id

    def _close_response(self) -> None:
        self._chunks = None
        self._pending = memoryview(b"")
        if self._response is not None:
            response, self._response = self._response, None
            response.close()

    def prefetch(self) -> None:
        """Open the first block now (raises :class:`FileNotFoundError` for a missing file)."""
        if self._response is None:
            self._start(self._pos)


class B2File(File):  # type: ignore[type-arg]
    """A file on B2, opened by :meth:`B2Storage.open`. Use it as a context manager."""

    def __init__(self, name: str, mode: str, storage: B2Storage, key: str) -> None:
        if mode not in _READ_MODES | _WRITE_MODES:
            raise ValueError(
                f"B2File mode {mode!r} is not supported; use 'rb' or 'r' to read and 'wb' or 'w' "
                "to write (B2 files cannot be appended to or updated in place)."
            )
        self.name = name
        self._name = name
        self.mode = mode
        self.key = key
        self._storage = storage
        self._file: IO[Any] | None = None
        self._raw: RangeReader | None = None
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        self._closed = False
        self.uploaded: dict[str, Any] | None = None  # B2's answer once a write-mode file closed

    @property
    def readable_mode(self) -> bool:
        return self.mode in _READ_MODES

    @property
    def file(self) -> IO[Any]:
        if self._file is None:
            if self._closed:
                raise ValueError(f"I/O operation on closed file {self.name!r}.")
            self._file = self._make_file()
        return self._file

    @file.setter
    def file(self, value: IO[Any]) -> None:
        self._file = value

    def _make_file(self) -> IO[Any]:
        cfg = self._storage.config
        if self.readable_mode:
            self._raw = RangeReader(self._storage, self._name, self.key, cfg.read_block_size)
            buffered = io.BufferedReader(self._raw, buffer_size=READ_BUFFER_SIZE)
            if "b" in self.mode:
                return buffered
            return io.TextIOWrapper(buffered, encoding="utf-8")
        # Closed in close(), after the upload.
        spool = _Spool(max_size=cfg.spool_max_size, mode="w+b")
        self._spool = spool
        if "b" in self.mode:
            return spool
        # _Spool implements the binary buffer interface; typeshed's 3.10 stubs don't see it.
        return io.TextIOWrapper(spool, encoding="utf-8", write_through=True)  # type: ignore[type-var,unused-ignore]

    def prefetch(self) -> None:
        """Start reading now so that a missing file raises :class:`FileNotFoundError` here."""
        self.file  # noqa: B018 - builds the reader
        assert self._raw is not None
        self._raw.prefetch()

    def version(self) -> tuple[B2Storage, str, int] | None:
        """``(storage, file_id, size)`` of the version a read-mode file serves, else ``None``."""
        if not self.readable_mode or self._closed:
            return None
        self.prefetch()
        assert self._raw is not None
        file_id = self._raw.file_id
        if file_id is None:
            return None
        return self._storage, file_id, self._raw.size

    @property
    def requests(self) -> int:
        """Ranged GET requests made so far by a read-mode file."""
        return self._raw.requests if self._raw is not None else 0

    @property
    def size(self) -> int:
        if self.readable_mode:
            self.file  # noqa: B018 - builds the reader
            assert self._raw is not None
            return self._raw.size
        if self._spool is None:
            return 0
        self.file.flush()
        position = self._spool.tell()
        end = self._spool.seek(0, io.SEEK_END)
        self._spool.seek(position)
        return end

    @size.setter
    def size(self, value: int) -> None:  # File.__init__ compatibility; size is always derived
        pass

    @property
    def closed(self) -> bool:
        return self._closed

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> B2File:
        """Reopen (reading from the start) a closed file; rewind an open one."""
        if not self._closed:
            self.seek(0)
            return self
        if mode is not None and mode != self.mode:
            return self._storage.open(self._name, mode)  # type: ignore[return-value]
        self._closed = False
        self._file = None
        return self

    def close(self) -> None:
        if self._closed:
            return
        try:
            if not self.readable_mode:
                self._upload()
        finally:
            self._closed = True
            if self._file is not None:
                self._file.close()
            self._file = None
            self._raw = None
            self._spool = None

    def _upload(self) -> None:
        self.file.flush()
        spool = self._spool
        assert spool is not None
        length = spool.seek(0, io.SEEK_END)
        spool.seek(0)
        self.uploaded = self._storage.upload(self._name, self.key, spool, content_length=length)

    def __repr__(self) -> str:
        return f"<B2File: {self.name} ({self.mode})>"


class _Spool(tempfile.SpooledTemporaryFile[bytes]):
    """Python 3.10's ``SpooledTemporaryFile`` lacks these ``IOBase`` methods; ``TextIOWrapper``
    (text-mode writes) calls them. Later versions define them the same way."""

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True
