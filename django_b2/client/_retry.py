"""Retry policy for B2 calls, built on tenacity.

Retryable: transport errors (no response), 408, 429 and 5xx. Waits grow from ``initial_backoff``
(1 s) by ``multiplier`` (2) up to ``max_backoff`` (64 s), plus up to ``jitter`` (a fraction of the
wait) at random. A ``Retry-After`` from the server is honoured exactly and resets the backoff to
its initial value. A call stops retrying when its attempts run out, when the next attempt could
not start before ``deadline`` (seconds since the call began, waits included), when a
``Retry-After`` asks for more than ``max_retry_after``, or, while no connection to B2 can be made
at all, at ``connect_deadline``. Then the last error is re-raised unchanged (a ``Retry-After`` it
carried is in its ``retry_after``). ``sleep`` is injectable so tests never really wait.

:meth:`RetryPolicy.for_web_requests` is the tighter policy the Django storage uses by default.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import tenacity

from .errors import B2APIError, B2Error, B2TransportError, B2ValidationError

__all__ = ["RetryPolicy", "is_retryable", "may_have_acted"]

logger = logging.getLogger("django_b2.client")

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """True for errors worth another attempt: transport errors, 408, 429 and 5xx."""
    return isinstance(exc, B2Error) and exc.retryable


def may_have_acted(exc: BaseException) -> bool:
    """True when B2 may have carried out a request although no answer arrived.

    An error answer (4xx, 5xx) means B2 did not carry the call out; a lost answer (a timeout or
    a connection that broke after the request was sent) leaves that open.
    """
    return isinstance(exc, B2TransportError) and exc.may_have_reached


def _unreachable(exc: BaseException | None) -> bool:
    return isinstance(exc, B2TransportError) and not exc.may_have_reached


#: The storage's defaults (see :meth:`RetryPolicy.for_web_requests`).
_WEB_REQUESTS: dict[str, float] = {
    "attempts": 8,
    "initial_backoff": 0.5,
    "max_backoff": 8.0,
    "max_retry_after": 10.0,
    "deadline": 30.0,
    "connect_deadline": 4.0,
}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently the client retries transient failures.

    ``attempts`` counts every try, the first included (``attempts=1`` disables retries).
    ``deadline`` bounds one call in seconds: attempts, backoff and ``Retry-After`` waits
    together; no attempt starts after it (an attempt under way is bounded by the request
    timeouts). A ``Retry-After`` longer than ``max_retry_after``, or one that would end past the
    deadline, ends the call at once with the error that carried it. ``connect_deadline`` (None:
    the same as ``deadline``) bounds the retries while no connection can be made at all.
    The defaults suit a script or a worker; the Django storage uses :meth:`for_web_requests`.
    """

    attempts: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 64.0
    multiplier: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 300.0
    deadline: float = 600.0
    connect_deadline: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def for_web_requests(cls, **fields: Any) -> RetryPolicy:
        """The storage's policy: a web request gives up within 30 s, within 4 s when B2's host
        refuses connections; ``fields`` override single values."""
        return cls(**{**_WEB_REQUESTS, **fields})

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise B2ValidationError(f"RetryPolicy.attempts must be at least 1, not {self.attempts}")
        if self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise B2ValidationError(
                "RetryPolicy needs 0 <= initial_backoff <= max_backoff, got "
                f"initial_backoff={self.initial_backoff}, max_backoff={self.max_backoff}"
            )
        if self.multiplier < 1:
            raise B2ValidationError(f"RetryPolicy.multiplier must be >= 1, not {self.multiplier}")
        if self.jitter < 0:
            raise B2ValidationError(f"RetryPolicy.jitter must be >= 0, not {self.jitter}")
        if self.max_retry_after < 0:
            raise B2ValidationError(
                f"RetryPolicy.max_retry_after must be >= 0, not {self.max_retry_after}"
            )
        if not self.deadline > 0:
            raise B2ValidationError(
                f"RetryPolicy.deadline must be seconds > 0, not {self.deadline}"
            )
        if self.connect_deadline is not None and not self.connect_deadline > 0:
            raise B2ValidationError(
                "RetryPolicy.connect_deadline must be seconds > 0 or None (same as deadline), "
                f"not {self.connect_deadline}"
            )

    def backoff(self, failures: int) -> float:
        """The wait (without jitter) after ``failures`` consecutive failures (``failures >= 1``)."""
        return min(self.initial_backoff * self.multiplier ** max(failures - 1, 0), self.max_backoff)

    def _controller(
        self,
        *,
        retry_if: Callable[[BaseException], bool] = is_retryable,
        attempts: int | None = None,
        no_wait_if: Callable[[BaseException], bool] | None = None,
        deadline: float | None = None,
    ) -> tenacity.Retrying:
        """A fresh tenacity ``Retrying`` for one logical call (it keeps per-call backoff state).

        It drives :func:`_capture`, which returns ``fn``'s error as a :class:`_Failed` instead of
        raising it. ``no_wait_if(exc)`` marks failures that are retried at once
        (e.g. an upload that needs a fresh URL after a 401, which is not a sign of overload).
        ``deadline`` replaces the policy's for this call (what is left of it, say).
        """
        budget = self.deadline if deadline is None else deadline
        connect_budget = min(budget, self.connect_deadline or budget)
        return tenacity.Retrying(
            stop=(
                tenacity.stop_after_attempt(attempts or self.attempts)
                | tenacity.stop_before_delay(budget)
                | _StopIfUnreachable(connect_budget)
                | _StopOnLongRetryAfter(self.max_retry_after)
            ),
            wait=_Wait(self, no_wait_if),
            retry=tenacity.retry_if_result(partial(_should_retry, retry_if)),
            retry_error_callback=_last_outcome,
            sleep=self.sleep,
            before_sleep=_log_retry,
        )

    def call(
        self,
        fn: Callable[[], T],
        *,
        retry_if: Callable[[BaseException], bool] = is_retryable,
        attempts: int | None = None,
        no_wait_if: Callable[[BaseException], bool] | None = None,
        deadline: float | None = None,
    ) -> T:
        """Call ``fn`` until it succeeds, a non-retryable error occurs or the policy stops it.

        Errors never travel through tenacity's frames: ``fn``'s error comes back as a value and is
        raised here. Otherwise the error's traceback would hold tenacity's call state, which holds
        the error (a reference cycle), and everything ``fn`` captured (an upload body, say) would
        live until the garbage collector ran. For the same reason the controller's per-thread
        bookkeeping (bound methods of itself: another cycle) is dropped before returning.
        """
        retrying = self._controller(
            retry_if=retry_if, attempts=attempts, no_wait_if=no_wait_if, deadline=deadline
        )
        try:
            outcome = retrying(_capture, fn)
        finally:
            _drop_actions(retrying)
            del retrying
        if not isinstance(outcome, _Failed):
            return cast(T, outcome)
        error = cast(Exception, outcome.error)
        # ``fn``'s frames reach tenacity's frame (their caller), which holds ``outcome``: unlink
        # it from the error, or the error and its traceback would form a cycle.
        outcome.error = None
        del outcome
        try:
            raise error
        finally:
            del error  # the traceback holds this frame: do not let the frame hold the error


