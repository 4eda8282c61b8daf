"""B2File's ranged reads: seeks reuse connections and free abandoned blocks at once.

Connections are counted on the client side (:mod:`tests.connections`); the emulator counts the
requests.
"""

from __future__ import annotations

import gc
from typing import Any

from django.core.files.base import ContentFile

from django_b2.files import READ_BUFFER_SIZE, SEEK_BLOCK_SIZE, SKIP_LIMIT, B2File
from django_b2.storage import B2Storage
from tests.connections import ConnectionCounter
from tests.helpers import pattern

from .conftest import B2Env

SIZE = 4 * SEEK_BLOCK_SIZE + 12_345


class CountingStorage(B2Storage):
    """A storage whose client uses a connection-counting session."""

    counter: ConnectionCounter

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "session": self.counter.session}


def open_b2(storage: B2Storage, name: str) -> B2File:
    handle = storage.open(name)
    assert isinstance(handle, B2File)
    return handle


def counting_storage(b2: B2Env, **options: Any) -> CountingStorage:
    storage = CountingStorage(**b2.options(**options))
    storage.counter = ConnectionCounter()
    return storage


def test_seeks_drain_small_remainders_and_skip_short_gaps(b2: B2Env) -> None:
    data = pattern(SIZE, "ranges")
    storage = counting_storage(b2)  # default read_block_size (8 MiB): the file is one block
    storage.save("seek.bin", ContentFile(data))
    b2.server.reset_counters()
    counter = storage.counter
    try:
        with open_b2(storage, "seek.bin") as handle:
            before = counter.opened
            assert handle.read(100) == data[:100]  # block 1: the whole file
            far = 2 * SEEK_BLOCK_SIZE
            handle.seek(far)  # most of block 1 is left: its connection is closed
            assert handle.read(100) == data[far : far + 100]  # block 2: SEEK_BLOCK_SIZE bytes
            assert counter.opened == before + 1
            near = far + READ_BUFFER_SIZE + SKIP_LIMIT // 4  # past the read buffer, in block 2
            handle.seek(near)
            assert handle.read(100) == data[near : near + 100]  # read through: no request
            assert handle.requests == 2
            handle.seek(1000)  # block 2 has little left: drained, its connection reused
            assert handle.read(100) == data[1000:1100]
            handle.seek(0)  # backwards: block 3 drained too
            assert handle.read(100) == data[:100]
            assert handle.requests == 4
        # Closing the file drained block 4: every request after the first seek shared one
        # connection.
        assert counter.opened == before + 1
        assert b2.counts() == {"b2_download_file_by_name": 1, "b2_download_file_by_id": 3}
        storage.size("seek.bin")  # and the next API call still finds it in the pool
        assert counter.opened == before + 1
    finally:
        storage.client.close()
        counter.close()


def test_blocks_grow_after_a_seek_and_a_read_from_the_start_takes_one(b2: B2Env) -> None:
    data = pattern(SIZE, "ranges")
    storage = counting_storage(b2)
    storage.save("grow.bin", ContentFile(data))
    try:
        with open_b2(storage, "grow.bin") as handle:
            assert handle.read() == data
            assert handle.requests == 1  # a sequential read from byte 0: one full block
        with open_b2(storage, "grow.bin") as handle:  # open() asked for the first block already
            handle.seek(1000)
            assert handle.read(10) == data[1000:1010]
            assert handle.requests == 1  # a short seek forward reads through, no new request
            start = 1000 + READ_BUFFER_SIZE + SKIP_LIMIT + 1  # too far to read through
            handle.seek(start)
            assert handle.read() == data[start:]
            # SEEK_BLOCK_SIZE, then the rest (a 2x block clipped to the file's end)
            assert SEEK_BLOCK_SIZE < SIZE - start <= 3 * SEEK_BLOCK_SIZE
            assert handle.requests == 1 + 2
        with open_b2(storage, "grow.bin") as handle:
            for start in range(0, SIZE, SEEK_BLOCK_SIZE // 2):  # read_block_size caps the size
                handle.seek(start)
                assert handle.read(10) == data[start : start + 10]
        small = counting_storage(b2, read_block_size=4096)
        with open_b2(small, "grow.bin") as handle:
            handle.seek(5000)
            assert handle.read(20_000) == data[5000:25_000]
            # A 4 KiB block after the seek, then blocks four times larger while reads stay
            # sequential (capped at read_block_size, this took 1 + 5).
            assert handle.requests <= 3
    finally:
        storage.client.close()
        storage.counter.close()


def test_abandoned_blocks_are_freed_without_the_garbage_collector(b2: B2Env) -> None:
    data = pattern(SIZE, "ranges")
    storage = counting_storage(b2)
    storage.save("free.bin", ContentFile(data))
    counter = storage.counter
    gc.collect()
    gc.disable()
    try:
        with open_b2(storage, "free.bin") as handle:
            for step in range(12):
                start = (step * 97_531) % (SIZE - 200)
                handle.seek(start)
                assert handle.read(100) == data[start : start + 100]
                # Only the block being read is alive: every abandoned one (its response,
                # its chunk buffers) was freed when the seek let it go.
                assert counter.live_responses() <= 1, step
        assert counter.live_responses() == 0
    finally:
        gc.enable()
        storage.client.close()
        counter.close()
