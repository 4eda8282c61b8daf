"""Where a migration reads files from: a directory, any Django storage, or a B2 storage.

Each source lists its files (streamed, never all held at once), looks one up by name, and turns
one into a :class:`Payload`: the bytes to send (in memory when small, else a local file) with their
SHA-1, computed on the single read that also prepares them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.files.storage import Storage

from django_b2.client import B2NotFound, expected_sha1

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = [
    "B2Source",
    "DirectorySource",
    "Payload",
    "Source",
    "SourceFile",
    "StorageSource",
    "describe",
]

#: Files up to this size are read into memory (one read, no temporary file).
IN_MEMORY_LIMIT = 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file to migrate, as listed by its source (nothing read yet)."""

    name: str
    size: int
    #: Changes whenever the file changes ("" when the source cannot tell: never trusted).
    stamp: str
    #: The SHA-1 when the source knows it without reading (B2 listings).
    sha1: str | None = None
    modified_ms: int | None = None
    #: The B2 listing entry (file id, content type, file info) of a B2 source.
    b2: dict[str, Any] | None = None


@dataclass
class Payload:
    """The bytes of one source file, ready to upload: ``data`` or a local ``path``."""

    sha1: str
    size: int
    data: bytes | None = None
    path: str | None = None
    #: Whether the file at ``path`` is still the one that was hashed.
    unchanged: Callable[[], bool] = lambda: True
    cleanup: Callable[[], None] = lambda: None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> bytes | str:
        return self.data if self.data is not None else str(self.path)


def _hash_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha1()
    size = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
            size += count
    return digest.hexdigest(), size


def _stamp(stat: os.stat_result) -> str:
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def local_payload(path: str) -> Payload:
    """A file on disk: read into memory when small, else hashed and sent from its path."""
    before = os.stat(path)
    if before.st_size <= IN_MEMORY_LIMIT:
        data = Path(path).read_bytes()
        return Payload(hashlib.sha1(data).hexdigest(), len(data), data=data)
    sha1, size = _hash_file(path)

    def unchanged() -> bool:
        try:
            return _stamp(os.stat(path)) == _stamp(before)
        except OSError:
            return False

    return Payload(sha1, size, path=path, unchanged=unchanged)


def spooled_payload(read: Callable[[IO[bytes]], None], temp_dir: str | None) -> Payload:
    """Bytes written by ``read(out)``, hashed as they come; kept in memory up to
    :data:`IN_MEMORY_LIMIT`, else in a temporary file removed by ``cleanup``."""
    digest = hashlib.sha1()

    class _Sink:
        def __init__(self) -> None:
            self.size = 0
            self.memory: bytearray | None = bytearray()
            self.file: IO[bytes] | None = None
            self.path: str | None = None

        def write(self, data: bytes) -> int:
            digest.update(data)
            self.size += len(data)
            if self.memory is not None and self.size <= IN_MEMORY_LIMIT:
                self.memory += data
                return len(data)
            if self.file is None:
                handle, self.path = tempfile.mkstemp(prefix="django_b2-migrate-", dir=temp_dir)
                self.file = os.fdopen(handle, "wb")
                if self.memory:
                    self.file.write(self.memory)
                self.memory = None
            self.file.write(data)
            return len(data)

    sink = _Sink()
    try:
        read(sink)  # type: ignore[arg-type]
    finally:
        if sink.file is not None:
            sink.file.close()
    if sink.path is None:
        return Payload(digest.hexdigest(), sink.size, data=bytes(sink.memory or b""))
    path = sink.path

    def cleanup() -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    return Payload(digest.hexdigest(), sink.size, path=path, cleanup=cleanup)


class Source:
    """A place to migrate from."""

    #: Identifies the source in the journal and in messages.
    description: str

    def files(self) -> Iterator[SourceFile]:
        raise NotImplementedError

    def lookup(self, name: str) -> SourceFile | None:
        """``name`` (a storage name, as model fields hold it), or ``None`` when absent."""
        raise NotImplementedError

    def payload(self, item: SourceFile) -> Payload:
        raise NotImplementedError


def _sort_key(name: str, is_dir: bool) -> bytes:
    # A directory sorts as "name/": the walk then yields full paths in UTF-8 byte order.
    return (name + "/" if is_dir else name).encode("utf-8", "surrogateescape")


