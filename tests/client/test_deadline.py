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


#: Slack for the wall-clock checks below, and only for them. Between the test's clock readings
#: and the policy's own (before the first attempt, between a failure and its wait) run a few
#: statements that a loaded machine can preempt. What the policy decides (how many waits, whether
#: it gave up early) is asserted exactly; the OS's overrun of each wait is measured, not guessed.
SLACK = 0.25


class TimedSleep:
    """A real ``sleep`` that records each wait: the seconds asked, when it began (seconds since
    :meth:`start`), and by how much the OS overran the waits in all."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.waits: list[float] = []
        self.began: list[float] = []
        self.overrun = 0.0

    def start(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, seconds: float) -> None:
        began = time.monotonic()
        self.waits.append(seconds)
        self.began.append(began - self.started)
        time.sleep(seconds)
        self.overrun += time.monotonic() - began - seconds


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
    # Real clock, 1 s deadline. Retry-After: 0 means "no wait" and would retry in a tight loop:
    # the deadline ends it. (An emulator round trip takes milliseconds: 10,000 attempts cannot
    # fit in 1 s, 100 can.)
    sleep = TimedSleep()
    policy = RetryPolicy(
        attempts=10_000, initial_backoff=0.2, multiplier=1, jitter=0, deadline=1, sleep=sleep
    )
    client = emulator_client(b2_emulator, policy)
    client.authorize()
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=0)
    b2_emulator.reset_counters()
    sleep.start()
    with pytest.raises(B2ServiceError):
        client.list_buckets()
    elapsed = sleep.elapsed()
    attempts = b2_emulator.counters()["by_endpoint"]["b2_list_buckets"]
    assert 1 < attempts < 10_000
    assert sleep.waits == [0.0] * (attempts - 1)  # Retry-After: 0 honoured, no backoff added
    # It gave up only once the deadline had passed (exact: the policy's clock started later than
    # the test's and the call stopped after it decided to) ...
    assert elapsed >= 1
    # ... and began no retry after it.
    assert max(sleep.began) < 1 + SLACK
    # So the call ends within the deadline plus the attempt under way at it, which the request
    # timeout (5 s here) bounds.
    assert elapsed < 1 + 5 + SLACK


def test_deadline_with_backoff_stops_before_passing_it() -> None:
    # A refused connection has no Retry-After: plain backoff of 0.3 s, 1 s deadline, real clock.
    # Unloaded, waits ending at 0.3, 0.6 and 0.9 s fit and a 4th would end past 1 s: 4 attempts.
    # On a loaded machine each failure comes later and fewer waits may fit: the rule is the same.
    sleep = TimedSleep()
    policy = RetryPolicy(
        attempts=100, initial_backoff=0.3, multiplier=1, jitter=0, deadline=1, sleep=sleep
    )
    client = B2Client("kid", "key", api_url=closed_port_url(), retry=policy)
    sleep.start()
    with pytest.raises(B2ConnectionError):
        client.authorize()
    elapsed = sleep.elapsed()
    assert len(sleep.waits) <= 3  # a 4th wait would end at 1.2 s at the earliest
    assert sleep.waits == [0.3] * len(sleep.waits)
    # No wait was begun that would end past the deadline ...
    assert all(began + 0.3 < 1 + SLACK for began in sleep.began)
    # ... the call gave up only when one more wait would have (exact: never early) ...
    assert elapsed + 0.3 >= 1
    # ... and it ended before the deadline, but for the OS's overrun of the waits.
    assert elapsed < 1 + sleep.overrun + SLACK


def test_refused_connection_stops_at_connect_deadline() -> None:
    # Backoff of 0.1 s, a deadline of 30 s but a connect deadline of 0.5 s, real clock.
    sleep = TimedSleep()
    policy = RetryPolicy(
        attempts=100,
        initial_backoff=0.1,
        multiplier=1,
        jitter=0,
        deadline=30,
        connect_deadline=0.5,
        sleep=sleep,
    )
    client = B2Client("kid", "key", api_url=closed_port_url(), retry=policy)
    sleep.start()
    with pytest.raises(B2ConnectionError) as info:
        client.authorize()
    elapsed = sleep.elapsed()
    assert len(sleep.waits) <= 4  # a 5th wait would end at 0.5 s at the earliest
    assert sleep.waits == [0.1] * len(sleep.waits)
    assert all(began + 0.1 < 0.5 + SLACK for began in sleep.began)
    assert elapsed + 0.1 >= 0.5  # not before the connect deadline (exact)
    assert elapsed < 0.5 + sleep.overrun + SLACK  # at it, far before the 30 s deadline
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
