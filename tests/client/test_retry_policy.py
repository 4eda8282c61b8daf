"""RetryPolicy on its own (no server): waits, Retry-After, caps, jitter, exhaustion."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from django_b2.client import (
    B2BadRequest,
    B2ConnectionError,
    B2ServiceError,
    B2TooManyRequests,
    B2ValidationError,
    RetryPolicy,
)


def failing(errors: list[Exception], result: str = "ok") -> Callable[[], str]:
    queue = list(errors)
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if queue:
            raise queue.pop(0)
        return result

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def service_error() -> B2ServiceError:
    return B2ServiceError(503, "service_unavailable", "busy")


def test_backoff_doubles_from_one_second() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=5, jitter=0, sleep=sleeps.append)
    assert policy.call(failing([service_error() for _ in range(4)])) == "ok"
    assert sleeps == [1, 2, 4, 8]


def test_backoff_is_capped_at_max() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=10, jitter=0, sleep=sleeps.append)
    policy.call(failing([service_error() for _ in range(9)]))
    assert sleeps == [1, 2, 4, 8, 16, 32, 64, 64, 64]


def test_jitter_stays_within_its_fraction() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=6, jitter=0.5, sleep=sleeps.append, rng=random.Random(3))
    policy.call(failing([service_error() for _ in range(5)]))
    for wait, base in zip(sleeps, [1, 2, 4, 8, 16], strict=True):
        assert base <= wait <= base * 1.5
    assert sleeps != [1, 2, 4, 8, 16]  # some jitter was added


def test_retry_after_is_honoured_and_resets_backoff() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=6, jitter=0, sleep=sleeps.append)
    errors: list[Exception] = [
        service_error(),
        service_error(),
        B2TooManyRequests(429, "too_many_requests", "slow", retry_after=7),
        service_error(),
    ]
    policy.call(failing(errors))
    assert sleeps == [1, 2, 7, 1]


def test_retry_after_over_the_cap_ends_the_call() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_retry_after=30, sleep=sleeps.append)
    error = B2TooManyRequests(429, "too_many_requests", "", retry_after=3600)
    with pytest.raises(B2TooManyRequests) as info:
        policy.call(failing([error]))
    assert info.value.retry_after == 3600
    assert sleeps == []


def test_retry_after_under_the_cap_and_inside_the_deadline_is_waited() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_retry_after=30, deadline=31, sleep=sleeps.append)
    policy.call(failing([B2TooManyRequests(429, "too_many_requests", "", retry_after=30)]))
    assert sleeps == [30]


def test_exhausted_retries_reraise_the_last_error() -> None:
    sleeps: list[float] = []
    errors = [service_error() for _ in range(3)]
    fn = failing(errors)
    policy = RetryPolicy(attempts=3, jitter=0, sleep=sleeps.append)
    with pytest.raises(B2ServiceError) as info:
        policy.call(fn)
    assert info.value is errors[-1] or info.value.code == "service_unavailable"
    assert len(fn.calls) == 3  # type: ignore[attr-defined]
    assert sleeps == [1, 2]


def test_non_retryable_error_is_not_retried() -> None:
    sleeps: list[float] = []
    fn = failing([B2BadRequest(400, "bad_request", "no")])
    with pytest.raises(B2BadRequest):
        RetryPolicy(sleep=sleeps.append).call(fn)
    assert sleeps == []
    assert len(fn.calls) == 1  # type: ignore[attr-defined]


def test_transport_errors_are_retried() -> None:
    sleeps: list[float] = []
    RetryPolicy(jitter=0, sleep=sleeps.append).call(failing([B2ConnectionError("reset")]))
    assert sleeps == [1]


def test_attempts_one_disables_retries() -> None:
    with pytest.raises(B2ServiceError):
        RetryPolicy(attempts=1, sleep=lambda s: None).call(failing([service_error()]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"initial_backoff": -1},
        {"initial_backoff": 10, "max_backoff": 5},
        {"multiplier": 0.5},
        {"jitter": -0.1},
        {"max_retry_after": -1},
    ],
)
def test_bad_policy_values_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(B2ValidationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
