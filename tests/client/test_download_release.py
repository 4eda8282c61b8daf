"""``DownloadedFile.close()`` frees everything at once and keeps small remainders' connections.

Connections are counted on the client side, by a session whose connections count their
``connect()`` calls (:mod:`tests.connections`).
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from django_b2.client import B2Client, Bucket
from django_b2.client._download import DEFAULT_DRAIN_LIMIT, DownloadedFile
from django_b2.client.errors import B2ValidationError
from django_b2.emulator import EmulatorServer
from tests.connections import ConnectionCounter
from tests.helpers import pattern

from .conftest import SleepRecorder, make_client


@pytest.fixture
def counted() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.close()


@pytest.fixture
def counted_client(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder, counted: ConnectionCounter
) -> Iterator[B2Client]:
    with make_client(b2_emulator, sleeps, session=counted.session) as c:
        yield c


SIZE = 3 * DEFAULT_DRAIN_LIMIT  # a remainder bigger than the drain limit is possible


@pytest.fixture
def stored(counted_client: B2Client) -> tuple[Bucket, bytes]:
    bucket = counted_client.create_bucket("release-tests", "allPrivate")
    data = pattern(SIZE, "release")
    counted_client.upload_file(bucket["bucketId"], "f.bin", data)
    return bucket, data


def _open(client: B2Client, bucket: Bucket, **kwargs: Any) -> DownloadedFile:
    downloaded = client.download_file_by_name(bucket["bucketName"], "f.bin", **kwargs)
    downloaded.chunk_size = 4096
    return downloaded


def test_small_remainder_is_drained_and_the_connection_reused(
    counted_client: B2Client, counted: ConnectionCounter, stored: tuple[Bucket, bytes]
) -> None:
    bucket, data = stored
    first = _open(counted_client, bucket, range=(0, DEFAULT_DRAIN_LIMIT - 1))
    assert first.read(10) == data[:10]
    first.close()  # about DEFAULT_DRAIN_LIMIT - 8 KiB left: drained
    before = counted.opened
    for start in (1000, 50_000, 123_456):
        partial = _open(counted_client, bucket, range=(start, start + DEFAULT_DRAIN_LIMIT - 1))
        assert partial.read(100) == data[start : start + 100]
        partial.close()
    never_read = _open(counted_client, bucket, range=(0, 9999))
    never_read.close()  # closed before the first read: drained too
    with _open(counted_client, bucket) as whole:  # a full read ends on a reusable connection
        assert whole.read() == data
    assert counted.opened == before  # five requests, not one new connection


def test_big_remainder_closes_the_connection(
    counted_client: B2Client, counted: ConnectionCounter, stored: tuple[Bucket, bytes]
) -> None:
    bucket, data = stored
    counted_client.get_file_info_by_name(bucket["bucketName"], "f.bin")  # warm the pool
    before = counted.opened
    big = _open(counted_client, bucket)
    assert big.read(10) == data[:10]
    assert big.unread_network_bytes is not None
    assert big.unread_network_bytes > DEFAULT_DRAIN_LIMIT
    big.close()  # reading the rest would cost more than a new connection
    assert counted.opened == before
    counted_client.get_file_info_by_name(bucket["bucketName"], "f.bin")
    assert counted.opened == before + 1
    # drain_limit=0 closes even a small remainder.
    small = _open(counted_client, bucket, range=(0, 9999))
    small.drain_limit = 0
    small.read(10)
    small.close()
    counted_client.get_file_info_by_name(bucket["bucketName"], "f.bin")
    assert counted.opened == before + 2


def test_close_frees_the_response_and_buffers_without_the_garbage_collector(
    counted_client: B2Client, counted: ConnectionCounter, stored: tuple[Bucket, bytes]
) -> None:
    bucket, data = stored
    chunk = 256 * 1024
    gc.collect()
    gc.disable()
    try:
        downloaded = _open(counted_client, bucket)
        downloaded.chunk_size = chunk
        assert downloaded.read(10) == data[:10]  # holds one chunk being read, one held back
        assert counted.live_responses() >= 1
        downloaded.close()
        # The object is still referenced here, yet its response is gone.
        assert counted.live_responses() == 0
        # Dropping the last reference frees the object at once: no reference cycle is left.
        ref = weakref.ref(downloaded)
        del downloaded
        assert ref() is None
    finally:
        gc.enable()


def _chunk_sized_blocks(snapshot: tracemalloc.Snapshot, chunk: int) -> int:
    """Live allocations of at least ``chunk`` bytes, leaving out the emulator's threads (it
    serves from this same process). Counting only big blocks ignores the few hundred bytes
    urllib3 and the pool allocate or free meanwhile."""
    ignore = ["*/django_b2/emulator/*", "*/socketserver.py", "*/http/server.py", "*/threading.py"]
    kept = snapshot.filter_traces([tracemalloc.Filter(False, pattern) for pattern in ignore])
    return sum(1 for trace in kept.traces if trace.size >= chunk)


def test_close_frees_chunks_measured_with_tracemalloc(
    counted_client: B2Client, stored: tuple[Bucket, bytes]
) -> None:
    bucket, data = stored
    chunk = 256 * 1024
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        downloaded = _open(counted_client, bucket)
        downloaded.chunk_size = chunk
        assert downloaded.read(10) == data[:10]
        holding = _chunk_sized_blocks(tracemalloc.take_snapshot(), chunk)
        downloaded.close()
        released = _chunk_sized_blocks(tracemalloc.take_snapshot(), chunk)
    finally:
        tracemalloc.stop()
        gc.enable()
    # read(10) left a chunk being read and a chunk held back for the checks: both are freed,
    # though the object itself is still referenced here.
    assert (holding, released) == (2, 0)
    with pytest.raises(B2ValidationError, match="closed"):
        downloaded.read(1)


def test_close_from_inside_the_progress_callback(
    counted_client: B2Client, stored: tuple[Bucket, bytes]
) -> None:
    bucket, data = stored
    seen: list[int] = []

    def progress(done: int, total: int | None) -> None:
        seen.append(done)
        if done >= 8192:
            downloaded.close()

    downloaded = counted_client.download_file_by_name(
        bucket["bucketName"], "f.bin", progress=progress
    )
    downloaded.chunk_size = 4096
    got = b"".join(downloaded.iter_chunks())
    assert downloaded.closed
    assert data.startswith(got)
    assert 8192 <= len(got) < len(data)
