"""Storages for ``collectstatic``: ``B2StaticStorage`` and ``B2ManifestStaticStorage``.

Deploys with no gap and no needless request:

* **Parallel**: each saved file is copied into a spooled temporary file and uploaded by an
  :class:`~django_b2.upload_pool.UploadPool` of ``max_workers`` threads while collectstatic
  moves on (at most ``2 * max_workers`` uploads wait, so memory is bounded). Everything queued
  is flushed at the end of ``post_process`` (which collectstatic always calls) and before a read
  of a name still being written; call :meth:`B2StaticStorage.flush` yourself when you use
  ``save()`` outside collectstatic. A failure is raised by the next ``save()`` or ``flush()``.
* **One listing**: ``exists()``, ``get_modified_time()`` and ``listdir()`` are answered from a
  :class:`~django_b2.listing_cache.ListingCache` of the storage's ``location`` (one request per
  10,000 files), kept current by this storage's own writes and deletes and taken again after
  ``listing_ttl`` seconds.
* **Unchanged content is not sent**: a save whose SHA-1, content type and file info equal what
  B2 holds for the name (the listing carries the SHA-1: ``contentSha1``, or ``large_file_sha1``
  for large files, which these storages always record) makes no request.
* **No gap**: collectstatic and the manifest storage delete a name and then save it again. A
  ``delete()`` is therefore held back: a save of the same name that follows becomes one
  overwrite (upload first, then the superseded versions are removed as ``delete_policy`` says),
  or nothing at all when the content is unchanged. A published name always has a version. Held
  deletes not followed by a save are sent by ``flush()`` (so at the end of ``post_process``), by
  ``close()``, and at interpreter exit; a held name reads as missing meanwhile.
* **Manifest last**: ``B2ManifestStaticStorage`` waits for every other upload before it writes
  ``staticfiles.json``, so the manifest never names a file that is not there yet (and is not
  written at all when an upload failed).

Static storages default to ``public=True`` (plain URLs; CSS rewritten by the manifest storage
refers to files by path, which signed URLs would break) and ``file_overwrite=True``. They read
``B2_STATIC_<NAME>`` settings before ``B2_<NAME>``.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.base import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from django_b2.client.errors import B2NotFound

from .files import B2File
from .listing_cache import ListedFile, ListingCache
from .storage import LISTING_PAGE_SIZE, B2Storage, datetime_from_millis
from .upload_pool import UploadPool

__all__ = ["HASHED_CACHE_CONTROL", "LISTING_TTL", "B2ManifestStaticStorage", "B2StaticStorage"]

#: Seconds the listing behind ``exists()`` is trusted before it is taken again.
LISTING_TTL: Final = 300.0
#: ``Cache-Control`` of files whose names carry the manifest's content hash (one year).
HASHED_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
#: ``name.<12 hex digits of MD5>[.ext]``, the names ``ManifestFilesMixin.hashed_name`` makes.
_HASHED_NAME: Final = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")
_RUN_STATE: Final = ("_pool", "_listing", "_held", "_held_lock", "_exit_hook")


@deconstructible(path="django_b2.static.B2StaticStorage")
class B2StaticStorage(B2Storage):
    """Static files on B2: parallel uploads, one listing, no gap. See the module docstring."""

    static_defaults = True
    listing_ttl: float = LISTING_TTL

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._init_run_state()

    def _init_run_state(self) -> None:
        self._pool = UploadPool(self.config.max_workers)
        self._listing = ListingCache(self._list_location, self.listing_ttl)
        self._held: set[str] = set()  # B2 keys deleted by the caller, delete not sent yet
        self._held_lock = threading.Lock()
        self._exit_hook = False

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for attribute in _RUN_STATE:
            state.pop(attribute, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_run_state()

    def _list_location(self) -> Iterable[Mapping[str, Any]]:
        prefix = self.name_prefix
        return self.client.iter_file_names(
            self.bucket_id, prefix=prefix, page_size=LISTING_PAGE_SIZE
        )

    def _lookup(self, key: str) -> ListedFile | None:
        """What the location holds under ``key`` (listing it first if needed)."""
        return self._listing.lookup(key, before_listing=self._pool.flush)

    def _is_held(self, key: str) -> bool:
        with self._held_lock:
            return key in self._held

    # -- writes ------------------------------------------------------------------------------

    def _save(self, name: str, content: File[Any]) -> str:
        key = self.b2_name(name)
        spool, length, sha1 = _spool(content, self.config.spool_max_size)
        content_type = self.guess_content_type(name, content)
        file_info = self.file_info_for(name)
        with self._held_lock:
            held = key in self._held
            self._held.discard(key)
        listed = self._listing.get(key)
        if listed is not None and listed.same_as(sha1, content_type, file_info):
            # B2 holds these bytes with this metadata (or will once a queued upload is done):
            # nothing to send, and a held delete of the name is simply dropped.
            spool.close()
            return name
        known = self._listing.is_fresh()
        # A held delete of a name that has (or may have) versions: remove them after the upload.
        supersede = held and (listed is not None or not known)

        def upload() -> None:
            try:
                result = self.upload(name, key, spool, content_length=length, sha1=sha1)
            finally:
                spool.close()
            if supersede:
                self._drop_older_versions(key, str(result["fileId"]))

        written = ListedFile(
            size=length,
            sha1=sha1,
            content_type=content_type,
            file_info=file_info,
            modified_millis=int(time.time() * 1000),
        )
        self._listing.put(key, written)
        try:
            self._pool.submit(
                key,
                upload,
                new_name=known and listed is None and not held,
                on_failure=lambda: self._listing.drop(key),
                on_cancel=spool.close,
            )
        except BaseException:
            spool.close()
            self._listing.drop(key)
            raise
        return name

    def _drop_older_versions(self, key: str, file_id: str) -> None:
        """After an overwrite that replaces a deleted file: what that delete would have removed
        (every older version, or the previous one, as ``delete_policy`` says; none for hide)."""
        policy = self.config.delete_policy
        if policy == "hide":
            return
        older = False
        for version in list(self._versions(key)):
            if not older:
                older = str(version["fileId"]) == file_id
                continue
            try:
                self.client.delete_file_version(key, str(version["fileId"]))
            except B2NotFound:
                continue  # deleted concurrently
            if policy == "delete_newest" and version.get("action") == "upload":
                return

    def delete(self, name: str) -> None:
        """Delete ``name``: held back until a save of the name, a read, ``flush()`` or exit
        (see the module docstring); a queued upload of a new name is simply dropped."""
        key = self.b2_name(name)
        self._forget(key)
        if self._pool.cancel_new_upload(key):
            self._listing.drop(key)
            return
        if self._listing.is_fresh() and self._listing.get(key) is None and not self._is_held(key):
            return  # nothing stored under the name: nothing to delete
        with self._held_lock:
            self._held.add(key)
            if not self._exit_hook:
                atexit.register(_send_held_at_exit, weakref.ref(self))
                self._exit_hook = True

    def _send_held(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._listing.drop(key)

            def remove(key: str = key) -> None:
                try:
                    self._delete_key(key)
                finally:
                    self._forget(key)

            self._pool.submit(key, remove)

    def _take_held(self, key: str | None = None) -> list[str]:
        with self._held_lock:
            if key is None:
                keys, self._held = sorted(self._held), set()
            elif key in self._held:
                self._held.discard(key)
                keys = [key]
            else:
                keys = []
        return keys

    def send_held_now(self) -> None:
        """Send the held deletes from this thread (used at interpreter exit)."""
        for key in self._take_held():
            self._delete_key(key)
            self._forget(key)
            self._listing.drop(key)

    def flush(self) -> None:
        """Send held deletes, wait for every queued operation, raise the first failure."""
        self._send_held(self._take_held())
        self._pool.flush()

    def close(self) -> None:
        """Flush and stop the upload threads."""
        self._send_held(self._take_held())
        self._pool.close()

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """collectstatic calls this after the last save: send and wait for everything."""
        self.flush()
        yield from ()

    # -- reads see what was written ----------------------------------------------------------

    def exists(self, name: str) -> bool:
        """Whether a file, or a "directory" (used by ``collectstatic --clear``), exists."""
        if _is_root(name):
            return True
        key = self.b2_name(name)
        if self._is_held(key):
            return False
        return self._lookup(key) is not None or self._listing.is_dir(key)

    def get_modified_time(self, name: str) -> datetime:
        key = self.b2_name(name)
        if self._is_held(key):
            raise self.missing(name)
        listed = self._lookup(key)
        if listed is None:
            return super().get_modified_time(name)
        return datetime_from_millis(listed.modified_millis)

    def file_info(self, name: str) -> dict[str, Any]:
        key = self.b2_name(name)
        if self._is_held(key):
            raise self.missing(name)
        self._pool.wait(key)
        return super().file_info(name)

    def _open(self, name: str, mode: str = "rb") -> B2File:
        key = self.b2_name(name)
        if self._is_held(key):
            if "r" in mode:
                raise self.missing(name)
            self._send_held(self._take_held(key))  # a write-mode file uploads on close
        self._pool.wait(key)
        return super()._open(name, mode)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """From the listing, as this storage's writes and held deletes leave it."""
        prefix = self._dir_prefix(path)
        files = self._listing.snapshot(before_listing=self._pool.flush)
        with self._held_lock:
            held = set(self._held)
        directories: set[str] = set()
        names: list[str] = []
        for key in files:
            if not key.startswith(prefix) or key in held:
                continue
            rest = key[len(prefix) :]
            if "/" in rest:
                directories.add(rest.split("/", 1)[0])
            elif rest:
                names.append(rest)
        return sorted(directories), sorted(names)