def _drop_actions(retrying: tenacity.Retrying) -> None:
    """Forget the per-thread action list of tenacity >= 8.4 (bound methods of ``retrying``)."""
    if hasattr(type(retrying), "iter_state"):  # tenacity < 8.4 keeps no such list
        retrying.iter_state.reset()


class _Failed:
    """An error returned (not raised) by :func:`_capture`."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error: Exception | None = error


def _capture(fn: Callable[[], T]) -> T | _Failed:
    try:
        return fn()
    except Exception as exc:  # BaseException (KeyboardInterrupt, ...) propagates at once
        return _Failed(exc)


def _should_retry(retry_if: Callable[[BaseException], bool], outcome: object) -> bool:
    return isinstance(outcome, _Failed) and outcome.error is not None and retry_if(outcome.error)


def _last_outcome(retry_state: tenacity.RetryCallState) -> object:
    """Attempts ran out: hand the last failure back so that :meth:`RetryPolicy.call` raises it."""
    return retry_state.outcome.result() if retry_state.outcome is not None else None


def _failure(retry_state: tenacity.RetryCallState) -> Exception | None:
    outcome = retry_state.outcome
    if outcome is None or outcome.failed:
        return None
    value = outcome.result()
    return value.error if isinstance(value, _Failed) else None


class _Wait(tenacity.wait.wait_base):
    """Retry-After aware exponential backoff with jitter; its state lives for one call."""

    def __init__(
        self, policy: RetryPolicy, no_wait_if: Callable[[BaseException], bool] | None = None
    ) -> None:
        self.policy = policy
        self.no_wait_if = no_wait_if
        self.failures = 0

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        policy = self.policy
        exc = _failure(retry_state)
        if exc is not None and self.no_wait_if is not None and self.no_wait_if(exc):
            return 0.0
        if isinstance(exc, B2APIError) and exc.retry_after is not None:
            # Honoured as given: a longer one than the policy allows stops the call instead
            # (_StopOnLongRetryAfter), and so does one that would pass the deadline.
            self.failures = 0
            return float(max(exc.retry_after, 0.0))
        self.failures += 1
        base = policy.backoff(self.failures)
        return base + base * policy.jitter * policy.rng.random()


class _StopIfUnreachable(tenacity.stop.stop_base):
    """Stop when no connection could be made and the next attempt would start after ``delay``."""

    def __init__(self, delay: float) -> None:
        self.before_delay = tenacity.stop_before_delay(delay)

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return _unreachable(_failure(retry_state)) and self.before_delay(retry_state)


class _StopOnLongRetryAfter(tenacity.stop.stop_base):
    """Stop at once when B2's ``Retry-After`` asks for a longer wait than ``limit``."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        exc = _failure(retry_state)
        return (
            isinstance(exc, B2APIError)
            and exc.retry_after is not None
            and exc.retry_after > self.limit
        )


def _log_retry(retry_state: tenacity.RetryCallState) -> None:
    exc = _failure(retry_state)
    wait = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
    logger.info(
        "B2 call failed (attempt %d): %s; retrying in %.2f s",
        retry_state.attempt_number,
        exc,
        wait,
    )
