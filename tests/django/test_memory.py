"""Saving and reading files far larger than workers x part size keeps memory bounded."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

from django.core.files.base import File

from .conftest import B2Env

SIZE = 4_000_000
PART = 20_000
WORKERS = 2
PATTERN = bytes(range(251)) * 200  # 50,200 bytes, not a divisor of the part size


class Generated(io.RawIOBase):
    """A seekable file of SIZE deterministic bytes that never exists in memory as a whole."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._size - self._pos))
        done = 0
        while done < count:
            offset = (self._pos + done) % len(PATTERN)
            take = min(count - done, len(PATTERN) - offset)
            view[done : done + take] = PATTERN[offset : offset + take]
            done += take
        self._pos += count
        return count


def expected_sha1() -> str:
    digest = hashlib.sha1()
    source = Generated(SIZE)
    while chunk := source.read(65536):
        digest.update(chunk)
    return digest.hexdigest()


def test_large_save_and_read_stay_bounded(b2: B2Env) -> None:
    storage = b2.storage(
        part_size=PART,
        large_file_threshold=2 * PART + 1,
        max_workers=WORKERS,
        read_block_size=256_000,
    )
    # Warm up first: imports, thread pools and the emulator's first large file allocate once.
    storage.save("warm.bin", File(Generated(5 * PART), name="warm.bin"))
    with storage.open("warm.bin") as handle:
        handle.read()
    tracemalloc.start()
    try:
        storage.save("huge.bin", File(Generated(SIZE), name="huge.bin"))
        _, save_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha1()
        with storage.open("huge.bin") as handle:
            for chunk in handle.chunks(chunk_size=64 * 1024):
                digest.update(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    counts = b2.counts()
    assert counts["b2_upload_part"] == 5 + SIZE // PART
    assert digest.hexdigest() == expected_sha1()
    # The file is 4 MB; workers x part size is 40 kB, the read buffers 64 kB each. The peaks
    # (a few hundred kB: HTTP and thread-pool overhead included) stay far below the file size.
    assert save_peak < SIZE / 4, ("save", save_peak)
    assert read_peak < SIZE / 4, ("read", read_peak)
