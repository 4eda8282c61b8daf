"""``B2Storage``: a Django storage on Backblaze B2's native API.

Nothing here talks to B2 at import, at construction, during ``migrate`` or ``check``: the
:class:`~django_b2.client.B2Client` is built on first use and the bucket id is looked up once.

Error mapping: ``B2NotFound`` becomes :class:`FileNotFoundError` (``False`` in :meth:`exists`,
success in :meth:`delete`); every other B2 failure propagates as a ``B2Error``.

Delete policy (``delete_policy`` option):

* ``"delete_all"`` (default) deletes every version of the name, hide markers included, so the
  bytes are gone and no storage is billed afterwards;
* ``"delete_newest"`` deletes only the newest version, so an older one (if any) becomes current;
* ``"hide"`` adds a hide marker: the name disappears but every version stays (for buckets with
  lifecycle rules or Object Lock, or when deletes must be undoable).

A missing file is never an error for :meth:`delete`.

A bucket that does not exist (a misspelt ``bucket_name``) raises the same
:class:`~django_b2.conf.B2ConfigurationError` from every call, reads included: B2 answers 404 for
a missing bucket as for a missing file, so a 404 is checked against the bucket once.

``exists()``, ``size()``, ``get_modified_time()`` and ``get_created_time()`` of one name share one
HEAD request (see :mod:`django_b2.head_memo`): its answer is remembered for at most a second and
forgotten as soon as this storage writes or deletes the name.

Saving without ``file_overwrite`` (the default) is safe against concurrent saves of one name: see
:meth:`B2Storage.save` and ``docs/storage-behaviour.md``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import mimetypes
import posixpath
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, Final

from django.core.cache import BaseCache, caches
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.core.files.storage import Storage
from django.core.files.utils import validate_file_name as django_validate_file_name
from django.utils.deconstruct import deconstructible

from django_b2 import conf
from django_b2.cache import DjangoCacheAuthStore, cache_lock
from django_b2.client import B2Client, RetryPolicy, download_url_by_name
from django_b2.client._limits import MAX_COPY_SIZE
from django_b2.client._streams import length_from, rereadable, seek_position
from django_b2.client._validation import validate_file_name
from django_b2.client.errors import B2BadRequest, B2NotFound, B2ValidationError
from django_b2.signed_urls import signed_url

from .files import B2File
from .head_memo import HeadMemo
from .unique_names import lost_race, quote_name, shortened_name

__all__ = [
    "BUCKET_ID_CACHE_PREFIX",
    "LISTING_PAGE_SIZE",
    "B2Storage",
    "datetime_from_millis",
]

BUCKET_ID_CACHE_PREFIX: Final = "django_b2:bucket:v1:"
_BUCKET_ID_TTL: Final = 3600
#: (connect, read) seconds for the storage's requests: a web worker should not wait long for a
#: host that does not answer (the client alone waits (10, 120)).
WEB_TIMEOUT: Final = (5.0, 60.0)
_LOOKUP_LOCK_WAIT: Final = 10.0
_LOOKUP_LOCK_TIMEOUT: Final = 60
_ENCODING_TYPES: Final[Mapping[str, str]] = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}
_SECRET_OPTIONS: Final = ("application_key",)
#: Names per listing call (B2's largest page; a listing is one class C transaction per call).
LISTING_PAGE_SIZE: Final = 10_000
#: Versions asked for in one listing when a save checks for concurrent saves of its name.
_RACE_PAGE_SIZE: Final = 100
#: Times a save that lost a race moves on to another name before giving up.
_MAX_MOVES: Final = 8


@deconstructible(path="django_b2.storage.B2Storage")
class B2Storage(Storage):
    """Files on a B2 bucket.

    Options: see :mod:`django_b2.conf` and the README section "The Django storage".
    """

    #: Static storages resolve ``B2_STATIC_<NAME>`` first and default to public, overwriting.
    static_defaults: bool = False

    def __init__(self, **options: Any) -> None:
        # @deconstructible recorded the arguments for migrations: keep the key out of them.
        self._constructor_args = (
            (),
            {k: v for k, v in options.items() if k not in _SECRET_OPTIONS},
        )
        if "application_key" not in options and options.get("application_key_id"):
            # Rebuilt from deconstruct() (which leaves the key out), as Wagtail does to delete
            # files in a task: take the key configured for this key id, as unpickling does.
            with contextlib.suppress(conf.B2ConfigurationError):
                key = conf.find_application_key(
                    options["application_key_id"], static=self.static_defaults
                )
                options = {**options, "application_key": key}
        self.config: conf.B2Config = conf.load_config(options, static=self.static_defaults)
        self._lock = threading.RLock()
        self._client: B2Client | None = None
        self._bucket_id: str | None = self.config.bucket_id
        self._heads = HeadMemo()

    # -- migrations / pickling -------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # A pickle may end up in a cache, a queue or a file: it never carries the key, which
        # is looked up again in the settings when the pickle is loaded.
        state = self.__dict__.copy()
        state["_lock"] = None
        state["_client"] = None
        state["_heads"] = HeadMemo()
        state["config"] = dataclasses.replace(self.config, application_key="")
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        if not self.config.application_key:
            key = conf.find_application_key(
                self.config.application_key_id, static=self.static_defaults
            )
            self.config = dataclasses.replace(self.config, application_key=key)

    def __deepcopy__(self, memo: dict[int, Any]) -> B2Storage:
        # An in-memory copy: the same (frozen) config, key included; a client of its own.
        state = copy.deepcopy(self.__getstate__(), memo)
        state["config"] = self.config
        clone = type(self).__new__(type(self))
        clone.__setstate__(state)
        return clone

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bucket_name={self.config.bucket_name!r}, "
            f"location={self.config.location!r})"
        )

    # -- lazily built parts ------------------------------------------------------------------

    @property
    def bucket_name(self) -> str:
        return self.config.bucket_name

    @property
    def location(self) -> str:
        return self.config.location

    @property
    def cache(self) -> BaseCache:
        """The Django cache shared by workers (authorization, bucket id, download tokens)."""
        return caches[self.config.auth_cache]

    @property
    def client(self) -> B2Client:
        """The :class:`B2Client`, built on first use (no request is made here)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
                client = self._client
        return client

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`B2Client` besides the credentials.

        Override in a subclass to pass what settings cannot hold, e.g. a ``RetryPolicy``, a
        ``requests.Session`` or ``proxies``.
        """
        cfg = self.config
        return {
            "api_url": cfg.api_url,
            "auth_store": DjangoCacheAuthStore(cfg.auth_cache),
            "http_options": dict(cfg.http_options) if cfg.http_options else None,
            "test_mode": cfg.test_mode,
            "retry": RetryPolicy.for_web_requests(**(cfg.retry or {})),
            "timeout": WEB_TIMEOUT,
        }

    def command_client(self) -> B2Client:
        """A new client for management commands: like :attr:`client`, but with the client's own
        looser retry policy and timeouts (the ``retry`` option's fields still apply), unless a
        subclass's :meth:`client_kwargs` chose others. A command is not a web request: it may
        wait out a long ``Retry-After`` rather than fail."""
        from django_b2.client import B2Client

        cfg = self.config
        kwargs = self.client_kwargs()
        if kwargs.get("retry") == RetryPolicy.for_web_requests(**(cfg.retry or {})):
            kwargs["retry"] = RetryPolicy(**(cfg.retry or {}))
        if kwargs.get("timeout") == WEB_TIMEOUT:
            del kwargs["timeout"]
        return B2Client(cfg.application_key_id, cfg.application_key, **kwargs)

    def _build_client(self) -> B2Client:
        cfg = self.config
        return B2Client(cfg.application_key_id, cfg.application_key, **self.client_kwargs())

    @property
    def bucket_id(self) -> str:
        """The bucket's id: from OPTIONS, the key's restriction, the shared cache or one lookup."""
        if self._bucket_id is None:
            with self._lock:
                if self._bucket_id is None:
                    self._bucket_id = self._lookup_bucket_id()
        return self._bucket_id

    def _lookup_bucket_id(self) -> str:
        cfg = self.config
        auth = self.client.authorization
        if auth.bucket_id and auth.bucket_name == cfg.bucket_name:
            return str(auth.bucket_id)
        material = f"{auth.account_id}\0{cfg.bucket_name}".encode()
        digest = hashlib.sha256(material).hexdigest()
        cache_key = BUCKET_ID_CACHE_PREFIX + digest
        cached = self.cache.get(cache_key)
        if isinstance(cached, str):
            return cached
        # One worker looks it up while the others wait and then read what it stored (after
        # _LOOKUP_LOCK_WAIT seconds they look it up themselves).
        with cache_lock(
            self.cache,
            BUCKET_ID_CACHE_PREFIX + "lock:" + digest,
            timeout=_LOOKUP_LOCK_TIMEOUT,
            wait=_LOOKUP_LOCK_WAIT,
        ):
            cached = self.cache.get(cache_key)
            if isinstance(cached, str):
                return cached
            return self._fetch_bucket_id(cache_key)

    def _fetch_bucket_id(self, cache_key: str) -> str:
        cfg = self.config
        try:
            bucket = self.client.get_bucket(bucket_name=cfg.bucket_name)
        except B2NotFound as exc:
            raise conf.B2ConfigurationError(
                f"B2 has no bucket {cfg.bucket_name!r} visible to application key "
                f"{cfg.application_key_id!r}. Create it (manage.py b2_buckets create) or fix "
                "OPTIONS['bucket_name'] or B2_BUCKET_NAME.",
                check_id="django_b2.E002",
            ) from exc
        bucket_id = str(bucket["bucketId"])
        self.cache.set(cache_key, bucket_id, timeout=_BUCKET_ID_TTL)
        return bucket_id

    @property
    def download_url(self) -> str:
        return str(self.client.authorization.download_url)

    # -- names -------------------------------------------------------------------------------

    def normalize_name(self, name: str) -> str:
        """Normalize a storage name (``/`` separators) and reject traversal or illegal names."""
        if not isinstance(name, str):
            raise TypeError(f"File names must be str, not {type(name).__name__}.")
        cleaned = name.replace("\\", "/")
        if cleaned.startswith("/"):
            raise SuspiciousFileOperation(
                f"Absolute file name {quote_name(name)} is not allowed; give a name relative "
                "to the storage's location, e.g. 'uploads/photo.jpg'."
            )
        parts = [part for part in cleaned.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise SuspiciousFileOperation(
                f"File name {quote_name(name)} contains '..'; give a name without path traversal."
            )
        cleaned = "/".join(parts)
        if not cleaned:
            raise SuspiciousFileOperation(f"File name {name!r} is empty; give a file name.")
        return cleaned

    def b2_name(self, name: str) -> str:
        """The B2 file name for storage name ``name`` (``location`` prefixed), validated."""
        cleaned = self.normalize_name(name)
        full = f"{self.location}/{cleaned}" if self.location else cleaned
        try:
            validate_file_name(full)
        except B2ValidationError as exc:
            raise ValueError(f"Invalid file name {quote_name(name)}: {exc}") from exc
        return full

    def _dir_prefix(self, path: str) -> str:
        stripped = path.replace("\\", "/").strip("/")
        if not stripped or stripped == ".":
            return f"{self.location}/" if self.location else ""
        return self.b2_name(stripped) + "/"

    # -- upload metadata ---------------------------------------------------------------------

    def guess_content_type(self, name: str, content: Any = None) -> str:
        content_type, encoding = mimetypes.guess_type(posixpath.basename(name))
        if encoding:
            return _ENCODING_TYPES.get(encoding, "application/octet-stream")
        if content_type:
            return content_type
        declared = getattr(content, "content_type", None)
        if isinstance(declared, str) and "/" in declared:
            return declared
        return "application/octet-stream"

    def file_info_for(self, name: str) -> dict[str, str]:
        """The ``fileInfo`` stored with ``name``: ``file_info`` + cache-control + disposition."""
        cfg = self.config
        info: dict[str, str] = {}
        raw = cfg.file_info(name) if callable(cfg.file_info) else cfg.file_info
        if raw:
            info.update(raw)
        for option, key in (
            (cfg.cache_control, "b2-cache-control"),
            (cfg.content_disposition, "b2-content-disposition"),
        ):
            value = option(name) if callable(option) else option
            if value:
                info[key] = value
        return info

    # -- Storage API -------------------------------------------------------------------------

    def _open(self, name: str, mode: str = "rb") -> B2File:
        key = self.b2_name(name)
        b2file = B2File(name, mode, self, key)
        if b2file.readable_mode:
            b2file.prefetch()  # FileNotFoundError now, not at the first read
        return b2file

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        """Save ``content`` and return the name it was stored under.

        With ``file_overwrite`` this is Django's ``Storage.save``. Without it (the default), the
        name is not looked up first: the content is uploaded, then one listing of the name's
        versions shows whether another save of the same name ran at the same time (or the name
        was taken). A save that finds an earlier version than its own moves its bytes to a free
        name by a server-side copy and removes its version from the contested name, so every
        caller ends up with its own name and its own bytes (see ``docs/storage-behaviour.md``
        for the moment in which a reader may see the other version).
        """
        if self.config.file_overwrite:
            return str(super().save(name, content, max_length=max_length))
        if name is None:
            name = content.name
        if not hasattr(content, "chunks"):
            content = File(content, name)
        django_validate_file_name(name, allow_relative_path=True)
        if self._memo_says_exists(name):
            name = self.get_available_name(name, max_length)
        else:
            name = self._fitting_name(name, max_length)
        django_validate_file_name(name, allow_relative_path=True)
        name = self._save_unique(name, content, max_length)
        django_validate_file_name(name, allow_relative_path=True)
        return name

    def _save(self, name: str, content: File[Any]) -> str:
        if not self.config.file_overwrite:
            return self._save_unique(name, content, None)
        key = self.b2_name(name)
        self._write(name, key, content)
        return name

    def _write(self, name: str, key: str, content: Any) -> dict[str, Any]:
        """Store ``content`` under ``key`` (server-side copy of a B2 file, else upload)."""
        self._forget(key)
        try:
            copied = self._copy_from_b2(name, key, content)
            return copied if copied is not None else self.upload(name, key, content)
        finally:
            self._forget(key)

    def _save_unique(self, name: str, content: Any, max_length: int | None) -> str:
        """Upload under ``name``, then settle a race for it (see :meth:`save`)."""
        key = self.b2_name(name)
        version = self._write(name, key, content)
        for _ in range(_MAX_MOVES):
            if not lost_race(self._versions(key, page_size=_RACE_PAGE_SIZE), version):
                return name
            name, key, version = self._move(name, key, version, content, max_length)
        raise conf.B2ConfigurationError(
            f"Could not find a free name for {quote_name(name)} after {_MAX_MOVES} attempts: "
            "other saves took every name tried. Retry the save."
        )

    def _move(
        self, name: str, key: str, version: Mapping[str, Any], content: Any, max_length: int | None
    ) -> tuple[str, str, dict[str, Any]]:
        """Put the bytes of ``version`` under a free name, then take it off ``key``."""
        new_name = self.get_available_name(name, max_length)
        new_key = self.b2_name(new_name)
        self._forget(new_key)
        file_id = str(version["fileId"])
        try:
            if int(version.get("contentLength") or 0) <= MAX_COPY_SIZE:
                moved = dict(self.client.copy_file(file_id, new_key))
            else:  # b2_copy_file stops at 5 GB: send the bytes again
                _rewind(content)
                moved = self.upload(new_name, new_key, content)
        finally:
            # The contested name goes back to the winner even if the copy failed.
            with contextlib.suppress(B2NotFound):
                self.client.delete_file_version(key, file_id)
            self._forget(key)
            self._forget(new_key)
        return new_name, new_key, moved

    def _copy_from_b2(self, name: str, key: str, content: Any) -> dict[str, Any] | None:
        """Save a file opened from a B2 storage of the same account by a server-side copy.

        One ``b2_copy_file`` instead of downloading and uploading the bytes (files up to 5 GB;
        the copy gets this storage's content type and file info). ``None`` when not possible.
        """
        source = _find_b2_file(content)
        version = source.version() if source is not None else None
        if version is None:
            return None
        source_storage, file_id, size = version
        same_account = (
            source_storage.config.api_url,
            source_storage.config.application_key_id,
        ) == (
            self.config.api_url,
            self.config.application_key_id,
        )
        if not same_account or size > MAX_COPY_SIZE:
            return None
        return dict(
            self.client.copy_file(
                file_id,
                key,
                destination_bucket_id=self.bucket_id,
                metadata_directive="REPLACE",
                content_type=self.guess_content_type(name, content),
                file_info=self.file_info_for(name),
            )
        )

    def upload(
        self,
        name: str,
        key: str,
        content: Any,
        *,
        content_length: int | None = None,
        sha1: str | None = None,
    ) -> dict[str, Any]:
        """Stream ``content`` (a Django File or binary file object) to B2 under ``key``.

        ``sha1``: the content's SHA-1 (hex) when the caller knows it; a large file records it as
        ``large_file_sha1``.
        """
        source, length = _upload_source(content)
        if content_length is not None:
            length = content_length
        cfg = self.config
        self._forget(key)
        try:
            return self.client.upload(
                self.bucket_id,
                key,
                source,
                content_type=self.guess_content_type(name, content),
                file_info=self.file_info_for(name) or None,
                content_length=length,
                large_file_threshold=cfg.large_file_threshold,
                part_size=cfg.part_size,
                max_workers=cfg.max_workers,
                large_file_sha1=sha1 or self._large_file_sha1(source),
            )
        finally:
            self._forget(key)

    def _large_file_sha1(self, source: Any) -> bool | None:
        # A whole-file SHA-1 costs one more read of the file: only when asked and possible.
        return True if self.config.large_file_sha1 and rereadable(source) else None

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """A name for new content, as Django's storages pick it.

        While the name is not available, try ``<root>_<7 random characters><extensions>``,
        cutting the file root so that the name fits ``max_length``; raise
        :class:`SuspiciousFileOperation` when nothing of the root is left (or, as Django does,
        for a ``..`` directory or an invalid file name). With ``file_overwrite`` every name of a
        fitting length is available.
        """

        def available(candidate: str) -> bool:
            return self.config.file_overwrite or not self.exists(candidate)

        return shortened_name(name, max_length, available, self.get_alternative_name)

    def _fitting_name(self, name: str, max_length: int | None) -> str:
        """``name``, or as :meth:`get_available_name` would shorten it, without looking it up."""
        return shortened_name(name, max_length, lambda _: True, self.get_alternative_name)

    def delete(self, name: str) -> None:
        key = self.b2_name(name)
        self._forget(key)
        try:
            self._delete_key(key)
        finally:
            self._forget(key)

    def _delete_key(self, key: str) -> None:
        policy = self.config.delete_policy
        client = self.client
        try:
            if policy == "hide":
                try:
                    client.hide_file(self.bucket_id, key)
                except B2BadRequest as exc:
                    if exc.code != "already_hidden":
                        raise
            elif policy == "delete_newest":
                info = client.get_file_info_by_name(self.bucket_name, key)
                client.delete_file_version(key, str(info["fileId"]))
            else:
                for version in list(self._versions(key)):
                    try:
                        client.delete_file_version(key, str(version["fileId"]))
                    except B2NotFound:
                        continue  # deleted concurrently
        except B2NotFound:
            return

    def _versions(self, key: str, page_size: int = 100) -> Iterator[Mapping[str, Any]]:
        """Every version (uploads, hide markers, unfinished large files) of exactly ``key``,
        newest first."""
        for version in self.client.iter_file_versions(
            self.bucket_id, prefix=key, page_size=page_size
        ):
            if version.get("fileName") != key:
                # Names are listed in order, and ``key`` sorts before every longer name.
                break
            yield version

    # -- one HEAD per name and second ------------------------------------------------------

    def _forget(self, key: str) -> None:
        """Drop what the HEAD memo knows of ``key`` (this storage writes or deletes it)."""
        self._heads.forget(key)

    def _memo_says_exists(self, name: str) -> bool:
        try:
            known, info = self._heads.get(self.b2_name(name))
        except (ValueError, SuspiciousFileOperation):
            return False
        return known and info is not None

    def missing(self, name: str, exc: BaseException | None = None) -> FileNotFoundError:
        """The error for a 404 on ``name``.

        B2 answers 404 for a missing bucket as for a missing file: the bucket is checked (once
        per storage: its id is remembered) and a missing one raises
        :class:`~django_b2.conf.B2ConfigurationError` here instead.
        """
        self.bucket_id  # noqa: B018 - raises B2ConfigurationError if the bucket does not exist
        error = FileNotFoundError(
            f"{quote_name(name)} does not exist in B2 bucket {self.bucket_name!r}"
        )
        if exc is not None:
            error.__cause__ = exc
        return error

    def file_info(self, name: str) -> dict[str, Any]:
        """B2's metadata of the current version of ``name`` (one HEAD request, remembered for
        at most :data:`~django_b2.head_memo.HEAD_MEMO_SECONDS`)."""
        key = self.b2_name(name)
        known, info = self._heads.get(key)
        if not known:
            try:
                info = dict(self.client.get_file_info_by_name(self.bucket_name, key))
            except B2NotFound as exc:
                missing = self.missing(name, exc)
                self._heads.put(key, None)
                raise missing from exc
            self._heads.put(key, info)
        if info is None:
            raise self.missing(name)
        return dict(info)

    def exists(self, name: str) -> bool:
        """Whether file ``name`` exists (one HEAD, shared with :meth:`size` and the times)."""
        if name.replace("\\", "/").strip("/") in ("", "."):
            return True
        try:
            self.file_info(name)
        except FileNotFoundError:
            return False
        return True

    def size(self, name: str) -> int:
        return int(self.file_info(name)["contentLength"])

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = self._dir_prefix(path)
        directories: list[str] = []
        files: list[str] = []
        entries = self.client.iter_file_names(
            self.bucket_id, prefix=prefix, delimiter="/", page_size=LISTING_PAGE_SIZE
        )
        for entry in entries:
            relative = str(entry["fileName"])[len(prefix) :]
            if entry.get("action") == "folder":
                if relative.rstrip("/"):
                    directories.append(relative.rstrip("/"))
            elif relative:
                files.append(relative)
        return directories, files

    def url(
        self,
        name: str | None,
        expire: int | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A URL for ``name``: plain for public storages, else signed (see :mod:`signed_urls`)."""
        if name is None:
            raise ValueError("url() needs a file name; this FieldFile has no file.")
        if self.config.public and expire is None and content_disposition is None:
            key = self.b2_name(name)
            base = self.config.custom_domain or self.download_url
            return download_url_by_name(base, self.bucket_name, key)
        return signed_url(self, name, expire=expire, content_disposition=content_disposition)

    def get_modified_time(self, name: str) -> datetime:
        """When the file was last modified: ``src_last_modified_millis`` if set, else upload."""
        info = self.file_info(name)
        millis = (info.get("fileInfo") or {}).get("src_last_modified_millis")
        if millis is None or not str(millis).isdigit():
            millis = info.get("uploadTimestamp")
        return datetime_from_millis(int(millis or 0))

    def get_created_time(self, name: str) -> datetime:
        """When the current version was uploaded (B2 versions are immutable)."""
        return datetime_from_millis(int(self.file_info(name).get("uploadTimestamp") or 0))

    def get_accessed_time(self, name: str) -> datetime:
        raise NotImplementedError(
            "B2 does not record access times; use get_modified_time() or get_created_time()."
        )

    def path(self, name: str) -> str:
        raise NotImplementedError(
            "Files on B2 have no local path; use storage.open(name) to read them."
        )


def _rewind(content: Any) -> None:
    seek = getattr(content, "seek", None)
    if not callable(seek):
        raise ValueError("The content cannot be read again to save it under another name.")
    seek(0)


def _find_b2_file(content: Any) -> B2File | None:
    """The :class:`B2File` behind ``content`` (a FieldFile, a File wrapping one, ...), if any."""
    for _ in range(4):
        if isinstance(content, B2File):
            return content
        content = getattr(content, "file", None)
        if content is None:
            return None
    return None


def datetime_from_millis(millis: int) -> datetime:
    """B2's milliseconds since the epoch as Django wants them (aware UTC when ``USE_TZ``)."""
    moment = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    if conf.use_tz():
        return moment
    return moment.astimezone().replace(tzinfo=None)


def _upload_source(content: Any) -> tuple[Any, int | None]:
    """What to hand to ``client.upload``: the file object itself (streamed) and its length."""
    seekable = seek_position(content) is not None
    if seekable:
        content.seek(0)
    probe = content.read(0)
    if isinstance(probe, str):
        # Text content (e.g. ContentFile("...")) is in memory already; upload it as UTF-8.
        data = content.read().encode("utf-8")
        return data, len(data)
    length: int | None = None
    if seekable:
        try:
            length = int(content.size) if hasattr(content, "size") else None
        except (AttributeError, OSError, TypeError, ValueError):
            length = None
        if length is None:
            length = length_from(content, content.tell())
        return content, length
    return content, _size_or_none(content)


def _size_or_none(content: Any) -> int | None:
    try:
        size = getattr(content, "size", None)
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    return int(size) if isinstance(size, int) else None
