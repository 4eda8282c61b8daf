"""Which calls are resent after a lost answer, and the clean-up when B2 may have acted twice.

A call whose answer was lost (a timeout, or a connection that broke after the request was sent)
may have been carried out by B2. Reading and idempotent calls are simply resent. Calls that create
a named thing are tracked with :class:`Tracked`: ``create_key`` is never resent then (a second key
would be made and its secret lost); the others are resent and then reconciled, the extra
versions or unfinished large files that an earlier attempt made being removed
(:func:`extras`). Calls that remove a thing (``delete_bucket``, ``delete_key``,
``cancel_large_file``) read it first (:func:`read_before`): when a resend hears that it does not
exist and an earlier attempt may have acted, the thing read is what B2 would have answered.
``update_bucket`` with ``ifRevisionIs`` recognises its own update in a resend's conflict
(:func:`echoes`). An error answer (4xx, 5xx) means B2 did not act, so it never needs this.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

from ._retry import is_retryable, may_have_acted
from .errors import B2Error, B2NotFound

__all__ = [
    "Tracked",
    "confirmed",
    "echoes",
    "extras",
    "read_before",
    "remove_extras",
    "unless_maybe_acted",
]

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


def read_before(read: Callable[[], T]) -> T | None:
    """``read()``, done just before a call that removes what it reads (a removed thing cannot be
    read afterwards), or None when it cannot be read: absent (the call then says so itself) or
    not readable with this key. Errors worth a retry (B2 unreachable or busy) are raised: the
    call would meet them too, and nothing has been done yet."""
    try:
        return read()
    except B2Error as exc:
        if is_retryable(exc):
            raise
        logger.debug("no read before the call (%s); a lost answer cannot be reconciled", exc)
        return None


def confirmed(check: Callable[[], bool]) -> bool:
    """``check()``, or False when it cannot be made (the error it met is not the caller's)."""
    try:
        return check()
    except B2Error as exc:
        logger.warning("could not check what a lost answer did: %s", exc)
        return False


def echoes(sent: object, echoed: object) -> bool:
    """Whether B2's object ``echoed`` holds the value ``sent``: equal, where objects may hold
    more keys than were sent (B2 fills in its defaults) and lists match item by item."""
    if isinstance(sent, Mapping) and isinstance(echoed, Mapping):
        return all(key in echoed and echoes(value, echoed[key]) for key, value in sent.items())
    if isinstance(sent, list) and isinstance(echoed, list):
        return len(sent) == len(echoed) and all(map(echoes, sent, echoed))
    return sent == echoed


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
