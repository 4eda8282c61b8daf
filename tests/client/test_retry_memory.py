"""Nothing a call captured (an upload body, a part buffer) outlives the call.

The garbage collector is switched off while each test runs: an object that is only freed by it is
part of a reference cycle, and with many parts in flight such cycles kept dozens of part buffers
alive at once. ``DEBUG_SAVEALL`` then shows what the collector would have had to free.
"""

from __future__ import annotations

import gc
import io
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from django_b2.client import (
    B2Client,
    B2Error,
    B2ServiceError,
    B2Unauthorized,
    Bucket,
    RetryPolicy,
)
from django_b2.client._body import Payload
from django_b2.emulator import EmulatorServer


class Body(io.BytesIO):
    """A ``BytesIO`` that can be weakly referenced from the test."""


@contextmanager
def collector_off() -> Iterator[list[Any]]:
    """Run with gc disabled; yield a list that afterwards holds what only gc could have freed."""
    gc.collect()
    found: list[Any] = []
    gc.disable()
    try:
        yield found
    finally:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            found.extend(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()


def payloads(garbage: list[Any]) -> list[Any]:
    return [o for o in garbage if isinstance(o, (Payload, Body))]


def service_error() -> B2ServiceError:
    return B2ServiceError(503, "service_unavailable", "busy")


class Held:
    """Stands for a request body captured by the function being retried."""


def run_policy(outcomes: str, attempts: int = 3) -> weakref.ref[Held]:
    """``outcomes``: one letter per attempt, ``s`` a 503, ``u`` a 401, ``.`` success."""
    held = Held()
    ref = weakref.ref(held)
    # Fresh errors: an error kept elsewhere keeps its traceback, and so the frames, alive.
    make = {"s": service_error, "u": lambda: B2Unauthorized(401, "unauthorized", "no")}
    queue: list[Exception | None] = [make[c]() if c in make else None for c in outcomes]

    def fn(body: Held = held) -> str:  # captures it, like an upload body
        assert isinstance(body, Held)
        if queue and queue[0] is not None:
            raise queue.pop(0)  # (an error in a local of this frame would be a cycle of its own)
        return "ok"

    policy = RetryPolicy(attempts=attempts, sleep=lambda _s: None, jitter=0)
    try:
        assert policy.call(fn, retry_if=lambda exc: isinstance(exc, B2ServiceError)) == "ok"
    except B2Error as exc:
        assert exc.__traceback__ is not None
    del fn, held  # (not a closure cell: ``del`` would empty the cell itself)
    return ref


@pytest.mark.parametrize(
    "outcomes",
    [
        pytest.param(".", id="success"),
        pytest.param("s.", id="success-after-retry"),
        pytest.param("sss", id="attempts-exhausted"),
        pytest.param("u", id="not-retryable"),
    ],
)
def test_policy_call_leaves_no_cycle(outcomes: str) -> None:
    with collector_off() as garbage:
        ref = run_policy(outcomes)
        assert ref() is None, "the captured object is still alive after the call returned"
    assert not [o for o in garbage if isinstance(o, (Held, BaseException))]


def test_policy_call_still_raises_the_last_error_with_its_traceback() -> None:
    errors = [service_error(), service_error()]
    policy = RetryPolicy(attempts=2, sleep=lambda _s: None)

    def fn() -> None:
        raise errors.pop(0)

    with pytest.raises(B2ServiceError) as info:
        policy.call(fn)
    assert errors == []
    names = [entry.name for entry in info.traceback]
    assert "fn" in names  # where it really happened, not just where it was re-raised


def test_keyboard_interrupt_is_not_captured() -> None:
    calls: list[int] = []

    def fn() -> None:
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        RetryPolicy(sleep=lambda _s: None).call(fn, retry_if=lambda _exc: True)
    assert calls == [1]


def _upload(
    client: B2Client, bucket: Bucket, *, fails: bool = False, **kwargs: Any
) -> weakref.ref[Body]:
    body = Body(b"x" * 2000)
    ref = weakref.ref(body)
    failed = False
    try:
        client.upload_file(bucket["bucketId"], "memory.bin", body, **kwargs)
    except B2Error:  # (not pytest.raises: it keeps the error, and so its frames, alive)
        failed = True
    assert failed is fails
    del body
    return ref


def test_upload_file_body_is_freed_on_success(client: B2Client, bucket: Bucket) -> None:
    with collector_off() as garbage:
        ref = _upload(client, bucket)
        assert ref() is None
    assert payloads(garbage) == []


def test_upload_file_body_is_freed_after_retries(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    b2_emulator.set_faults(upload_503_rate=0.5, seed=1)
    client.upload_file(bucket["bucketId"], "warm.bin", b"warm")  # pool an upload URL first
    with collector_off() as garbage:
        ref = _upload(client, bucket)
        assert ref() is None
    assert b2_emulator.counters()["by_endpoint"].get("b2_upload_file", 0) > 2  # it did retry
    assert payloads(garbage) == []


def test_upload_file_body_is_freed_after_a_failure(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    url = b2_emulator.url + "/b2api/v3/b2_upload_file/" + bucket["bucketId"]
    with collector_off() as garbage:
        ref = _upload(client, bucket, fails=True, upload_url=url, authorization_token="not-a-token")
        assert ref() is None
    assert payloads(garbage) == []


def test_parallel_large_upload_keeps_few_part_bodies_alive(
    client: B2Client, bucket: Bucket, tmp_path: Path
) -> None:
    parts = 24
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(250)) * 4 * parts)  # 24 parts of 1000 bytes
    alive: list[int] = []

    def progress(_done: int, _total: int | None) -> None:
        alive.append(sum(isinstance(o, Payload) for o in gc.get_objects()))

    with collector_off() as garbage:
        version = client.upload(
            bucket["bucketId"],
            "big.bin",
            source,
            part_size=1000,
            large_file_threshold=2000,
            max_workers=2,
            progress=progress,
        )
    assert version["contentLength"] == 1000 * parts
    assert alive, "progress was never reported"
    # Two workers hold at most a body each (plus one being dropped); a leak grows with the parts.
    assert max(alive) <= 4, f"up to {max(alive)} part bodies were alive at once"
    assert payloads(garbage) == []
