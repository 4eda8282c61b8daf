"""Streamed downloads: header parsing, resume with ``Range``, length and SHA-1 checks.

:class:`DownloadedFile` wraps the streamed ``requests.Response`` of ``b2_download_file_by_name`` /
``b2_download_file_by_id``. It hands the body out in chunks and checks it on the way:

- the number of bytes must equal ``Content-Length`` (always);
- for a full-body download (status 200) the SHA-1 must equal ``X-Bz-Content-Sha1`` (an
  ``unverified:`` prefix is stripped; ``none`` — large files — falls back to the
  ``large_file_sha1`` file info when present), unless ``verify=False``.

A mismatch raises :class:`~django_b2.client.errors.B2IntegrityError` *before* the last chunk is
handed out (one chunk is held back), so a caller that writes chunks as they come never sees a
complete-looking bad file. :meth:`DownloadedFile.save` writes to a temporary file beside the
destination and renames it only on success.

:meth:`DownloadedFile.close` releases everything at once: the response, the chunk iterator, the
held-back chunk and the hasher. A body abandoned with at most ``drain_limit`` bytes left is read
to its end and dropped, so the connection is reused; a bigger remainder closes the connection.

When the stream breaks (connection reset, read timeout, short body) and the client gave a
``reopen(offset)`` callable, the download continues from the absolute byte ``offset`` with a new
ranged request, up to ``max_resumes`` times, and the SHA-1 runs on across the pieces.

Bodies are read raw (``decode_content=False``): a file stored with ``b2-content-encoding: gzip``
is returned exactly as stored, which is also what its SHA-1 covers.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import secrets
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, Union
from urllib.parse import unquote_plus

import requests
import urllib3.exceptions
import urllib3.response

from django_b2.client._closing import Closing
from django_b2.client._download_headers import (
    expected_sha1,
    file_info_from,
    int_or_none,
    parse_content_range,
)
from django_b2.client._progress import ProgressCallback
from django_b2.client.errors import B2ConnectionError, B2IntegrityError, B2ValidationError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DRAIN_LIMIT",
    "MAX_RESUMES",
    "DownloadedFile",
]

DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_RESUMES = 10
#: :meth:`DownloadedFile.close` reads and drops at most this many unread body bytes so that the
#: keep-alive connection goes back to the pool; a larger remainder closes the connection instead.
DEFAULT_DRAIN_LIMIT = 256 * 1024

Destination = Union[str, "os.PathLike[str]", IO[bytes]]


# What a broken body stream raises: urllib3 (raw reads), requests (iter_content), the socket.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (
    urllib3.exceptions.HTTPError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)
_DRAIN_ERRORS: tuple[type[BaseException], ...] = (*_STREAM_ERRORS, OSError, ValueError)


class DownloadedFile(Closing):
    """A streamed B2 download: metadata from the headers, the body in checked chunks.

    Attributes: ``file_id``, ``file_name`` (decoded), ``content_length`` (of this body),
    ``total_length`` (of the whole file, when known), ``content_type``, ``content_sha1`` (the raw
    header: hex, ``none`` or ``unverified:<hex>``), ``file_info`` (decoded ``X-Bz-Info-*``, keys
    lowercase), ``upload_timestamp`` (ms), ``headers``, ``status_code``, ``range`` (``(first,
    last)`` inclusive for a 206 answer, else ``None``).

    Read it once, with ``for chunk in f``, :meth:`iter_chunks`, :meth:`read` or :meth:`save`.
    """

    def __init__(
        self,
        response: requests.Response,
        *,
        reopen: Callable[[int], requests.Response] | None = None,
        verify: bool = True,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_resumes: int = MAX_RESUMES,
        drain_limit: int = DEFAULT_DRAIN_LIMIT,
    ) -> None:
        if chunk_size < 1:
            raise B2ValidationError("chunk_size must be a positive number of bytes")
        if max_resumes < 0:
            raise B2ValidationError("max_resumes must be 0 or more")
        if drain_limit < 0:
            raise B2ValidationError("drain_limit must be 0 or more bytes")
        self._response: requests.Response | None = response
        self._reopen = reopen
        self.drain_limit = drain_limit
        self.verify = verify
        self._progress = progress
        self.chunk_size = chunk_size
        self.max_resumes = max_resumes

        headers = response.headers
        self.headers = headers
        self.status_code = response.status_code
        self.file_id: str | None = headers.get("X-Bz-File-Id")
        raw_name = headers.get("X-Bz-File-Name")
        self.file_name: str | None = unquote_plus(raw_name) if raw_name is not None else None
        self.content_sha1: str | None = headers.get("X-Bz-Content-Sha1")
        self.upload_timestamp = int_or_none(headers.get("X-Bz-Upload-Timestamp"))
        self.file_info: dict[str, str] = file_info_from(headers)
        self.content_type: str | None = headers.get("Content-Type")
        self.content_length = int_or_none(headers.get("Content-Length"))
        parsed = parse_content_range(headers.get("Content-Range"))
        self.range: tuple[int, int] | None = None
        self.total_length: int | None
        if parsed is not None:
            first, last, total = parsed
            self.range = (first, last)
            self.total_length = total
            if self.content_length is None:
                self.content_length = last - first + 1
        elif self.status_code == 206:
            response.close()
            raise B2IntegrityError(
                "B2 answered 206 Partial Content without a usable Content-Range header "
                f"({headers.get('Content-Range')!r})"
            )
        else:
            self.total_length = self.content_length

        self._start = self.range[0] if self.range is not None else 0
        self._full_body = self.status_code == 200 and self.range is None
        self._expected_sha1 = (
            expected_sha1(self.content_sha1, self.file_info) if self._full_body else None
        )
        self._hasher = hashlib.sha1() if (verify and self._expected_sha1) else None
        self._received = 0  # bytes taken from the network (may run one chunk ahead of delivered)
        self._delivered = 0  # bytes handed to the caller
        self.resumes = 0
        self._chunks: Generator[bytes, None, None] | None = None
        self._left = b""  # the chunk read() is working through
        self._left_pos = 0
        self._closed = False
        self._finished = False

    # -- metadata ---------------------------------------------------------------------------

    @property
    def expected_sha1(self) -> str | None:
        """The hex SHA-1 that is checked, or ``None`` (ranged, ``none`` or ``verify=False``)."""
        return self._expected_sha1 if self.verify else None

    @property
    def bytes_read(self) -> int:
        """Bytes handed to the caller so far."""
        return self._delivered

    def as_dict(self) -> dict[str, Any]:
        """A file-version-shaped dict of what the headers said.

        ``contentLength`` is the length of the whole file when known (as in ``b2_get_file_info``);
        ``range`` is ``[first, last]`` for a partial download, else ``None``.
        """
        return {
            "fileId": self.file_id,
            "fileName": self.file_name,
            "contentLength": (
                self.total_length if self.total_length is not None else self.content_length
            ),
            "contentType": self.content_type,
            "contentSha1": self.content_sha1,
            "fileInfo": dict(self.file_info),
            "uploadTimestamp": self.upload_timestamp,
            "range": list(self.range) if self.range is not None else None,
        }

    # -- reading ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_chunks()

    def iter_chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield the body in chunks of about ``chunk_size`` bytes (the first call fixes it)."""
        if self._left_pos < len(self._left):
            data = self._left[self._left_pos :]
            self._left, self._left_pos = b"", 0
            yield data
        iterator = self._iterator(chunk_size)
        yield from iterator

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when ``size`` is negative or ``None``).

        Each call costs O(size): the current chunk is kept with a read position, not reshuffled.
        """
        iterator = self._iterator(None)
        left, pos = self._left, self._left_pos
        if size is None or size < 0:
            self._left, self._left_pos = b"", 0
            return b"".join([left[pos:], *iterator])
        if len(left) - pos >= size:
            self._left_pos = pos + size
            return left[pos : pos + size]
        parts = [left[pos:]]
        got = len(parts[0])
        self._left, self._left_pos = b"", 0
        while got < size:
            chunk = next(iterator, None)
            if chunk is None:
                break
            need = size - got
            if len(chunk) <= need:
                parts.append(chunk)
                got += len(chunk)
            else:
                parts.append(chunk[:need])
                self._left, self._left_pos = chunk, need
                got = size
        return b"".join(parts)

    def save(self, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Write the body to a path or a writable binary file; return the number of bytes.

        For a path the body goes to a temporary file in the same directory, which is renamed to
        the final name only after every byte arrived and passed the checks; on failure it is
        removed, so the destination never holds a partial or corrupt download.
        """
        if isinstance(destination, (str, os.PathLike)):
            return self._save_to_path(os.fspath(destination))
        write = getattr(destination, "write", None)
        if not callable(write):
            raise B2ValidationError(
                "destination must be a path or a binary file object opened for writing, "
                f"not {type(destination).__name__}"
            )
        return self._copy_to(destination)

    def _save_to_path(self, path: str) -> int:
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise B2ValidationError(
                f"cannot save to {path!r}: directory {directory!r} does not exist; create it first"
            )
        # Hidden, unique, and short enough for NAME_MAX even when the final name is long.
        stem = os.path.basename(path)[:200]
        temp = os.path.join(directory, f".{stem}.{secrets.token_hex(6)}.b2download")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                written = self._copy_to(handle)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return written

    def _copy_to(self, handle: IO[bytes]) -> int:
        written = 0
        for chunk in self.iter_chunks():
            handle.write(chunk)
            written += len(chunk)
        return written

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def unread_network_bytes(self) -> int | None:
        """Body bytes not yet taken from the network (``None`` when the length is unknown)."""
        if self.content_length is None:
            return None
        return max(0, self.content_length - self._received)

    def close(self) -> None:
        """Release the response and every buffer now (safe to call more than once).

        Unread body bytes, if there are at most :attr:`drain_limit` of them, are read and dropped
        so the keep-alive connection returns to the pool; a larger remainder (or one of unknown
        length) closes the connection, which is cheaper than reading it. Afterwards the object
        holds no reference to the response, the chunk iterator or any chunk: nothing waits for
        the garbage collector.
        """
        if self._closed:
            return
        self._closed = True
        chunks, self._chunks = self._chunks, None
        if chunks is not None:
            # Ends the generators (ours and urllib3's) and frees the chunk held back for checks.
            # A generator cannot be closed from inside itself (a progress callback calling
            # close()); it then ends on its next step, as _iterator refuses a closed file.
            with contextlib.suppress(ValueError):
                chunks.close()
        self._left, self._left_pos = b"", 0
        self._hasher = None
        self._reopen = None
        self._progress = None
        response, self._response = self._response, None
        if response is None:
            return
        try:
            if not self._finished:
                self._drain(response)
        finally:
            response.close()

    def _drain(self, response: requests.Response) -> None:
        """Read and drop a small unread remainder, so urllib3 can reuse the connection."""
        left = self.unread_network_bytes
        if left is None or left > self.drain_limit or getattr(response, "_content_consumed", False):
            return
        raw = response.raw
        read = getattr(raw, "read", None)
        if not callable(read):
            return
        try:
            while left > 0:
                data = (
                    read(min(left, 65536), decode_content=False)
                    if isinstance(raw, urllib3.response.BaseHTTPResponse)
                    else read(min(left, 65536))
                )
                if not data:
                    break
                left -= len(data)
            if left == 0 and isinstance(raw, urllib3.response.BaseHTTPResponse):
                # Lets urllib3 see the end of the body and put the connection back in the pool.
                raw.read(1, decode_content=False)
        except _DRAIN_ERRORS:
            return  # the connection is closed just below

    def __repr__(self) -> str:
        return (
            f"<DownloadedFile {self.file_name!r} id={self.file_id!r} "
            f"length={self.content_length} status={self.status_code}>"
        )

    # -- internals --------------------------------------------------------------------------

    def _iterator(self, chunk_size: int | None) -> Iterator[bytes]:
        if self._closed:
            raise B2ValidationError("this DownloadedFile is closed; download the file again")
        if self._chunks is None:
            self._chunks = self._checked_chunks(chunk_size or self.chunk_size)
        return self._chunks

    def _checked_chunks(self, chunk_size: int) -> Generator[bytes, None, None]:
        """Network chunks, one held back until the whole body is verified."""
        pending: bytes | None = None
        for chunk in self._network_chunks(chunk_size):
            if pending is not None:
                yield self._deliver(pending)
                if self._closed:  # closed by the caller (or its progress callback) meanwhile
                    return
            pending = chunk
        try:
            self._verify_complete()
        finally:
            self._finished = True
            if self._response is not None:
                self._response.close()
        if pending is not None:
            yield self._deliver(pending)

    def _deliver(self, chunk: bytes) -> bytes:
        self._delivered += len(chunk)
        if self._progress is not None:
            self._progress(self._delivered, self.content_length)
        return chunk

    def _network_chunks(self, chunk_size: int) -> Iterator[bytes]:
        response = self._response
        if response is None:  # closed before the first read
            return
        expected = self.content_length
        while True:
            failure: BaseException | None = None
            try:
                for raw in _iter_body(response, chunk_size):
                    if not raw:
                        continue
                    chunk = raw
                    if expected is not None:
                        remaining = expected - self._received
                        if len(chunk) > remaining:
                            # A resumed request may run past the end of the original range.
                            chunk = chunk[:remaining]
                    self._received += len(chunk)
                    if self._hasher is not None:
                        self._hasher.update(chunk)
                    if chunk:
                        yield chunk
                    if expected is not None and self._received >= expected:
                        return
            except _STREAM_ERRORS as exc:
                failure = exc
            else:
                if expected is None or self._received >= expected:
                    return
            # The stream broke, or ended short of Content-Length: resume if we can.
            offset = self._start + self._received
            if self._reopen is None or self.resumes >= self.max_resumes:
                response.close()
                what = (
                    f"the download stream broke ({type(failure).__name__}: {failure})"
                    if failure is not None
                    else "the download stream ended early"
                )
                message = (
                    f"{what} after {self._received} of {expected if expected is not None else '?'}"
                    f" bytes of {self.file_name!r}"
                    + (f"; gave up after {self.resumes} resumes" if self._reopen else "")
                )
                if failure is not None:
                    raise B2ConnectionError(message) from failure
                raise B2IntegrityError(message)
            self.resumes += 1
            response.close()
            response = self._resume_at(offset)
            self._response = response

    def _resume_at(self, offset: int) -> requests.Response:
        assert self._reopen is not None
        response = self._reopen(offset)
        parsed = parse_content_range(response.headers.get("Content-Range"))
        same_start = (parsed is not None and parsed[0] == offset) or (
            parsed is None and response.status_code == 200 and offset == 0
        )
        new_id = response.headers.get("X-Bz-File-Id")
        same_file = self.file_id is None or new_id is None or new_id == self.file_id
        same_total = (
            parsed is None
            or self.total_length is None
            or parsed[2] is None
            or parsed[2] == self.total_length
        )
        if not (same_start and same_file and same_total):
            response.close()
            raise B2IntegrityError(
                f"cannot resume the download of {self.file_name!r} at byte {offset}: the new "
                f"response does not continue the same file (status {response.status_code}, "
                f"Content-Range {response.headers.get('Content-Range')!r}, file id {new_id!r}, "
                f"expected {self.file_id!r}); download it again"
            )
        return response

    def _verify_complete(self) -> None:
        if self.content_length is not None and self._received != self.content_length:
            raise B2IntegrityError(
                f"length mismatch for {self.file_name!r}: received {self._received} bytes, "
                f"Content-Length said {self.content_length}"
            )
        if self._hasher is not None and self._expected_sha1 is not None:
            actual = self._hasher.hexdigest()
            if actual != self._expected_sha1:
                raise B2IntegrityError(
                    f"SHA-1 mismatch for {self.file_name!r}: the body hashes to {actual}, "
                    f"B2 says {self._expected_sha1}; the download is corrupt, retry it"
                )


def _iter_body(response: requests.Response, chunk_size: int) -> Iterator[bytes]:
    """The body as stored (no content decoding), in chunks."""
    if getattr(response, "_content_consumed", False):
        content = response.content
        if content:
            for start in range(0, len(content), chunk_size):
                yield content[start : start + chunk_size]
        return
    raw = response.raw
    stream = getattr(raw, "stream", None)
    if callable(stream):
        yield from stream(chunk_size, decode_content=False)
        return
    yield from response.iter_content(chunk_size)
