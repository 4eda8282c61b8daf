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

Reading parts: from paths and plain binary files (``open(..., "rb")``), each worker sends its
part straight from the file with positioned reads through a 1 MiB buffer, hashing the blocks as
they go and ending the body with the SHA-1 hex (``hex_digits_at_end``): the file is read once and
memory stays at about ``max_workers`` MiB. A part that may already be on B2 (resume) is hashed
first, to compare. Other seekable file objects are read into one buffer per worker, reused for
the whole upload (at most ``max_workers`` buffers of ``part_size``), and sent from it without
copies; the transport sends bodies in 1 MiB blocks. The modules: :mod:`._plan` (part sizes),
:mod:`._sources` and :mod:`._streams` (reading), :mod:`._body` (the request body),
:mod:`._engine` (the job).

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
If ``b2_finish_large_file`` fails for good (timeouts, lost connections, 5xx), ``b2_get_file_info``
decides whether it actually finished; ``finish_large_file`` itself recognises the 400 that a
resend meets when a lost answer had finished the file.

Progress: ``progress(bytes_done, total_or_None)`` is called with monotonically growing counts,
never concurrently (see :mod:`django_b2.client._progress`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, Union

from ._engine import UploadJob
from ._limits import (
    AUTO_CONTENT_TYPE,
    LARGE_FILE_SHA1,
    MAX_LARGE_FILE_SIZE,
    MAX_PART_SIZE,
    SHA1_HEX,
)
from ._plan import choose_part_size, choose_threshold, plan_parts
from ._progress import ProgressCallback, ProgressTracker
from ._sources import FileSource, open_source, read_all
from ._validation import validate_file_info, validate_file_name
from .errors import B2ValidationError

if TYPE_CHECKING:
    from ._client import B2Client

__all__ = ["Source", "upload"]

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes], Iterable[bytes]]


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
    if isinstance(value, str) and SHA1_HEX.fullmatch(value):
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
    src = open_source(source, content_length)
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
        job = UploadJob(
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
                if isinstance(src, FileSource):
                    return job.single_from_file(src)
                return job.single(src.read_at(0, size) if src.random_access else read_all(src))
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
