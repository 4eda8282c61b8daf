"""Which calls are resent after a lost answer, and the clean-up when B2 may have acted twice.

A call whose answer was lost (a timeout, or a connection that broke after the request was sent)
may have been carried out by B2. Reading and idempotent calls are simply resent. Calls that create
a named thing are tracked with :class:`Tracked`: ``create_key`` is never resent then (a second key
would be made and its secret lost); the others are resent and then reconciled, the extra
versions or unfinished large files that an earlier attempt made being removed
(:func:`extras`). An error answer (4xx, 5xx) means B2 did not act, so it never needs this.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

from ._retry import is_retryable, may_have_acted
from .errors import B2Error, B2NotFound

__all__ = ["Tracked", "extras", "remove_extras", "unless_maybe_acted"]

logger = logging.getLogger("django_b2.client")

T = TypeVar("T")
P = ParamSpec("P")

#: Slack (ms) for the window in which an earlier attempt's version may have been made.
_WINDOW_SLACK_MS = 1000
#: Fields an accidental duplicate shares with the version the caller got back. B2 reports a
#: copy as ``copy`` in its answer and as ``upload`` in listings.
_SAME = ("fileName", "contentSha1", "contentLength", "contentType", "fileInfo")
_ACTIONS = {"copy": "upload"}


def unless_maybe_acted(exc: BaseException) -> bool:
    """Retry predicate for calls that must not be resent once B2 may have acted."""
    return is_retryable(exc) and not may_have_acted(exc)


class Tracked:
    """Watches the attempts of one call; remembers whether one may have been carried out
    unanswered (:attr:`maybe_acted`) and how long the call has taken."""

    def __init__(self) -> None:
        self.maybe_acted = False
        self.started = time.monotonic()

    def watch(self, attempt: Callable[P, T]) -> Callable[P, T]:
        """``attempt`` as it is, noting each failure after which B2 may have acted."""

        def watched(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return attempt(*args, **kwargs)
            except B2Error as exc:
                if may_have_acted(exc):
                    self.maybe_acted = True
                raise

        return watched

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def extras(
    candidates: Iterable[Mapping[str, Any]], kept: Mapping[str, Any], elapsed: float
) -> list[Mapping[str, Any]]:
    """The versions among ``candidates`` that an earlier attempt of the call that returned
    ``kept`` may have made: the same name, action and content, made since the call began
    (timed on B2's clock: ``kept``'s timestamp minus the call's duration)."""
    since = int(kept.get("uploadTimestamp") or 0) - int(elapsed * 1000) - _WINDOW_SLACK_MS
    action = _ACTIONS.get(str(kept.get("action")), kept.get("action"))
    return [
        version
        for version in candidates
        if version.get("fileId") != kept.get("fileId")
        and _ACTIONS.get(str(version.get("action")), version.get("action")) == action
        and all(version.get(key) == kept.get(key) for key in _SAME)
        and int(version.get("uploadTimestamp") or 0) >= since
    ]


def remove_extras(
    what: str, found: list[Mapping[str, Any]], remove: Callable[[Mapping[str, Any]], object]
) -> None:
    """Remove each extra (one already gone is fine); a failure is logged, never raised: the
    call itself succeeded."""
    for extra in found:
        try:
            remove(extra)
        except B2NotFound:
            continue
        except B2Error as exc:
            logger.warning(
                "could not remove the extra %s %s left by a resent call: %s",
                what,
                extra.get("fileId"),
                exc,
            )
            return
        logger.info("removed the extra %s %s left by a resent call", what, extra.get("fileId"))
