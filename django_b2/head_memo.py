"""``HeadMemo``: one storage's recent HEAD answers, so that a burst of calls on a name costs one.

Django asks ``exists()``, then ``size()`` or ``get_modified_time()`` of the same name; each is a
HEAD on B2. The storage keeps each answer (the file's info, or "no such file") for at most
:data:`HEAD_MEMO_SECONDS` and forgets a name as soon as it writes or deletes it itself. Another
process's change to a name is therefore seen at most that long after it happened.
"""

from __future__ import annotations

import time
from typing import Any, Final

__all__ = ["HEAD_MEMO_SECONDS", "HeadMemo"]

#: Seconds a HEAD answer (file info, or "no such file") is reused by the same storage.
HEAD_MEMO_SECONDS: Final = 1.0
#: Names remembered at most; the memo starts over beyond.
_SIZE: Final = 1024


class HeadMemo:
    """B2 key -> (when, file info or ``None`` for "no such file"), per storage."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def get(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        """``(True, info or None)`` for a fresh answer, else ``(False, None)``."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > HEAD_MEMO_SECONDS:
            return False, None
        return True, entry[1]

    def put(self, key: str, info: dict[str, Any] | None) -> None:
        entries = self._entries
        if len(entries) >= _SIZE:
            entries.clear()
        entries[key] = (time.monotonic(), info)

    def forget(self, key: str) -> None:
        """Drop what is known of ``key`` (the storage writes or deletes it)."""
        self._entries.pop(key, None)
