"""Run a migration: files from a source to a B2 storage, in parallel, journaled, verified."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousFileOperation

from django_b2.client import B2Error
from django_b2.client._limits import MAX_COPY_SIZE

from .destination import Destination, check_copy
from .journal import Journal
from .sources import Payload, Source, SourceFile

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = ["MigrationSummary", "migrate"]

#: Failures kept with their message in the summary (the rest are counted; all are journaled).
MAX_FAILURES_KEPT = 1000


@dataclass
class MigrationSummary:
    """What a migration did. ``bytes`` counts what was copied (or would be, with ``dry_run``)."""

    copied: int = 0
    skipped: int = 0
    failed: int = 0
    missing: int = 0
    bytes: int = 0
    skipped_bytes: int = 0
    server_side: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    journal: str | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)
    #: bytes sent so far, counting parts of files still in flight (for progress bars)
    bytes_sent: int = 0

    @property
    def files(self) -> int:
        return self.copied + self.skipped + self.failed + self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "copied": self.copied,
            "skipped": self.skipped,
            "failed": self.failed,
            "missing": self.missing,
            "bytes": self.bytes,
            "skipped_bytes": self.skipped_bytes,
            "server_side_copies": self.server_side,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
            "journal": self.journal,
            "failures": [{"name": name, "error": error} for name, error in self.failures],
            "missing_names": self.missing_names,
        }


class _Run:
    """One migration's shared state: counters under a lock, the journal, the destination."""

    def __init__(
        self,
        source: Source,
        destination: Destination,
        journal: Journal | None,
        *,
        dry_run: bool,
        attempts: int,
        server_side: bool,
        progress: Callable[[MigrationSummary], None] | None,
    ) -> None:
        self.source = source
        self.destination = destination
        self.journal = journal
        self.dry_run = dry_run
        self.attempts = attempts
        self.server_side = server_side
        self.progress = progress
        self.summary = MigrationSummary(dry_run=dry_run, journal=journal.path if journal else None)
        self.lock = threading.Lock()

    # -- counting ----------------------------------------------------------------------

    def _done(self, outcome: str, item: SourceFile | None, name: str, error: str = "") -> None:
        with self.lock:
            summary = self.summary
            if outcome == "copied":
                summary.copied += 1
                summary.bytes += item.size if item else 0
            elif outcome == "server_side":
                summary.copied += 1
                summary.server_side += 1
                summary.bytes += item.size if item else 0
                summary.bytes_sent += item.size if item else 0
            elif outcome == "skipped":
                summary.skipped += 1
                summary.skipped_bytes += item.size if item else 0
            elif outcome == "missing":
                summary.missing += 1
                if len(summary.missing_names) < MAX_FAILURES_KEPT:
                    summary.missing_names.append(name)
            else:
                summary.failed += 1
                if len(summary.failures) < MAX_FAILURES_KEPT:
                    summary.failures.append((name, error))
        if self.progress is not None:
            self.progress(self.summary)

    def _sent(self, count: int) -> None:
        with self.lock:
            self.summary.bytes_sent += count
        if self.progress is not None and count:
            self.progress(self.summary)

    # -- one file ------------------------------------------------------------------------

    def process(self, work: SourceFile | str) -> None:
        name = work if isinstance(work, str) else work.name
        try:
            item = self.source.lookup(work) if isinstance(work, str) else work
            if item is None:
                self._done("missing", None, name)
                return
            self._process(item)
        except Exception as exc:  # one file failing must not stop the others
            self._done("failed", None, name, f"{type(exc).__name__}: {exc}")

    def _already_done(self, item: SourceFile) -> bool:
        if self.journal is None or not item.stamp:
            return False
        entry = self.journal.get(item.name)
        return (
            entry is not None
            and entry.state in ("copied", "skipped")
            and entry.size == item.size
            and entry.stamp == item.stamp
        )

    def _process(self, item: SourceFile) -> None:
        try:
            key = self.destination.key(item.name)
        except (ValueError, SuspiciousFileOperation) as exc:
            self._fail(item, str(exc))
            return
        if self._already_done(item):
            self._done("skipped", item, item.name)
            return
        payload: Payload | None = None
        try:
            existing = self.destination.existing(key)
            if existing is not None and existing.size == item.size:
                source_sha1 = item.sha1
                if source_sha1 is None:
                    payload = self.source.payload(item)
                    source_sha1 = payload.sha1
                there = existing.sha1 or self.destination.remote_sha1(existing.file_id)
                if there == source_sha1:
                    self._confirm(item, "skipped", source_sha1, existing.file_id)
                    self._done("skipped", item, item.name)
                    return
            if self.dry_run:
                self._done("copied", item, item.name)
                return
            self._copy(item, key, payload)
        finally:
            if payload is not None:
                payload.cleanup()

    def _copy(self, item: SourceFile, key: str, payload: Payload | None) -> None:
        """Copy ``item``, check it, retry; ``payload`` (if read already) is cleaned up here."""
        server_side = self.server_side and item.b2 is not None and item.size <= MAX_COPY_SIZE
        problem = ""
        try:
            for attempt in range(self.attempts):
                if attempt and payload is not None:
                    payload.cleanup()  # read the source again: it may have changed
                    payload = None
                sent = 0

                def report(done: int, _total: int | None) -> None:
                    nonlocal sent
                    step, sent = done - sent, done
                    self._sent(step)

                try:
                    if server_side:
                        result = self.destination.server_copy(item)
                        expected, checked = item.sha1, None
                    else:
                        if payload is None:
                            payload = self.source.payload(item)
                        result = self.destination.upload(item, payload, report)
                        expected, checked = payload.sha1, payload
                except (B2Error, OSError) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    self._sent(-sent)
                    continue
                size = payload.size if payload is not None and not server_side else item.size
                mismatch = check_copy(result, size, expected, checked)
                if mismatch is None:
                    self._confirm(item, "copied", expected, str(result.get("fileId") or ""))
                    self._done("server_side" if server_side else "copied", item, item.name)
                    return
                problem = mismatch
                self._sent(-sent)
                # Never leave a copy that does not match its source.
                self.destination.remove(key, str(result.get("fileId") or ""))
        finally:
            if payload is not None:
                payload.cleanup()
        self._fail(item, f"not copied after {self.attempts} attempt(s): {problem}")

    def _confirm(self, item: SourceFile, state: str, sha1: str | None, file_id: str) -> None:
        if self.journal is not None and not self.dry_run:
            self.journal.confirm(
                item.name, state=state, size=item.size, sha1=sha1, stamp=item.stamp,
                file_id=file_id,
            )  # fmt: skip

    def _fail(self, item: SourceFile, error: str) -> None:
        if self.journal is not None and not self.dry_run:
            self.journal.fail(item.name, size=item.size, stamp=item.stamp, error=error)
        self._done("failed", item, item.name, error)


