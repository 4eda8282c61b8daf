"""``assert_hidden``: a secret appears nowhere in the given texts, reprs, logs or errors.

The forms searched: the secret itself and the Basic credentials (``base64(key_id:key)``) that
``b2_authorize_account`` sends, so a leaked ``Authorization`` header is caught too.
"""

from __future__ import annotations

import base64
import logging
import pickle
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any


def forms(secret: str, key_id: str | None = None) -> list[str]:
    found = [secret]
    if key_id is not None:
        found.append(base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii"))
    return found


def frame_locals(tb: TracebackType | None) -> list[str]:
    """``name=repr(value)`` of every local variable of every frame of ``tb`` (debug pages and
    error trackers show these)."""
    shown: list[str] = []
    while tb is not None:
        shown += [f"{name}={value!r}" for name, value in tb.tb_frame.f_locals.items()]
        tb = tb.tb_next
    return shown


def error_text(exc: BaseException, *, with_locals: bool = True) -> str:
    """Everything an error shows: str, repr, args, the formatted chain with tracebacks and
    (``with_locals``) the local variables of every frame of every error in the chain."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [repr(note) for note in getattr(current, "__notes__", [])]
        if with_locals:
            tb = current.__traceback__
            if current is exc and tb is not None:
                tb = tb.tb_next  # the first frame is the test's own, where it was caught
            parts += frame_locals(tb)
        current = current.__cause__ or current.__context__
    parts += traceback.format_exception(type(exc), exc, exc.__traceback__)
    try:
        parts.append(repr(pickle.dumps(exc)))
    except Exception as problem:  # an unpicklable error cannot leak through pickle
        parts.append(type(problem).__name__)
    return "\n".join(parts)


def log_text(records: Iterable[logging.LogRecord]) -> str:
    """Each record as a handler would write it (message, arguments, formatted traceback)."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) + " " + repr(record.args) for record in records)


def assert_hidden(secret: str, *texts: Any, key_id: str | None = None) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        for form in forms(secret, key_id):
            assert form not in shown, f"the application key leaks into: {shown[:300]!r}"
