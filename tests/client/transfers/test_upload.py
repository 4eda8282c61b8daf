"""Uploads: part planning, sources, single vs large, parallel parts, resume, cancel, progress.

Real HTTP against the emulator (minimum part size 1000 bytes). Mocks appear only where the
emulator can't produce the failure: a lost ``b2_finish_large_file`` response.
"""

from __future__ import annotations

import array
import hashlib
import io
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_b2.client import B2Client, RetryPolicy
from django_b2.client._limits import MAX_PART_SIZE, MAX_PARTS
from django_b2.client._plan import PartPlan, choose_part_size, choose_threshold, plan_parts
from django_b2.client._progress import (
    LoggingProgress,
    ProgressTracker,
    TqdmProgress,
    combine,
    default_progress,
    throttle,
    tqdm_available,
)
from django_b2.client._sources import open_source
from django_b2.client.errors import (
    B2ServiceError,
    B2TimeoutError,
    B2ValidationError,
)
from tests.client.conftest import no_sleep
from tests.helpers import endpoint_calls, fetch, pattern

PART = 1000
THRESHOLD = 3000


def _make_client(url: str, key_id: str, key: str) -> B2Client:
    return B2Client(key_id, key, api_url=url, retry=RetryPolicy(sleep=no_sleep))


def _unfinished(client: B2Client, bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return list(client.list_unfinished_large_files(bucket["bucketId"])["files"])


class Unseekable:
    """A minimal binary stream without seek/tell, optionally failing at a byte offset."""

    def __init__(self, data: bytes, *, fail_at: int | None = None, step: int | None = None):
        self._data = data
        self._pos = 0
        self._fail_at = fail_at
        self._step = step
        self.reads = 0

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        self.reads += 1
        if self._fail_at is not None and self._pos >= self._fail_at:
            raise OSError("the disk is on fire")
        if n < 0:
            n = len(self._data)
        if self._step:
            n = min(n, self._step)
        if self._fail_at is not None:
            n = min(n, self._fail_at - self._pos)
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk


def _chunks(data: bytes, sizes: tuple[int, ...] = (7, 300, 1, 2048, 999)) -> Iterator[bytes]:
    pos = 0
    index = 0
    while pos < len(data):
        size = sizes[index % len(sizes)]
        yield data[pos : pos + size]
        pos += size
        index += 1


# -- part planning (no network) ---------------------------------------------------------------


def test_plan_parts_covers_the_file_exactly() -> None:
    plan = plan_parts(5500, 1000)
    assert [p.length for p in plan] == [1000] * 5 + [500]
    assert [p.number for p in plan] == list(range(1, 7))
    assert all(p.offset == (p.number - 1) * 1000 for p in plan)
    assert plan_parts(3000, 1000)[-1] == PartPlan(3, 2000, 1000)


def test_plan_parts_always_makes_two_parts() -> None:
    assert [p.length for p in plan_parts(1500, 5000)] == [750, 750]
    assert [p.length for p in plan_parts(2001, 2001)] == [1001, 1000]


def test_plan_parts_rejects_more_than_10000_parts() -> None:
    with pytest.raises(B2ValidationError, match="10000"):
        plan_parts(10_001 * 5, 5)


def test_choose_part_size_clamps_and_grows() -> None:
    assert choose_part_size(None, recommended=100_000, minimum=5_000) == 100_000
    assert choose_part_size(10, recommended=100_000, minimum=5_000) == 5_000
    assert choose_part_size(10**12, recommended=100_000, minimum=5_000) == MAX_PART_SIZE
    # 2 GB in parts of 100 kB would need 20,000 parts: grown to 200 kB.
    grown = choose_part_size(None, recommended=100_000, minimum=5_000, size=2 * 10**9)
    assert grown == 200_000
    assert -(-2 * 10**9 // grown) <= MAX_PARTS


def test_choose_threshold() -> None:
    assert choose_threshold(None, recommended=100, minimum=1000) == 2000
    assert choose_threshold(None, recommended=10_000, minimum=1000) == 20_000
    assert choose_threshold(500, recommended=10_000, minimum=1000) == 2000
    assert choose_threshold(10**12, recommended=10_000, minimum=1000) == 5_000_000_001


# -- source normalisation (no network) --------------------------------------------------------


def test_bytes_like_sources() -> None:
    data = pattern(40)
    for source in (data, bytearray(data), memoryview(data)):
        src = open_source(source, None)
        assert src.size == 40
        assert src.read_at(5, 10) == data[5:15]
        assert src.sha1() == hashlib.sha1(data).hexdigest()
    ints = array.array("i", [1, 2, 3])
    src = open_source(memoryview(ints), None)
    assert src.size == ints.itemsize * 3
    assert src.read_at(0, 100) == ints.tobytes()


def test_seekable_file_is_read_from_its_position(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"HEADER" + pattern(100))
    with open(path, "rb") as handle:
        handle.seek(6)
        src = open_source(handle, None)
        assert src.size == 100
        assert src.read_at(0, 10) == pattern(100)[:10]
        assert src.sha1() == hashlib.sha1(pattern(100)).hexdigest()
        src.close()
        assert not handle.closed  # the caller's file stays open
    limited = open_source(io.BytesIO(pattern(100)), 30)
    assert limited.size == 30
    assert limited.read_at(25, 100) == pattern(100)[25:30]


def test_path_source_is_opened_and_closed(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(pattern(64))
    for source in (str(path), path):
        src = open_source(source, None)
        assert src.size == 64
        assert src.read_at(60, 10) == pattern(64)[60:]
        src.close()


def test_stream_and_iterable_sources_are_recut() -> None:
    data = pattern(3000)
    stream = open_source(Unseekable(data, step=333), None)
    assert stream.size is None and not stream.random_access
    assert stream.read(1000) == data[:1000]
    iterable = open_source(_chunks(data), len(data))
    assert iterable.size == 3000
    assert iterable.read(1000) + iterable.read(5000) == data
    assert iterable.read(10) == b""


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        (b"abc", {"content_length": 4}, "content_length=4"),
        (12345, {}, "cannot upload a int"),
        ("/no/such/file.bin", {}, "no such file"),
    ],
)
def test_bad_sources(source: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(B2ValidationError, match=message):
        open_source(source, kwargs.get("content_length"))


def test_text_mode_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with open(path) as handle, pytest.raises(B2ValidationError, match="binary"):
        open_source(handle, None)


def test_iterable_of_str_is_rejected() -> None:
    src = open_source(iter(["text"]), None)
    with pytest.raises(B2ValidationError, match="yield bytes"):
        src.read(10)


# -- argument checks happen before any request ------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bucket_id": ""}, "bucket_id"),
        ({"file_name": "bad\x01name"}, "control character"),
        ({"file_info": {f"k{i}": "v" for i in range(11)}}, "11 entries"),
        ({"file_info": {"b2-nope": "v"}}, "reserved"),
        ({"max_workers": 0}, "max_workers"),
        ({"part_size": 0}, "part_size"),
        ({"part_size": MAX_PART_SIZE + 1}, "at most"),
        ({"content_length": -1}, "content_length"),
        ({"large_file_threshold": 0}, "large_file_threshold"),
        ({"progress": "yes"}, "progress"),
        ({"source": object()}, "cannot upload"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: B2Client, b2_emulator: Any, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"bucket_id": "bucket-id", "file_name": "ok.txt", "source": b"data"}
    args.update(kwargs)
    b2_emulator.reset_counters()
    with pytest.raises(B2ValidationError, match=message):
        client.upload(args.pop("bucket_id"), args.pop("file_name"), args.pop("source"), **args)
    assert b2_emulator.counters()["total"] == 0


# -- every source kind, small and large -------------------------------------------------------

SOURCE_KINDS = [
    "bytes",
    "bytearray",
    "memoryview",
    "path-str",
    "pathlike",
    "open-file",
    "bytesio-offset",
    "unseekable",
    "unseekable-with-length",
    "iterable",
    "iterable-with-length",
]
RANDOM_ACCESS = {"bytes", "bytearray", "memoryview", "path-str", "pathlike", "open-file",
                 "bytesio-offset"}  # fmt: skip


def _source(kind: str, data: bytes, tmp_path: Path, stack: list[Any]) -> tuple[Any, dict[str, Any]]:
    path = tmp_path / "source.bin"
    if kind == "bytes":
        return data, {}
    if kind == "bytearray":
        return bytearray(data), {}
    if kind == "memoryview":
        return memoryview(data), {}
    if kind in ("path-str", "pathlike"):
        path.write_bytes(data)
        return (str(path) if kind == "path-str" else path), {}
    if kind == "open-file":
        path.write_bytes(b"skip me" + data)
        handle = open(path, "rb")  # noqa: SIM115 - closed by the test
        stack.append(handle)
        handle.seek(7)
        return handle, {}
    if kind == "bytesio-offset":
        buffer = io.BytesIO(b"xyz" + data)
        buffer.seek(3)
        return buffer, {}
    if kind == "unseekable":
        return Unseekable(data, step=700), {}
    if kind == "unseekable-with-length":
        return Unseekable(data, step=700), {"content_length": len(data)}
    if kind == "iterable":
        return _chunks(data), {}
    if kind == "iterable-with-length":
        return _chunks(data), {"content_length": len(data)}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_small_upload_from_every_source_kind(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, tmp_path: Path, kind: str
) -> None:
    data = pattern(THRESHOLD - 1, seed=2)
    stack: list[Any] = []
    source, extra = _source(kind, data, tmp_path, stack)
    b2_emulator.reset_counters()
    result = client.upload(
        bucket["bucketId"], f"small/{kind}", source, large_file_threshold=THRESHOLD, **extra
    )
    for handle in stack:
        handle.close()
    assert endpoint_calls(b2_emulator, "b2_upload_file") == 1
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 0
    assert result["contentLength"] == len(data)
    assert result["contentSha1"] == hashlib.sha1(data).hexdigest()
    assert fetch(client, bucket, f"small/{kind}") == data


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_large_upload_from_every_source_kind(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, tmp_path: Path, kind: str
) -> None:
    data = pattern(7300, seed=3)
    stack: list[Any] = []
    source, extra = _source(kind, data, tmp_path, stack)
    b2_emulator.reset_counters()
    result = client.upload(
        bucket["bucketId"],
        f"large/{kind}",
        source,
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=3,
        file_info={"Origin": kind},
        large_file_sha1=kind in RANDOM_ACCESS,  # computed on request; streams can't be re-read
        **extra,
    )
    for handle in stack:
        handle.close()
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 1
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 8
    assert endpoint_calls(b2_emulator, "b2_finish_large_file") == 1
    assert endpoint_calls(b2_emulator, "b2_upload_file") == 0
    assert result["contentLength"] == len(data)
    assert result["action"] == "upload"
    expected_info = {"origin": kind}
    if kind in RANDOM_ACCESS:
        expected_info["large_file_sha1"] = hashlib.sha1(data).hexdigest()
    assert result["fileInfo"] == expected_info
    assert fetch(client, bucket, f"large/{kind}") == data
    assert _unfinished(client, bucket) == []


@pytest.mark.parametrize("kind", ["bytes", "iterable"])
def test_threshold_boundary(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, tmp_path: Path, kind: str
) -> None:
    for size, large in ((THRESHOLD - 1, False), (THRESHOLD, True)):
        data = pattern(size, seed=size)
        source, _ = _source(kind, data, tmp_path, [])
        b2_emulator.reset_counters()
        client.upload(
            bucket["bucketId"], "edge.bin", source, large_file_threshold=THRESHOLD, part_size=PART
        )
        assert endpoint_calls(b2_emulator, "b2_start_large_file") == int(large), size
        assert endpoint_calls(b2_emulator, "b2_upload_part") == (3 if large else 0)
        assert fetch(client, bucket, "edge.bin") == data


def test_default_threshold_comes_from_the_authorization(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    auth = client.authorization
    expected = max(2 * auth.recommended_part_size, 2 * auth.absolute_minimum_part_size)
    assert choose_threshold(
        None,
        recommended=auth.recommended_part_size,
        minimum=auth.absolute_minimum_part_size,
    ) == min(expected, 5_000_000_001)
    b2_emulator.reset_counters()
    client.upload(bucket["bucketId"], "default.bin", pattern(50_000), part_size=PART)
    assert endpoint_calls(b2_emulator, "b2_upload_file") == int(expected > 50_000)


def test_empty_sources_upload_an_empty_file(client: B2Client, bucket: dict[str, Any]) -> None:
    for name, source in (("empty-bytes", b""), ("empty-iter", iter(()))):
        result = client.upload(bucket["bucketId"], name, source)
        assert result["contentLength"] == 0
        assert fetch(client, bucket, name) == b""


def test_seekable_file_with_content_length_uploads_only_that_much(
    client: B2Client, bucket: dict[str, Any]
) -> None:
    data = pattern(5000)
    buffer = io.BytesIO(data)
    buffer.seek(100)
    client.upload(bucket["bucketId"], "window.bin", buffer, content_length=1200)
    assert fetch(client, bucket, "window.bin") == data[100:1300]


@pytest.mark.parametrize(("declared", "message"), [(8000, "ended after 7300"), (5000, "more")])
def test_stream_length_mismatch_is_reported(
    client: B2Client, bucket: dict[str, Any], declared: int, message: str
) -> None:
    with pytest.raises(B2ValidationError, match=message):
        client.upload(
            bucket["bucketId"],
            "mismatch.bin",
            Unseekable(pattern(7300)),
            content_length=declared,
            large_file_threshold=THRESHOLD,
            part_size=PART,
        )
    assert _unfinished(client, bucket) == []  # the large file was cancelled


# -- large_file_sha1 --------------------------------------------------------------------------


def test_large_file_sha1_rules(client: B2Client, bucket: dict[str, Any]) -> None:
    data = pattern(4000)
    options: dict[str, Any] = {"large_file_threshold": THRESHOLD, "part_size": PART}
    own = client.upload(
        bucket["bucketId"], "own.bin", data, file_info={"large_file_sha1": "a" * 40}, **options
    )
    assert own["fileInfo"] == {"large_file_sha1": "a" * 40}
    full_info = {f"k{i}": str(i) for i in range(10)}
    full = client.upload(
        bucket["bucketId"], "full.bin", data, file_info=full_info, large_file_sha1=True, **options
    )
    assert full["fileInfo"] == full_info  # no room for an 11th entry
    stream = client.upload(bucket["bucketId"], "stream.bin", _chunks(data), **options)
    assert "large_file_sha1" not in stream["fileInfo"]


def test_large_file_sha1_is_opt_in(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, tmp_path: Path
) -> None:
    data = pattern(4000, seed=41)
    path = tmp_path / "opt-in.bin"
    path.write_bytes(data)
    options: dict[str, Any] = {"large_file_threshold": THRESHOLD, "part_size": PART}
    default = client.upload(bucket["bucketId"], "default.bin", path, **options)
    assert default["fileInfo"] == {}
    assert fetch(client, bucket, "default.bin") == data
    computed = client.upload(
        bucket["bucketId"], "computed.bin", path, large_file_sha1=True, **options
    )
    assert computed["fileInfo"] == {"large_file_sha1": hashlib.sha1(data).hexdigest()}
    given = hashlib.sha1(data).hexdigest().upper()
    known = client.upload(bucket["bucketId"], "known.bin", data, large_file_sha1=given, **options)
    assert known["fileInfo"] == {"large_file_sha1": given.lower()}

    b2_emulator.reset_counters()
    for bad in ("abc", 1, "g" * 40):
        with pytest.raises(B2ValidationError, match="large_file_sha1 must be"):
            client.upload(bucket["bucketId"], "bad.bin", data, large_file_sha1=bad, **options)
    with pytest.raises(B2ValidationError, match="differ"):
        client.upload(
            bucket["bucketId"],
            "bad.bin",
            data,
            large_file_sha1="b" * 40,
            file_info={"large_file_sha1": "c" * 40},
            **options,
        )
    with pytest.raises(B2ValidationError, match="stream cannot"):
        client.upload(bucket["bucketId"], "bad.bin", _chunks(data), large_file_sha1=True, **options)
    assert b2_emulator.counters()["total"] == 0  # all refused before any call


# -- parallel parts and bounded buffering -----------------------------------------------------


def test_parts_go_up_in_parallel(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pattern(12_000)
    real = client.upload_part
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "calls": 0}
    threads: set[int] = set()
    # The first two parts wait for each other: they can only both get through if they are in
    # flight at the same time (no timing luck involved; a serial upload breaks the barrier).
    meet = threading.Barrier(2, timeout=20)

    def counting_upload_part(*args: Any, **kwargs: Any) -> Any:
        with lock:
            state["now"] += 1
            state["calls"] += 1
            first_two = state["calls"] <= 2
            state["max"] = max(state["max"], state["now"])
            threads.add(threading.get_ident())
        try:
            if first_two:
                meet.wait()
            return real(*args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(client, "upload_part", counting_upload_part)
    client.upload(
        bucket["bucketId"],
        "parallel.bin",
        data,
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=4,
    )
    assert 2 <= state["max"] <= 4
    assert len(threads) >= 2
    assert threading.get_ident() not in threads
    assert fetch(client, bucket, "parallel.bin") == data


def test_streams_buffer_at_most_one_part_per_worker(
    client: B2Client, bucket: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pattern(20_000)
    real = client.upload_part
    lock = threading.Lock()
    state = {"read": 0, "done": 0, "max_outstanding": 0}

    class CountingStream(Unseekable):
        def read(self, n: int = -1) -> bytes:
            chunk = super().read(n)
            if chunk:
                with lock:
                    state["read"] += 1
                    outstanding = state["read"] - state["done"]
                    state["max_outstanding"] = max(state["max_outstanding"], outstanding)
            return chunk

    def slow_upload_part(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.01)
        result = real(*args, **kwargs)
        with lock:
            state["done"] += 1
        return result

    monkeypatch.setattr(client, "upload_part", slow_upload_part)
    client.upload(
        bucket["bucketId"],
        "bounded.bin",
        CountingStream(data),
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=2,
    )
    assert state["read"] == 20
    # The read-ahead that decides "large" holds 3 parts (the threshold); after that the stream
    # is read only when one of the 2 workers is free.
    assert state["max_outstanding"] <= 3
    assert fetch(client, bucket, "bounded.bin") == data


_MEMORY_SCRIPT = r"""
import gc, json, sys, tracemalloc
from django_b2.client import B2Client, RetryPolicy

url, key_id, key, path, part, workers = sys.argv[1:7]
client = B2Client(key_id, key, api_url=url, retry=RetryPolicy(sleep=lambda s: None))
bucket = client.create_bucket("memory-test", "allPrivate")["bucketId"]
options = dict(large_file_threshold=2 * int(part), part_size=int(part), max_workers=int(workers))
client.upload(bucket, "warm-up", b"w" * (3 * int(part)), **options)  # sessions, pools, imports
gc.collect()
tracemalloc.start()
base, _ = tracemalloc.get_traced_memory()
result = client.upload(bucket, "big.bin", path, **options)
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"peak": peak - base, "length": result["contentLength"]}))
"""


def test_upload_memory_stays_bounded(tmp_path: Path) -> None:
    """Peak memory of a path upload ~ workers x part size, not the file size.

    The emulator runs in its own process here so that tracemalloc sees only the client.
    """
    part, workers, size = 20_000, 2, 4_000_000  # 200 parts; file = 100 x (workers x part)
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        for index in range(size // 4000):
            handle.write(pattern(4000, seed=index))
    log = (tmp_path / "emulator.log").open("w")
    emulator = subprocess.Popen(
        [sys.executable, "-m", "django_b2.emulator", "--port", "0", "--min-part-size", "1000"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        line = emulator.stdout.readline()
        if not line:
            log.flush()
            pytest.fail(f"the emulator did not start:\n{(tmp_path / 'emulator.log').read_text()}")
        info = json.loads(line)
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                _MEMORY_SCRIPT,
                info["url"],
                info["application_key_id"],
                info["application_key"],
                str(path),
                str(part),
                str(workers),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
        if emulator.stdout is not None:
            emulator.stdout.close()
        log.close()
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["length"] == size
    bound = workers * part
    # Parts in flight, their copies inside requests/http.client, hashing buffers: a few times
    # workers x part, plus fixed overhead; far below the 4 MB file.
    assert figures["peak"] < 8 * bound + 256 * 1024, figures
    assert figures["peak"] < size / 5, figures


# -- resume, cancel ---------------------------------------------------------------------------


def test_resume_after_an_interrupted_stream(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    data = pattern(6500, seed=9)
    options: dict[str, Any] = {
        "content_length": len(data),
        "large_file_threshold": THRESHOLD,
        "part_size": PART,
        "max_workers": 1,
    }
    with pytest.raises(OSError, match="disk is on fire"):
        client.upload(
            bucket["bucketId"],
            "resume.bin",
            Unseekable(data, fail_at=3500),
            cancel_on_failure=False,
            **options,
        )
    unfinished = _unfinished(client, bucket)
    assert [f["fileName"] for f in unfinished] == ["resume.bin"]
    parts = client.list_parts(unfinished[0]["fileId"])["parts"]
    assert sorted(p["partNumber"] for p in parts) == [1, 2, 3]

    b2_emulator.reset_counters()
    result = client.upload(bucket["bucketId"], "resume.bin", Unseekable(data), **options)
    assert result["fileId"] == unfinished[0]["fileId"]
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 0
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 4  # parts 4..7 only
    assert fetch(client, bucket, "resume.bin") == data
    assert _unfinished(client, bucket) == []


def test_resume_matches_large_file_sha1_and_skips_sent_parts(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pattern(7000, seed=10)
    options: dict[str, Any] = {
        "large_file_threshold": THRESHOLD,
        "part_size": PART,
        "max_workers": 1,
        "file_info": {"Kind": "photo"},
        "large_file_sha1": True,
    }
    real = client.upload_part
    sent: list[int] = []

    def upload_part_then_break_the_service(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        sent.append(args[1])
        if len(sent) == 3:  # from now on every part upload gets a 503 from the emulator
            b2_emulator.set_faults(upload_503_rate=1.0)
        return result

    monkeypatch.setattr(client, "upload_part", upload_part_then_break_the_service)
    with pytest.raises(B2ServiceError):
        client.upload(bucket["bucketId"], "photo.bin", data, cancel_on_failure=False, **options)
    monkeypatch.undo()
    b2_emulator.set_faults(upload_503_rate=0.0)
    (unfinished,) = _unfinished(client, bucket)
    assert unfinished["fileInfo"]["large_file_sha1"] == hashlib.sha1(data).hexdigest()

    # Different content of the same size: its large_file_sha1 differs, so no resume.
    other = pattern(7000, seed=11)
    b2_emulator.reset_counters()
    client.upload(bucket["bucketId"], "photo.bin", other, **options)
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 1
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 7
    assert [f["fileId"] for f in _unfinished(client, bucket)] == [unfinished["fileId"]]

    # resume=False starts afresh even for the same content.
    b2_emulator.reset_counters()
    client.upload(bucket["bucketId"], "photo-copy.bin", data, resume=False, **options)
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 1

    # The same content resumes: only parts 4..7 go up.
    b2_emulator.reset_counters()
    result = client.upload(bucket["bucketId"], "photo.bin", data, **options)
    assert result["fileId"] == unfinished["fileId"]
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 4
    # A large file's uploadTimestamp is its start time, so the resumed version is older than
    # "other" (finished before it): read it by id.
    with client.download_file_by_id(result["fileId"]) as f:
        assert f.read() == data
    assert _unfinished(client, bucket) == []


def test_resume_ignores_unfinished_files_with_another_part_size(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    data = pattern(6500, seed=12)
    with pytest.raises(OSError):
        client.upload(
            bucket["bucketId"],
            "sizes.bin",
            Unseekable(data, fail_at=4000),
            content_length=len(data),
            large_file_threshold=THRESHOLD,
            part_size=PART,
            max_workers=1,
            cancel_on_failure=False,
        )
    b2_emulator.reset_counters()
    client.upload(
        bucket["bucketId"],
        "sizes.bin",
        Unseekable(data),
        content_length=len(data),
        large_file_threshold=THRESHOLD,
        part_size=1300,
    )
    assert endpoint_calls(b2_emulator, "b2_start_large_file") == 1
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 5
    assert fetch(client, bucket, "sizes.bin") == data


def test_failure_cancels_the_large_file_and_reraises(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    class Boom(Exception):
        pass

    def chunks() -> Iterator[bytes]:
        yield pattern(5000)
        raise Boom("source broke")

    b2_emulator.reset_counters()
    with pytest.raises(Boom, match="source broke"):
        client.upload(
            bucket["bucketId"], "boom.bin", chunks(), large_file_threshold=THRESHOLD, part_size=PART
        )
    assert endpoint_calls(b2_emulator, "b2_cancel_large_file") == 1
    assert _unfinished(client, bucket) == []


def test_part_failure_cancels_and_raises_the_b2_error(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    b2_emulator.set_faults(upload_503_rate=1.0)
    with pytest.raises(B2ServiceError) as caught:
        client.upload(
            bucket["bucketId"], "fail.bin", pattern(5000), large_file_threshold=THRESHOLD,
            part_size=PART,
        )  # fmt: skip
    assert caught.value.status == 503
    b2_emulator.set_faults(upload_503_rate=0.0)
    assert _unfinished(client, bucket) == []


# -- finishing when the answer is lost (the emulator can't lose it: mocked) -------------------


def test_lost_finish_response_is_checked_with_get_file_info(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = client.finish_large_file

    def finish_then_time_out(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise B2TimeoutError("read timed out")

    monkeypatch.setattr(client, "finish_large_file", finish_then_time_out)
    data = pattern(4000)
    b2_emulator.reset_counters()
    result = client.upload(
        bucket["bucketId"], "lost.bin", data, large_file_threshold=THRESHOLD, part_size=PART
    )
    assert result["action"] == "upload"
    assert result["contentLength"] == len(data)
    assert endpoint_calls(b2_emulator, "b2_get_file_info") == 1
    assert endpoint_calls(b2_emulator, "b2_cancel_large_file") == 0
    assert fetch(client, bucket, "lost.bin") == data


def test_failed_finish_is_reraised_and_cancelled(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def finish_fails(*args: Any, **kwargs: Any) -> Any:
        raise B2ServiceError(503, "service_unavailable", "injected by the test")

    monkeypatch.setattr(client, "finish_large_file", finish_fails)
    with pytest.raises(B2ServiceError, match="injected by the test"):
        client.upload(
            bucket["bucketId"], "nofinish.bin", pattern(4000), large_file_threshold=THRESHOLD,
            part_size=PART,
        )  # fmt: skip
    assert _unfinished(client, bucket) == []


# -- progress ---------------------------------------------------------------------------------


class Recorder:
    """Records progress calls and notices overlapping calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []
        self.threads: set[int] = set()
        self.overlaps = 0
        self._busy = False

    def __call__(self, done: int, total: int | None) -> None:
        if self._busy:
            self.overlaps += 1
        self._busy = True
        time.sleep(0.001)
        self.calls.append((done, total))
        self.threads.add(threading.get_ident())
        self._busy = False

    def assert_sane(self, size: int) -> None:
        dones = [d for d, _ in self.calls]
        assert dones == sorted(dones), "bytes_done went backwards"
        assert self.calls[-1] == (size, size)
        assert self.overlaps == 0


def test_progress_for_large_upload(client: B2Client, bucket: dict[str, Any]) -> None:
    data = pattern(9500)
    recorder = Recorder()
    client.upload(
        bucket["bucketId"],
        "progress.bin",
        data,
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=4,
        progress=recorder,
    )
    recorder.assert_sane(len(data))
    assert recorder.calls[0] == (0, len(data))
    assert len(recorder.calls) >= 11  # the start and every one of the 10 parts
    assert all(total == len(data) for _, total in recorder.calls)


def test_progress_for_unknown_length(client: B2Client, bucket: dict[str, Any]) -> None:
    data = pattern(6200)
    recorder = Recorder()
    client.upload(
        bucket["bucketId"],
        "progress-stream.bin",
        _chunks(data),
        large_file_threshold=THRESHOLD,
        part_size=PART,
        progress=recorder,
    )
    recorder.assert_sane(len(data))
    assert all(total is None for _, total in recorder.calls[:-1])


def test_progress_for_small_upload(client: B2Client, bucket: dict[str, Any]) -> None:
    recorder = Recorder()
    client.upload(bucket["bucketId"], "p-small.bin", pattern(500), progress=recorder)
    recorder.assert_sane(500)
    assert recorder.calls[0] == (0, 500)


def test_progress_on_resume_counts_skipped_parts(client: B2Client, bucket: dict[str, Any]) -> None:
    data = pattern(6500, seed=13)
    options: dict[str, Any] = {
        "content_length": len(data),
        "large_file_threshold": THRESHOLD,
        "part_size": PART,
        "max_workers": 1,
    }
    with pytest.raises(OSError):
        client.upload(
            bucket["bucketId"],
            "progress-resume.bin",
            Unseekable(data, fail_at=2500),
            cancel_on_failure=False,
            **options,
        )
    recorder = Recorder()
    client.upload(
        bucket["bucketId"], "progress-resume.bin", Unseekable(data), progress=recorder, **options
    )
    recorder.assert_sane(len(data))


def test_upload_accepts_the_client_through_b2client_upload_signature(
    client: B2Client, bucket: dict[str, Any], tmp_path: Path
) -> None:
    """``B2Client.upload`` passes every documented keyword through."""
    path = tmp_path / "kw.bin"
    path.write_bytes(pattern(2500))
    result = client.upload(
        bucket["bucketId"],
        "kw.bin",
        os.fspath(path),
        content_type="application/x-test",
        file_info={"a": "b"},
        content_length=2500,
        large_file_threshold=2000,
        part_size=1000,
        max_workers=2,
        resume=False,
        cancel_on_failure=True,
        progress=None,
    )
    assert result["contentType"] == "application/x-test"
    assert result["fileInfo"]["a"] == "b"
    assert fetch(client, bucket, "kw.bin") == pattern(2500)


def test_key_without_list_files_uploads_without_resume(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    key = client.create_key("writer-only", ["writeFiles"], bucket_id=bucket["bucketId"])
    writer = _make_client(b2_emulator.url, key["applicationKeyId"], key["applicationKey"])
    data = pattern(5000, seed=14)
    b2_emulator.reset_counters()
    result = writer.upload(
        bucket["bucketId"], "writer.bin", data, large_file_threshold=THRESHOLD, part_size=PART
    )
    assert (
        endpoint_calls(b2_emulator, "b2_list_unfinished_large_files") == 1
    )  # refused: no listFiles
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 5
    with client.download_file_by_id(result["fileId"]) as f:
        assert f.read() == data


# -- progress helpers (no network) ------------------------------------------------------------


def test_tracker_counts_retried_pieces_once() -> None:
    calls: list[tuple[int, int | None]] = []
    tracker = ProgressTracker(lambda d, t: calls.append((d, t)), total=300)
    piece = tracker.attempt(200)
    piece(50, 200)
    piece(120, 200)
    piece(30, 200)  # a retry starts again from the beginning: nothing new
    piece(150, 200)
    piece.complete()
    tracker.add(100)
    assert calls == [(50, 300), (120, 300), (150, 300), (200, 300), (300, 300)]
    assert tracker.done == 300


def test_throttle_keeps_the_final_call() -> None:
    now = [0.0]
    seen: list[int] = []
    throttled = throttle(lambda d, t: seen.append(d), 1.0, clock=lambda: now[0])
    for done in range(0, 100, 10):
        throttled(done, 100)
        now[0] += 0.3
    throttled(100, 100)
    assert seen == [0, 40, 80, 100]


def test_combine_calls_every_callback() -> None:
    a: list[int] = []
    b: list[int] = []
    combined = combine(lambda d, t: a.append(d), None, lambda d, t: b.append(d))
    combined(5, 10)
    assert a == b == [5]


def test_tqdm_progress_bar_follows_the_counts() -> None:
    pytest.importorskip("tqdm", reason="tqdm is optional (django-b2-native[progress])")
    sink = io.StringIO()
    with TqdmProgress("file.bin", file=sink, mininterval=0) as bar:
        bar(0, 1000)
        bar(400, 1000)
        bar(1000, 1000)
        assert bar._bar.n == 1000
        assert bar._bar.total == 1000
    assert "file.bin" in sink.getvalue()
    assert tqdm_available()
    assert isinstance(default_progress("x", file=io.StringIO()), TqdmProgress)


def test_logging_progress(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="django_b2.client.progress")
    progress = LoggingProgress("up", step=0.5)
    for done in (0, 10, 50, 60, 100):
        progress(done, 100)
    assert [r.getMessage() for r in caplog.records] == [
        "up: 0 of 100 bytes (0%)",
        "up: 50 of 100 bytes (50%)",
        "up: 100 of 100 bytes (100%)",
    ]
    with pytest.raises(ValueError, match="step"):
        LoggingProgress("x", step=0)


def test_tqdm_progress_in_a_real_upload(client: B2Client, bucket: dict[str, Any]) -> None:
    pytest.importorskip("tqdm", reason="tqdm is optional (django-b2-native[progress])")
    sink = io.StringIO()
    with TqdmProgress("bar.bin", file=sink, mininterval=0) as bar:
        client.upload(
            bucket["bucketId"],
            "bar.bin",
            pattern(5000),
            large_file_threshold=THRESHOLD,
            part_size=PART,
            progress=bar,
        )
        assert bar._bar.n == 5000


@given(size=st.integers(min_value=2, max_value=10**13), part=st.integers(1, 6 * 10**9))
def test_plan_parts_property(size: int, part: int) -> None:
    minimum = 1000
    chosen = choose_part_size(part, recommended=100_000, minimum=minimum, size=size)
    assert minimum <= chosen <= MAX_PART_SIZE
    if size < 2 * minimum:
        return  # below the smallest large-file threshold: always a single upload
    plan = plan_parts(size, chosen)
    assert 2 <= len(plan) <= MAX_PARTS
    assert sum(p.length for p in plan) == size
    assert all(p.length >= minimum for p in plan[:-1])
    assert 1 <= plan[-1].length <= plan[0].length <= MAX_PART_SIZE
    assert all(b.offset == a.offset + a.length for a, b in itertools.pairwise(plan))


def test_long_destination_names_save(tmp_path: Path) -> None:
    """The temporary file of a download fits NAME_MAX even for a 255-byte final name."""
    import requests

    from django_b2.client import DownloadedFile

    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Length"] = "3"
    response.raw = io.BytesIO(b"abc")
    target = tmp_path / ("n" * 255)
    assert DownloadedFile(response).save(target) == 3
    assert target.read_bytes() == b"abc"


@pytest.mark.parametrize(
    "name",
    [
        "django_b2.client._upload",
        "django_b2.client._download",
        "django_b2.client._download_into",
        "django_b2.client._progress",
    ],
)
def test_transfer_modules_export_what_they_list(name: str) -> None:
    import importlib

    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ lists {attr!r}, which does not exist"
    public_functions = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == name
    }
    assert public_functions <= set(module.__all__), public_functions - set(module.__all__)


def test_keyboard_interrupt_leaves_the_large_file_for_resume(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    def chunks() -> Iterator[bytes]:
        yield pattern(4000)
        raise KeyboardInterrupt

    b2_emulator.reset_counters()
    with pytest.raises(KeyboardInterrupt):
        client.upload(
            bucket["bucketId"], "ctrl-c.bin", chunks(), large_file_threshold=THRESHOLD,
            part_size=PART,
        )  # fmt: skip
    assert endpoint_calls(b2_emulator, "b2_cancel_large_file") == 0
    assert [f["fileName"] for f in _unfinished(client, bucket)] == ["ctrl-c.bin"]


def test_progress_moves_within_a_body(client: B2Client, bucket: dict[str, Any]) -> None:
    recorder = Recorder()
    size = 3 * 1024 * 1024 + 7  # the transport sends bodies in 1 MiB blocks
    client.upload(bucket["bucketId"], "p-within.bin", pattern(size), progress=recorder)
    recorder.assert_sane(size)
    assert any(0 < done < size for done, _ in recorder.calls)  # reported while sending


def test_resume_when_only_the_finish_was_missing(
    client: B2Client,
    bucket: dict[str, Any],
    b2_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = tmp_path / "all-parts.bin"
    data = pattern(5000, seed=30)
    path.write_bytes(data)
    options: dict[str, Any] = {
        "large_file_threshold": THRESHOLD,
        "part_size": PART,
        "large_file_sha1": True,
    }

    def finish_fails(*args: Any, **kwargs: Any) -> Any:  # forced: the emulator always finishes
        raise B2ServiceError(503, "service_unavailable", "injected by the test")

    monkeypatch.setattr(client, "finish_large_file", finish_fails)
    with pytest.raises(B2ServiceError):
        client.upload(bucket["bucketId"], "all-parts.bin", path, cancel_on_failure=False, **options)
    monkeypatch.undo()
    b2_emulator.reset_counters()
    result = client.upload(bucket["bucketId"], "all-parts.bin", path, **options)
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 0
    assert endpoint_calls(b2_emulator, "b2_finish_large_file") == 1
    assert result["fileInfo"]["large_file_sha1"] == hashlib.sha1(data).hexdigest()
    assert fetch(client, bucket, "all-parts.bin") == data


class _Shouting(io.RawIOBase):
    """A seekable wrapper with a ``file`` attribute whose reads differ from that file's."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self.file.seek(offset, whence))

    def tell(self) -> int:
        return int(self.file.tell())

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer)).upper()
        buffer[: len(data)] = data
        return len(data)


def test_plain_files_behind_proxies_are_sent_from_the_file(
    client: B2Client, bucket: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytes(random.Random(51).choice(b"abcdef") for _ in range(5000))
    real_preadv = os.preadv
    reads: list[int] = []

    def counting_preadv(fd: int, buffers: Any, offset: int) -> int:
        reads.append(offset)
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", counting_preadv)
    options: dict[str, Any] = {"large_file_threshold": THRESHOLD, "part_size": PART}
    with tempfile.NamedTemporaryFile() as named:  # a proxy of a BufferedRandom
        named.write(data)
        named.seek(0)
        client.upload(bucket["bucketId"], "named.bin", named, **options)
    assert fetch(client, bucket, "named.bin") == data
    assert reads  # hashed and sent with positioned reads on the real file

    reads.clear()
    with tempfile.TemporaryFile() as raw:
        raw.write(data)
        raw.seek(0)
        client.upload(bucket["bucketId"], "shout.bin", _Shouting(raw), **options)
    assert fetch(client, bucket, "shout.bin") == data.upper()  # what the wrapper reads
    assert reads == []
