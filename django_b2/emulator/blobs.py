"""Bodies on disk: blob files, temp files for bodies on their way in, byte ranges of a body."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator

from .records import Segment


class BlobFiles:
    """``blobs/`` (one file per stored body or part) and ``tmp/`` (emptied at start) of a data
    dir."""

    def __init__(self, data_dir: str) -> None:
        self.blob_dir = os.path.join(data_dir, "blobs")
        self.tmp_dir = os.path.join(data_dir, "tmp")
        os.makedirs(self.blob_dir, exist_ok=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        os.makedirs(self.tmp_dir, exist_ok=True)

    def new_temp_path(self) -> str:
        return os.path.join(self.tmp_dir, secrets.token_hex(12))

    def path(self, blob: str) -> str:
        return os.path.join(self.blob_dir, blob)

    def keep(self, temp_path: str) -> str:
        """Move a temp file into ``blobs/``; returns its blob name."""
        blob = secrets.token_hex(16)
        os.replace(temp_path, self.path(blob))
        return blob

    def remove(self, blob: str | None) -> None:
        if blob:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(blob))

    def remove_all(self) -> None:
        shutil.rmtree(self.blob_dir, ignore_errors=True)
        os.makedirs(self.blob_dir, exist_ok=True)


def pieces(
    segments: Iterable[Segment], start: int, count: int
) -> Iterator[tuple[Segment, int, int]]:
    """``(segment, offset, length)`` of each piece of ``count`` bytes from ``start`` of a body
    stored as ``segments``; fewer bytes when the segments end first."""
    offset = start
    remaining = count
    for segment in segments:
        if remaining <= 0:
            break
        if offset >= segment.length:
            offset -= segment.length
            continue
        take = min(segment.length - offset, remaining)
        yield segment, offset, take
        remaining -= take
        offset = 0
