"""The migration journal: a small SQLite file recording each file confirmed at the destination.

A run writes one row per file as soon as the copy is verified (or found already there), in
write-ahead-log mode: a process killed at any point (``kill -9`` included) loses at most the rows
of the files that were in flight, and the next run skips every confirmed file whose source has not
changed since (same size and change stamp).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Journal", "JournalEntry", "JournalError"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha1 TEXT,
    stamp TEXT NOT NULL,
    file_id TEXT,
    error TEXT,
    updated REAL NOT NULL
);
"""


class JournalError(ValueError):
    """The journal file cannot be used for this migration (another migration's, or unreadable)."""


@dataclass(frozen=True)
class JournalEntry:
    """What the journal knows of one file."""

    state: str
    size: int
    sha1: str | None
    stamp: str


class Journal:
    """Progress of one migration (source -> destination), safe to use from several threads."""

    def __init__(self, path: str | os.PathLike[str], *, source: str, destination: str) -> None:
        self.path = str(Path(path).resolve())
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed row survives the process being killed (the OS
            # has it); only a power cut may lose the last ones, which are then just sent again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(
                f"Cannot use {self.path} as a migration journal ({exc}); pass --journal with "
                "the path of a new or earlier journal file."
            ) from exc
        self._lock = threading.Lock()
        self._check_owner(source, destination)

    def _check_owner(self, source: str, destination: str) -> None:
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if not rows:
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("source", source), ("destination", destination)],
                )
                return
        if (rows.get("source"), rows.get("destination")) != (source, destination):
            raise JournalError(
                f"Journal {self.path} records a migration from {rows.get('source')} to "
                f"{rows.get('destination')}, not from {source} to {destination}; pass --journal "
                "with another path."
            )

    def get(self, name: str) -> JournalEntry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state, size, sha1, stamp FROM files WHERE name = ?", (name,)
            ).fetchone()
        return JournalEntry(*row) if row else None

    def confirm(
        self, name: str, *, state: str, size: int, sha1: str | None, stamp: str, file_id: str
    ) -> None:
        """Record ``name`` as present and verified at the destination (``copied``/``skipped``)."""
        self._write(name, state, size, sha1, stamp, file_id, None)

    def fail(self, name: str, *, size: int, stamp: str, error: str) -> None:
        self._write(name, "failed", size, None, stamp, None, error)

    def _write(
        self,
        name: str,
        state: str,
        size: int,
        sha1: str | None,
        stamp: str,
        file_id: str | None,
        error: str | None,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, state, size, sha1, stamp, file_id, error, time.time()),
            )

    def counts(self) -> dict[str, int]:
        """Rows per state (``copied``, ``skipped``, ``failed``)."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()
        return {state: int(count) for state, count in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