class DirectorySource(Source):
    """The files under a local directory (symbolic links to files followed, to folders not)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"{root} is not a directory; give the folder to migrate from.")
        self.description = f"dir:{self.root}"

    def _item(self, name: str, stat: os.stat_result) -> SourceFile:
        return SourceFile(
            name=name,
            size=stat.st_size,
            stamp=_stamp(stat),
            modified_ms=stat.st_mtime_ns // 1_000_000,
        )

    def files(self) -> Iterator[SourceFile]:
        """Every file, in UTF-8 byte order of the names; one directory listed at a time."""
        return self._walk("", self.root)

    def _walk(self, prefix: str, folder: Path) -> Iterator[SourceFile]:
        with os.scandir(folder) as scan:
            entries = [(entry, entry.is_dir(follow_symlinks=False)) for entry in scan]
        entries.sort(key=lambda pair: _sort_key(pair[0].name, pair[1]))
        for entry, is_dir in entries:
            if is_dir:
                yield from self._walk(prefix + entry.name + "/", Path(entry.path))
            elif entry.is_file():
                yield self._item(prefix + entry.name, entry.stat())

    def lookup(self, name: str) -> SourceFile | None:
        path = self.root / name
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        return self._item(name, stat) if path.is_file() else None

    def payload(self, item: SourceFile) -> Payload:
        return local_payload(str(self.root / item.name))


class StorageSource(Source):
    """Any Django storage (FileSystemStorage, django-storages' S3, ...), walked with listdir."""

    def __init__(self, storage: Storage, alias: str, temp_dir: str | None = None) -> None:
        self.storage = storage
        self.description = f"storage:{alias}"
        self.temp_dir = temp_dir

    def _local_path(self, name: str) -> str | None:
        """The file's path on this machine, when the storage keeps it on disk."""
        try:
            path = str(self.storage.path(name))
        except NotImplementedError:
            return None
        # Some storages answer path() without keeping files there (InMemoryStorage).
        return path if os.path.isfile(path) else None

    def _item(self, name: str) -> SourceFile:
        path = self._local_path(name)
        if path is not None:
            stat = os.stat(path)
            return SourceFile(name, stat.st_size, _stamp(stat), None, stat.st_mtime_ns // 10**6)
        size = self.storage.size(name)
        try:
            modified = self.storage.get_modified_time(name)
        except NotImplementedError:
            return SourceFile(name, size, "")
        millis = int(modified.timestamp() * 1000)
        return SourceFile(name, size, f"{size}:{millis}", None, millis)

    def files(self) -> Iterator[SourceFile]:
        return self._walk("")

    def _walk(self, prefix: str) -> Iterator[SourceFile]:
        folders, names = self.storage.listdir(prefix or "")
        entries = [(name, False) for name in names] + [(name, True) for name in folders]
        entries.sort(key=lambda pair: _sort_key(pair[0], pair[1]))
        for name, is_dir in entries:
            if is_dir:
                yield from self._walk(f"{prefix}{name}/")
            else:
                yield self._item(prefix + name)

    def lookup(self, name: str) -> SourceFile | None:
        try:
            if not self.storage.exists(name):
                return None
            return self._item(name)
        except (OSError, ValueError):
            return None

    def payload(self, item: SourceFile) -> Payload:
        path = self._local_path(item.name)
        if path is not None:
            return local_payload(path)

        def read(out: IO[bytes]) -> None:
            with self.storage.open(item.name, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    out.write(chunk)

        return spooled_payload(read, self.temp_dir)


def describe(storage: B2Storage) -> str:
    """Where a django_b2 storage keeps its files: ``b2:<api url>/<bucket>/<location>/``."""
    return f"b2:{storage.config.api_url}/{storage.bucket_name}/{storage.name_prefix}"


class B2Source(Source):
    """A django_b2 storage: its files under ``location``, with the SHA-1s B2 lists."""

    def __init__(self, storage: B2Storage, temp_dir: str | None = None) -> None:
        self.storage = storage
        self.prefix = storage.name_prefix
        self.description = describe(storage)
        self.temp_dir = temp_dir

    def _item(self, entry: Any) -> SourceFile:
        name = str(entry["fileName"])[len(self.prefix) :]
        info = entry.get("fileInfo") or {}
        modified = str(info.get("src_last_modified_millis") or "")
        return SourceFile(
            name=name,
            size=int(entry.get("contentLength") or 0),
            stamp=str(entry.get("fileId") or ""),
            sha1=expected_sha1(entry.get("contentSha1"), info),
            modified_ms=int(modified) if modified.isdigit() else None,
            b2={
                "fileId": entry.get("fileId"),
                "contentType": entry.get("contentType"),
                "fileInfo": dict(info),
            },
        )

    def files(self) -> Iterator[SourceFile]:
        storage = self.storage
        for entry in storage.client.iter_file_names(storage.bucket_id, prefix=self.prefix):
            yield self._item(entry)

    def lookup(self, name: str) -> SourceFile | None:
        storage = self.storage
        try:
            entry = storage.client.get_file_info_by_name(storage.bucket_name, storage.b2_name(name))
        except B2NotFound:
            return None
        return self._item(entry)

    def payload(self, item: SourceFile) -> Payload:
        assert item.b2 is not None
        file_id = str(item.b2["fileId"])

        def read(out: IO[bytes]) -> None:
            # The client checks the body against the SHA-1 B2 has for it as it comes.
            with self.storage.client.download_file_by_id(file_id) as downloaded:
                for chunk in downloaded:
                    out.write(chunk)

        return spooled_payload(read, self.temp_dir)
