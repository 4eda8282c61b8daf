"""Storages for ``collectstatic``: ``B2StaticStorage`` and ``B2ManifestStaticStorage``.

``collectstatic`` saves files one after another. These storages copy each file into a spooled
temporary file and hand it to a pool of ``max_workers`` upload threads, so many uploads run at
once while collectstatic moves on; at most ``2 * max_workers`` uploads wait at any time (the
queue is bounded, so memory is too). Pending uploads are flushed at the end of ``post_process``
(which collectstatic always calls) and before any read of a file still being uploaded; call
:meth:`B2StaticStorage.flush` yourself when you use ``save()`` outside collectstatic. An upload
failure is raised by the next ``save()`` or by ``flush()``.

``exists()`` and ``get_modified_time()`` (asked for every file by collectstatic) are answered from
one listing of the storage's ``location``, taken on first use and kept up to date by this
storage's own saves and deletes; it is refreshed after ``listing_ttl`` seconds.

Static storages default to ``public=True`` (plain URLs; CSS rewritten by the manifest storage
refers to files by path, which signed URLs would break) and ``file_overwrite=True``. They read
``B2_STATIC_<NAME>`` settings before ``B2_<NAME>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.base import File
from django.utils.deconstruct import deconstructible

from .files import B2File
from .storage import B2Storage, datetime_from_millis

__all__ = ["HASHED_CACHE_CONTROL", "LISTING_TTL", "B2ManifestStaticStorage", "B2StaticStorage"]

#: Seconds the listing behind ``exists()`` is trusted before it is taken again.
LISTING_TTL: Final = 300.0
#: ``Cache-Control`` of files whose names carry the manifest's content hash (one year).
HASHED_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
#: ``name.<12 hex digits of MD5>[.ext]``, the names ``ManifestFilesMixin.hashed_name`` makes.
_HASHED_NAME: Final = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")


@dataclass(frozen=True, eq=False)
class _Pending:
    """The last operation queued for a name."""

    future: Future[None]
    exists_after: bool  # True for a save, False for a delete
    existed_before: bool  # whether the name existed before this operation (True if unknown)
    on_cancel: Callable[[], None] | None


@deconstructible(path="django_b2.static.B2StaticStorage")
class B2StaticStorage(B2Storage):
    """Static files on B2 with parallel uploads. See the module docstring."""

    static_defaults = True
    listing_ttl: float = LISTING_TTL

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._init_parallel_state()

    def _init_parallel_state(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(2 * self.config.max_workers)
        self._pending: dict[str, _Pending] = {}
        # Deletes not sent yet, name -> SHA-1 of the content they would remove (see delete()).
        self._deferred: dict[str, str] = {}
        # Names whose only stored version is one this storage uploaded onto a free name -> SHA-1.
        self._uploaded: dict[str, str] = {}
        # Deletes are held back only inside post_process(), which always ends with flush().
        self._hold_deletes = False
        self._failures: list[tuple[str, BaseException]] = []
        self._state_lock = threading.Lock()
        self._listing: dict[str, Mapping[str, Any]] | None = None
        self._dirs: set[str] = set()  # "directories" (name prefixes) seen in the listing
        self._listing_at = 0.0

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for name in (
            "_pool",
            "_slots",
            "_pending",
            "_deferred",
            "_uploaded",
            "_failures",
            "_state_lock",
            "_listing",
            "_dirs",
        ):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_parallel_state()

    # -- parallel uploads --------------------------------------------------------------------

    def _save(self, name: str, content: File[Any]) -> str:
        key = self.b2_name(name)
        spool, length, sha1 = _spool(content, self.config.spool_max_size)
        with self._state_lock:
            deferred = self._deferred.pop(name, None)
        if deferred is not None:
            if deferred == sha1:
                # Deleted, then saved again with the same bytes: the stored file is already
                # right, so neither the delete nor the upload is sent.
                spool.close()
                self._relist(key, length)
                return name
            self._send_delete(name, key)
        existed_before = self._will_exist(name, key)
        with self._state_lock:
            if existed_before:
                self._uploaded.pop(name, None)
            else:
                self._uploaded[name] = sha1

        def upload() -> None:
            try:
                self.upload(name, key, spool, content_length=length)
            finally:
                spool.close()

        try:
            self._submit(
                name,
                key,
                upload,
                exists_after=True,
                existed_before=existed_before,
                on_cancel=spool.close,
            )
        except BaseException:
            spool.close()
            raise
        self._relist(key, length)
        return name

    def _relist(self, key: str, length: int) -> None:
        with self._state_lock:
            if self._listing is not None:
                self._dirs.update(_parents(key))
                self._listing[key] = {
                    "contentLength": length,
                    "uploadTimestamp": int(time.time() * 1000),
                    "fileInfo": {},
                }

    def _will_exist(self, name: str, key: str) -> bool:
        """Whether ``name`` exists once the queued operations are done (True when unknown)."""
        with self._state_lock:
            if name in self._deferred:
                return False
            entry = self._pending.get(name)
            if entry is not None:
                return entry.exists_after
            if self._listing is None:
                return True
            return key in self._listing

    def _submit(
        self,
        name: str,
        key: str,
        operation: Callable[[], None],
        *,
        exists_after: bool,
        existed_before: bool = True,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Run ``operation`` on the pool, after any earlier operation on the same name.

        The pool runs tasks in submission order, so a task that waits for an earlier one of the
        same name only ever waits for a task that is already running: no deadlock.
        """
        self._raise_failures()
        self._slots.acquire()  # bounds the queue: blocks while 2 * max_workers are pending
        try:
            with self._state_lock:
                previous = self._pending.get(name)
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        max_workers=self.config.max_workers, thread_name_prefix="django_b2-static"
                    )
                pool = self._pool

            def task() -> None:
                try:
                    if previous is not None:
                        # Its failure, if any, is already recorded in _failures.
                        with contextlib.suppress(BaseException):
                            previous.future.result()
                    operation()
                except BaseException as exc:
                    with self._state_lock:
                        self._failures.append((name, exc))
                        self._uploaded.pop(name, None)
                        if exists_after and self._listing is not None:
                            self._listing.pop(key, None)
                    raise
                finally:
                    self._slots.release()

            future = pool.submit(task)
        except BaseException:
            self._slots.release()
            raise
        entry = _Pending(future, exists_after, existed_before, on_cancel)
        with self._state_lock:
            self._pending[name] = entry

        def forget(_: Future[None]) -> None:
            with self._state_lock:
                if self._pending.get(name) is entry:
                    del self._pending[name]

        future.add_done_callback(forget)

    def _cancel_unstarted_upload(self, name: str) -> bool:
        """Drop a queued upload of ``name`` that has not started, when nothing was stored
        under that name before it: then deleting ``name`` needs no request at all.

        The manifest storage saves each CSS/JS file, then deletes and saves it again; this
        turns that into a single upload whenever the first one is still waiting in the queue.
        """
        with self._state_lock:
            entry = self._pending.get(name)
        if entry is None or not entry.exists_after or entry.existed_before:
            return False
        if not entry.future.cancel():
            return False  # already running or done: a real delete is needed
        self._slots.release()
        if entry.on_cancel is not None:
            entry.on_cancel()
        with self._state_lock:
            if self._pending.get(name) is entry:
                del self._pending[name]
        return True

    def _wait(self, name: str) -> None:
        """Wait until every operation queued for ``name`` is done; raise upload failures."""
        self._send_deferred(name)
        with self._state_lock:
            entry = self._pending.get(name)
        if entry is not None:
            with contextlib.suppress(BaseException):
                entry.future.result()
        self._raise_failures()

    def _raise_failures(self) -> None:
        with self._state_lock:
            failures, self._failures = self._failures, []
        if failures:
            name, exc = failures[0]
            if len(failures) > 1:
                others = ", ".join(repr(n) for n, _ in failures[1:])
                _add_note(exc, f"Operations on {others} failed too.")
            _add_note(exc, f"Background B2 operation on {name!r} failed.")
            raise exc

    def flush(self) -> None:
        """Wait for every pending upload and delete; raise the first failure, if any."""
        with self._state_lock:
            deferred = list(self._deferred)
        for name in deferred:
            self._send_deferred(name)
        while True:
            with self._state_lock:
                futures = [entry.future for entry in self._pending.values()]
            if not futures:
                break
            for future in futures:
                with contextlib.suppress(BaseException):
                    future.result()
            # Done callbacks drop finished entries; loop until none is left.
            with self._state_lock:
                for pending_name in [n for n, e in self._pending.items() if e.future.done()]:
                    del self._pending[pending_name]
        self._raise_failures()

    def close(self) -> None:
        """Flush and stop the upload threads."""
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    @contextlib.contextmanager
    def holding_deletes(self) -> Iterator[None]:
        """Within this block, a delete of a file this storage uploaded onto a free name is held
        back (see :meth:`delete`); on leaving it, everything is flushed."""
        self._hold_deletes = True
        try:
            yield
        finally:
            self._hold_deletes = False
            self.flush()

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """collectstatic calls this after the last save: wait for every upload to finish."""
        self.flush()
        yield from ()

    # -- reads see what was written ----------------------------------------------------------

    def _snapshot(self) -> dict[str, Mapping[str, Any]]:
        with self._state_lock:
            listing = self._listing
            fresh = listing is not None and time.monotonic() - self._listing_at < self.listing_ttl
        if listing is not None and fresh:
            return listing
        self.flush()
        prefix = f"{self.location}/" if self.location else ""
        entries: dict[str, Mapping[str, Any]] = {
            str(entry["fileName"]): entry
            for entry in self.client.iter_file_names(self.bucket_id, prefix=prefix)
        }
        directories = {parent for key in entries for parent in _parents(key)}
        with self._state_lock:
            self._listing = entries
            self._dirs = directories
            self._listing_at = time.monotonic()
        return entries

    def exists(self, name: str) -> bool:
        """Whether a file, or a "directory" (used by ``collectstatic --clear``), exists."""
        if _is_root(name):
            return True
        key = self.b2_name(name)
        with self._state_lock:
            if name in self._deferred:
                return False
            entry = self._pending.get(name)
        if entry is not None:
            return entry.exists_after  # the last queued operation decides
        listing = self._snapshot()
        with self._state_lock:
            return key in listing or key in self._dirs

    def get_modified_time(self, name: str) -> datetime:
        key = self.b2_name(name)
        self._wait(name)
        entry = self._snapshot().get(key)
        if entry is None:
            return super().get_modified_time(name)
        millis = (entry.get("fileInfo") or {}).get("src_last_modified_millis")
        if millis is None or not str(millis).isdigit():
            millis = entry.get("uploadTimestamp")
        return datetime_from_millis(int(millis or 0))

    def file_info(self, name: str) -> dict[str, Any]:
        self._wait(name)
        return super().file_info(name)

    def _open(self, name: str, mode: str = "rb") -> B2File:
        self._wait(name)
        return super()._open(name, mode)

    def delete(self, name: str) -> None:
        """Delete ``name`` after any operation queued for it; failures surface like upload
        failures.

        The manifest storage deletes each adjustable file and saves it again, usually with the
        same bytes. Inside :meth:`holding_deletes` (which ``post_process`` uses), a delete of a
        file this storage uploaded itself onto a free name is therefore held back: if the next
        operation on the name saves the same content, neither is sent; anything else (another
        save, a read, ``flush()``) sends it first. Anywhere, an upload of the name still
        waiting in the queue is simply dropped instead.
        """
        key = self.b2_name(name)
        with self._state_lock:
            already_deferred = name in self._deferred
        if not already_deferred:
            if self._cancel_unstarted_upload(name):
                with self._state_lock:
                    self._uploaded.pop(name, None)
            else:
                with self._state_lock:
                    sha1 = self._uploaded.get(name) if self._hold_deletes else None
                    if sha1 is not None:
                        self._deferred[name] = sha1
                if sha1 is None:
                    self._send_delete(name, key)
        with self._state_lock:
            if self._listing is not None:
                self._listing.pop(key, None)

    def _send_delete(self, name: str, key: str) -> None:
        with self._state_lock:
            self._uploaded.pop(name, None)
        self._submit(name, key, lambda: B2Storage.delete(self, name), exists_after=False)

    def _send_deferred(self, name: str) -> None:
        with self._state_lock:
            deferred = self._deferred.pop(name, None)
        if deferred is not None:
            self._send_delete(name, self.b2_name(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        self.flush()
        return super().listdir(path)


class _LazyManifest:
    """Marker: the manifest has not been read yet."""


_NOT_LOADED: Final = _LazyManifest()


@deconstructible(path="django_b2.static.B2ManifestStaticStorage")
class B2ManifestStaticStorage(ManifestFilesMixin, B2StaticStorage):  # type: ignore[misc]
    """``ManifestStaticFilesStorage`` on B2: hashed names, parallel uploads, lazy manifest.

    Django's manifest storage reads ``staticfiles.json`` in ``__init__``; this one reads it on
    first use, so building the storage (``check``, ``migrate``, imports) makes no request.
    """

    def __init__(self, **options: Any) -> None:
        self._constructing = True
        try:
            super().__init__(**options)
        finally:
            self._constructing = False

    def _loaded(self, attribute: str) -> Any:
        value = self.__dict__.get(attribute, _NOT_LOADED)
        if value is _NOT_LOADED:
            paths, manifest_hash = super().load_manifest()
            self.__dict__["_hashed_files"] = paths
            self.__dict__["_manifest_hash"] = manifest_hash
            value = self.__dict__[attribute]
        return value

    @property
    def hashed_files(self) -> dict[str, str]:
        return self._loaded("_hashed_files")  # type: ignore[no-any-return]

    @hashed_files.setter
    def hashed_files(self, value: Any) -> None:
        self.__dict__["_hashed_files"] = value

    @property
    def manifest_hash(self) -> str:
        return self._loaded("_manifest_hash")  # type: ignore[no-any-return]

    @manifest_hash.setter
    def manifest_hash(self, value: Any) -> None:
        self.__dict__["_manifest_hash"] = value

    def file_info_for(self, name: str) -> dict[str, str]:
        """Names the manifest hashed get :data:`HASHED_CACHE_CONTROL` unless ``cache_control``
        is set: their content never changes under that name, so browsers may keep them."""
        info = super().file_info_for(name)
        if self.config.cache_control is None and _HASHED_NAME.search(name):
            info.setdefault("b2-cache-control", HASHED_CACHE_CONTROL)
        return info

    def load_manifest(self) -> Any:
        if self.__dict__.get("_constructing"):
            return _NOT_LOADED, _NOT_LOADED
        return super().load_manifest()

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with self.holding_deletes():
            yield from super().post_process(*args, **kwargs)


def _parents(key: str) -> list[str]:
    """``"a/b/c.css"`` -> ``["a", "a/b"]``."""
    parts = key.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _is_root(name: str) -> bool:
    return name.replace("\\", "/").strip("/") in ("", ".")


def _spool(content: Any, max_size: int) -> tuple[Any, int, str]:
    """Copy ``content`` into a spooled temporary file (memory up to ``max_size``, then disk).

    Returns the file, its length and the SHA-1 of its content.
    """
    digest = hashlib.sha1()
    # Closed by the upload worker once the upload is done.
    spool = tempfile.SpooledTemporaryFile(max_size=max_size, mode="w+b")  # noqa: SIM115
    try:
        chunks = (
            content.chunks()
            if isinstance(content, File)
            else iter(lambda: content.read(65536), b"")
        )
        for chunk in chunks:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            digest.update(data)
            spool.write(data)
        length = spool.tell()
        spool.seek(0, io.SEEK_SET)
    except BaseException:
        spool.close()
        raise
    return spool, length, digest.hexdigest()


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``; on Python 3.10 the same ``__notes__`` list (PEP 678), unprinted."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined,unused-ignore]
