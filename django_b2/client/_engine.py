"""The upload engine: one job per upload (single request, or large file and its parts).

A large file's parts flow from a producer (the calling thread reads and plans them) to a pool of
workers that send them, at most ``max_workers`` at once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._body import Payload
from ._limits import AUTO_CONTENT_TYPE, LARGE_FILE_SHA1, MAX_FILE_INFO_ENTRIES, MAX_PARTS
from ._plan import PartPlan
from ._progress import PieceProgress, ProgressTracker
from ._sources import FileSource, UploadSource, check_stream_end
from ._streams import FileRange, ViewReader
from .errors import (
    B2AuthTokenExpired,
    B2Error,
    B2Forbidden,
    B2IntegrityError,
    B2ServiceError,
    B2TransportError,
    B2Unauthorized,
    B2ValidationError,
)

if TYPE_CHECKING:
    from ._client import B2Client

__all__ = ["AUTH_EXPIRED_PART_ATTEMPTS", "UploadJob"]

logger = logging.getLogger("django_b2.client.upload")

AUTH_EXPIRED_PART_ATTEMPTS = 3


@dataclass
class UploadJob:
    """One upload: a small file in one request, or a large file's parts and finish."""

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
                content_sha1=hashlib.sha1(data).hexdigest(),
                file_info=self.file_info or None,
                progress=piece,
            )
        finally:
            body.close()
        piece.complete()
        return dict(result)

    def single_from_file(self, src: FileSource) -> dict[str, Any]:
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
        src: UploadSource,
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
        except (B2TransportError, B2ServiceError) as exc:
            # The finish may have gone through although we did not hear back: ask B2 instead of
            # blindly retrying. (A resend that meets 400 after a lost answer is recognised by
            # finish_large_file itself.)
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

    def send_part(
        self,
        file_id: str,
        number: int,
        data: memoryview | FileRange,
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
            reader = data if isinstance(data, FileRange) else ViewReader(data)
            reader.seek(0)  # a retry sends the part again from its first byte
            payload = Payload(
                reader,  # type: ignore[arg-type]
                len(data),
                digest,
                piece,
                hash_while_sending=digest is None,
            )
            try:
                self.client.upload_part(file_id, number, payload)  # type: ignore[arg-type]
                return payload.sent_sha1 if digest is None else digest
            except B2AuthTokenExpired:
                if attempt == AUTH_EXPIRED_PART_ATTEMPTS:
                    raise
                logger.info("Part %d of %s: token expired again; retrying", number, file_id)
            finally:
                reader.close()
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send_parts(
        self,
        file_id: str,
        src: UploadSource,
        plan: list[PartPlan] | None,
        part_size: int,
        preloaded: list[bytes],
        existing: dict[int, tuple[int, str]],
    ) -> tuple[list[str], int]:
        feed = _PartFeed(src, plan, part_size, preloaded)
        workers = _PartWorkers(self, file_id, src, existing, plan[0].length if plan else part_size)
        count = workers.run(feed)
        numbers = sorted(workers.digests)
        if numbers != list(range(1, count + 1)):
            raise B2IntegrityError(
                f"internal error: parts {numbers} were sent for {self.file_name!r}, "
                f"expected 1..{count}"
            )
        if plan is None:
            self.tracker.set_total(self.tracker.done, report=True)
        return [workers.digests[n] for n in numbers], sum(workers.sizes.values())


@dataclass(frozen=True)
class _Item:
    """One part to send: a planned range of a random-access source, or bytes already read."""

    number: int
    part: PartPlan | None
    chunk: bytes | None


class _PartFeed:
    """The producer: hands out the parts in order, reading stream data on the calling thread."""

    def __init__(
        self,
        src: UploadSource,
        plan: list[PartPlan] | None,
        part_size: int,
        preloaded: list[bytes],
    ) -> None:
        self._src = src
        self._plan = plan
        self._part_size = part_size
        self._preloaded = preloaded

    def next(self, number: int) -> _Item | None:
        """Part ``number``, or None at the end of the source."""
        if self._preloaded:
            return _Item(number, None, self._preloaded.pop(0))
        src, plan = self._src, self._plan
        if plan is not None:
            if number > len(plan):
                return None
            part = plan[number - 1]
            if src.random_access:
                return _Item(number, part, None)
            data = src.read(part.length)
            if len(data) != part.length:
                check_stream_end(src, part.offset + len(data))
            return _Item(number, None, data)
        data = src.read(self._part_size)
        if not data:
            return None
        if number > MAX_PARTS:
            raise B2ValidationError(
                f"the source is longer than {MAX_PARTS} parts of {self._part_size} bytes; pass "
                "content_length or a larger part_size"
            )
        return _Item(number, None, data)

    def check_end(self) -> None:
        """A planned stream must end where the plan does."""
        plan = self._plan
        if plan is not None and not self._src.random_access:
            check_stream_end(self._src, plan[-1].offset + plan[-1].length)


class _PartWorkers:
    """The workers: send parts on ``max_workers`` threads, at most that many read or in flight.

    Collects each part's SHA-1 and size; the first error stops the feed and is re-raised.
    """

    def __init__(
        self,
        job: UploadJob,
        file_id: str,
        src: UploadSource,
        existing: dict[int, tuple[int, str]],
        buffer_size: int,
    ) -> None:
        self._job = job
        self._file_id = file_id
        self._src = src
        self._existing = existing
        self._buffer_size = buffer_size
        self.digests: dict[int, str] = {}
        self.sizes: dict[int, int] = {}
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._failed = threading.Event()
        self._slots = threading.Semaphore(job.max_workers)
        # Read buffers, reused part after part: at most one per part in flight (max_workers).
        self._free_buffers: list[bytearray] = []

    def run(self, feed: _PartFeed) -> int:
        """Send every part the feed hands out; return how many there were."""
        executor = ThreadPoolExecutor(
            max_workers=self._job.max_workers, thread_name_prefix="b2-upload-part"
        )
        count = 0
        try:
            while not self._failed.is_set():
                item = self._next(feed, count + 1)
                if item is None:
                    break
                executor.submit(self._send, item)
                count = item.number
            if not self._failed.is_set():
                feed.check_end()
        except BaseException:
            self._failed.set()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        if self._errors:
            raise self._errors[0]
        return count

    def _next(self, feed: _PartFeed, number: int) -> _Item | None:
        """The next part once a worker slot is free (the slot is then the part's), or None."""
        self._slots.acquire()
        item = None
        if not self._failed.is_set():
            try:
                item = feed.next(number)
            except Exception as exc:
                self._fail(exc)
        if item is None:
            self._slots.release()
        return item

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)
        self._failed.set()

    def _send(self, item: _Item) -> None:
        buffer: bytearray | None = None
        try:
            if self._failed.is_set():
                return
            if item.chunk is not None:
                data: memoryview | FileRange = memoryview(item.chunk)
                digest: str | None = hashlib.sha1(item.chunk).hexdigest()
            else:
                assert item.part is not None
                buffer, data, digest = self._read(item.number, item.part)
            tracker = self._job.tracker
            if digest is not None and self._existing.get(item.number) == (len(data), digest):
                tracker.add(len(data))
            else:
                piece = tracker.attempt(len(data))
                digest = self._job.send_part(self._file_id, item.number, data, digest, piece)
                piece.complete()
            with self._lock:
                self.digests[item.number] = digest
                self.sizes[item.number] = len(data)
        except BaseException as exc:
            self._fail(exc)
        finally:
            if buffer is not None:
                with self._lock:
                    self._free_buffers.append(buffer)
            self._slots.release()

    def _read(
        self, number: int, part: PartPlan
    ) -> tuple[bytearray | None, memoryview | FileRange, str | None]:
        """A planned part: a file range hashed as it is sent, or read (and hashed) first.

        A part that may be on B2 already (resume) is hashed first to compare; one that is not
        goes straight from the file when the source allows it.
        """
        buffer: bytearray | None = None
        ranged = None
        if self._existing.get(number, (-1, ""))[0] != part.length:
            ranged = self._src.file_range(part.offset, part.length)
        data: memoryview | FileRange
        digest: str | None
        if ranged is not None:
            data, digest = ranged, None
        else:
            if self._src.buffer_needed():
                with self._lock:
                    buffer = self._free_buffers.pop() if self._free_buffers else None
                if buffer is None:
                    buffer = bytearray(self._buffer_size)
            data, digest = self._src.part(part.offset, part.length, buffer)
        if len(data) != part.length:
            raise B2ValidationError(
                f"the source returned {len(data)} bytes for part {number} instead "
                f"of {part.length}; was the file changed during the upload?"
            )
        return buffer, data, digest