def _feed(run: _Run, work: Iterable[SourceFile | str], workers: int) -> None:
    """Hand ``work`` to ``workers`` threads, at most ``2 * workers`` items queued at a time."""
    slots = threading.BoundedSemaphore(workers * 2)

    def release(_: Future[None]) -> None:
        slots.release()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="b2_migrate") as pool:
        for item in work:
            slots.acquire()
            pool.submit(run.process, item).add_done_callback(release)


def migrate(
    source: Source,
    destination: B2Storage,
    *,
    journal: str | None = None,
    names: Iterable[str] | None = None,
    workers: int = 4,
    dry_run: bool = False,
    attempts: int = 3,
    server_side_copy: bool = True,
    temp_dir: str | None = None,
    progress: Callable[[MigrationSummary], None] | None = None,
) -> MigrationSummary:
    """Copy the files of ``source`` (or only ``names``) to ``destination``; see docs/migrate.md.

    ``journal`` is the path of the SQLite journal that makes a rerun skip confirmed files
    (``None``: no journal; the destination's listing still makes a rerun skip identical files).
    Failures do not raise: they are counted and listed in the returned summary.
    """
    if workers < 1 or attempts < 1:
        raise ValueError("workers and attempts must be at least 1")
    started = time.monotonic()
    target = Destination(destination, temp_dir)
    book = (
        Journal(journal, source=source.description, destination=target.description)
        if journal is not None and not dry_run
        else None
    )
    try:
        target.load_index()
        server_side = server_side_copy and target.can_copy_from(source)
        run = _Run(
            source, target, book, dry_run=dry_run, attempts=attempts,
            server_side=server_side, progress=progress,
        )  # fmt: skip
        work: Iterator[SourceFile | str] | Iterable[str] = (
            names if names is not None else source.files()
        )
        _feed(run, work, workers)
    finally:
        target.close()
        if book is not None:
            book.close()
    run.summary.seconds = time.monotonic() - started
    return run.summary
