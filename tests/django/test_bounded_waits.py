"""Bounded waits of the storage's defaults, over real HTTP (issue: a web worker must not hang).

Before the deadline existed, a refused connection took 16-17 s per storage call and one
``503 Retry-After: 300`` answer made a call sleep 20 minutes.
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.files.base import ContentFile

from django_b2.client import B2ConnectionError, B2ServiceError, RetryPolicy
from django_b2.storage import WEB_TIMEOUT

from .conftest import B2Env

#: What the tests allow a call before they call it hung (the calls run in a thread, so a
#: regression fails the test instead of stalling the suite).
PATIENCE = 40.0


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def timed(fn: Any) -> tuple[float, BaseException | None]:
    """Run ``fn`` in a thread; its duration and error (the test fails if it outlasts PATIENCE)."""

    def run() -> tuple[float, BaseException | None]:
        start = time.monotonic()
        try:
            fn()
        except Exception as exc:
            return time.monotonic() - start, exc
        return time.monotonic() - start, None

    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(run).result(timeout=PATIENCE)
    finally:
        pool.shutdown(wait=False)


@pytest.mark.parametrize("call", ["exists", "save", "listdir"])
def test_refused_connection_fails_a_storage_call_within_5_s(b2: B2Env, call: str) -> None:
    storage = b2.storage(api_url=closed_port_url(), bucket_id="4a48fe8875c6214145260818")
    actions = {
        "exists": lambda: storage.exists("a.txt"),
        "save": lambda: storage.save("a.txt", ContentFile(b"data")),
        "listdir": lambda: storage.listdir(""),
    }
    elapsed, error = timed(actions[call])
    assert isinstance(error, B2ConnectionError), error
    assert elapsed < 5.0


@pytest.mark.parametrize("call", ["save", "listdir"])
def test_retry_after_300_ends_the_call_inside_the_deadline(b2: B2Env, call: str) -> None:
    storage = b2.storage()
    storage.listdir("")  # authorized, bucket known
    b2.server.set_faults(api_503_rate=1.0, upload_503_rate=1.0, retry_after=300)
    actions = {
        "save": lambda: storage.save("a.txt", ContentFile(b"data")),
        "listdir": lambda: storage.listdir(""),
    }
    elapsed, error = timed(actions[call])
    assert isinstance(error, B2ServiceError), error
    assert error.status == 503
    assert error.retry_after == 300  # the caller can tell its user when to come back
    assert elapsed < storage.client.retry.deadline
    assert elapsed < 5.0  # in fact at once: B2 asked for more than max_retry_after


def test_retry_after_that_would_pass_the_deadline_ends_the_call(b2: B2Env) -> None:
    storage = b2.storage(retry={"deadline": 4})
    storage.listdir("")
    b2.server.set_faults(api_503_rate=1.0, retry_after=5)  # under max_retry_after (10 s)
    b2.server.reset_counters()
    elapsed, error = timed(lambda: storage.listdir(""))
    assert isinstance(error, B2ServiceError) and error.retry_after == 5
    assert elapsed < 5.0  # the 5 s asked were not waited: in fact it ends at once
    assert b2.counts()["b2_list_file_names"] == 1


def test_storage_and_commands_defaults(b2: B2Env) -> None:
    storage = b2.storage()
    assert storage.client.retry == RetryPolicy.for_web_requests()
    command_client = storage.command_client()
    try:
        assert command_client.retry == RetryPolicy()  # looser: the client's own defaults
    finally:
        command_client.close()
    assert WEB_TIMEOUT[0] <= 5


def test_retry_option_fields_apply_to_both(b2: B2Env) -> None:
    storage = b2.storage(retry={"deadline": 12, "attempts": 3})
    assert storage.client.retry == RetryPolicy.for_web_requests(deadline=12, attempts=3)
    command_client = storage.command_client()
    try:
        assert command_client.retry == RetryPolicy(deadline=12, attempts=3)
    finally:
        command_client.close()