class _LazyManifest:
    """Marker: the manifest has not been read yet."""


_NOT_LOADED: Final = _LazyManifest()


@deconstructible(path="django_b2.static.B2ManifestStaticStorage")
class B2ManifestStaticStorage(ManifestFilesMixin, B2StaticStorage):  # type: ignore[misc]
    """``ManifestStaticFilesStorage`` on B2: hashed names, parallel uploads, lazy manifest.

    Django's manifest storage reads ``staticfiles.json`` in ``__init__``; this one reads it on
    first use, so building the storage (``check``, ``migrate``, imports) makes no request. During
    ``post_process`` the files it hashes are read from collectstatic's sources, never downloaded
    back from B2, and the manifest is written after every other file is stored.
    """

    def __init__(self, **options: Any) -> None:
        self._constructing = True
        self._sources: Mapping[str, tuple[Storage, str]] = {}
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

    def post_process(
        self, paths: Mapping[str, tuple[Storage, str]], *args: Any, **kwargs: Any
    ) -> Iterator[Any]:
        self._sources = paths
        try:
            yield from super().post_process(paths, *args, **kwargs)
        finally:
            self._sources = {}
        self.flush()

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        """Django reads a file back from the storage to hash it when a CSS file refers to it
        before its own turn; during ``post_process`` read collectstatic's source instead."""
        if content is None and self._sources:
            path = urlsplit(unquote(filename or name)).path.strip()
            source = self._sources.get(path)
            if source is not None:
                storage, source_path = source
                with storage.open(source_path) as local:
                    return str(super().hashed_name(name, local, filename))
        return str(super().hashed_name(name, content, filename))

    def save_manifest(self) -> None:
        """Write ``staticfiles.json`` once every file it names is stored."""
        self.flush()
        super().save_manifest()
        self.flush()


def _send_held_at_exit(ref: weakref.ref[B2StaticStorage]) -> None:
    storage = ref()
    if storage is not None:
        storage.send_held_now()


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
