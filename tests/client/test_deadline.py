"""Bounded waits: the deadline of one call, Retry-After beyond it, hosts that refuse connections."""

from __future__ import annotations

import socket
import time

import pytest

from django_b2.client import B2Client, B2ConnectionError, B2ServiceError, RetryPolicy
from django_b2.client.errors import B2ValidationError
from django_b2.emulator import EmulatorServer

from .conftest import SleepRecorder


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def emulator_client(srv: EmulatorServer, policy: RetryPolicy) -> B2Client:
    return B2Client(
        srv.application_key_id, srv.application_key, api_url=srv.url, retry=policy, timeout=5
    )


def test_retry_after_past_the_deadline_ends_the_call_at_once(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client = emulator_client(b2_emulator, RetryPolicy(deadline=5, max_retry_after=60, sleep=sleeps))
    client.authorize()
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=6)
    b2_emulator.reset_counters()
    with pytest.raises(B2ServiceError) as info:
        client.list_buckets()
    assert info.value.retry_after == 6
    assert sleeps.waits == []  # 6 s would end past the 5 s deadline: no wait, no resend
    assert b2_emulator.counters()["by_endpoint"]["b2_list_buckets"] == 1


def test_deadline_counts_attempts_and_backoff(b2_emulator: EmulatorServer) -> None:
    # Real waits: 0.2 s backoff (no jitter), 1 s deadline, attempts never the limit.
    policy = RetryPolicy(attempts=100, initial_backoff=0.2, multiplier=1, jitter=0, deadline=1)
    client = emulator_client(b2_emulator, policy)
    client.authorize()
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=0)
    # Retry-After: 0 means "no wait" and would retry in a tight loop: the deadline ends it.
    start = time.monotonic()
    with pytest.raises(B2ServiceError):
        client.list_buckets()
    assert time.monotonic() - start < 1.5


def test_deadline_with_backoff_stops_before_passing_it() -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    # A refused connection has no Retry-After: plain backoff of 0.3 s, 1 s deadline.
    policy = RetryPolicy(
        attempts=100, initial_backoff=0.3, multiplier=1, jitter=0, deadline=1, sleep=sleep
    )
    client = B2Client("kid", "key", api_url=closed_port_url(), retry=policy)
    start = time.monotonic()
    with pytest.raises(B2ConnectionError):
        client.authorize()
    assert time.monotonic() - start < 1.2
    # Waits ending at 0.3, 0.6 and 0.9 s fit; one more would end past 1 s: 4 attempts.
    assert waits == [0.3, 0.3, 0.3]


def test_refused_connection_stops_at_connect_deadline() -> None:
    policy = RetryPolicy(
        attempts=100, initial_backoff=0.1, multiplier=1, jitter=0, deadline=30, connect_deadline=0.5
    )
    client = B2Client("kid", "key", api_url=closed_port_url(), retry=policy)
    start = time.monotonic()
    with pytest.raises(B2ConnectionError) as info:
        client.authorize()
    assert time.monotonic() - start < 1.0
    assert info.value.may_have_reached is False  # nothing was sent: safe to resend anything


def test_default_policies() -> None:
    loose, web = RetryPolicy(), RetryPolicy.for_web_requests()
    assert (loose.attempts, loose.deadline, loose.max_retry_after) == (5, 600, 300)
    assert (web.deadline, web.max_retry_after, web.connect_deadline) == (30, 10, 4)
    assert web.max_retry_after < web.deadline
    assert RetryPolicy.for_web_requests(deadline=12).deadline == 12


@pytest.mark.parametrize("field", ["deadline", "connect_deadline"])
def test_deadline_must_be_positive(field: str) -> None:
    with pytest.raises(B2ValidationError, match=field):
        RetryPolicy(**{field: 0})
