"""The model fields that keep files on a storage, and the names their rows hold, in B2's order.

B2 lists file names in the order of their UTF-8 bytes. Databases sort text by their own collation
(and differently per backend), so the names are not read in order from the database: they are
streamed out of it in any order, ``chunk_size`` rows at a time, into a :class:`NameSpool` (a
temporary SQLite file with one ``BLOB`` primary key, which SQLite compares byte by byte), and read
back from there sorted and without repeats. Memory stays bounded by one chunk of rows plus
SQLite's page cache, whatever the number of rows; the disk holds one copy of the names.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.files.storage import Storage
from django.db import models
from django.utils.functional import LazyObject, empty

__all__ = [
    "NameSpool",
    "field_label",
    "fields_using",
    "iter_field_names",
    "parse_field",
    "same_storage",
]

#: Rows fetched from the database per round trip.
CHUNK_SIZE = 2000
#: SQLite page cache of a spool, in KiB (``PRAGMA cache_size`` with a negative value).
_SPOOL_CACHE_KIB = 8192


def field_label(field: models.FileField) -> str:
    """``app_label.Model.field``, the form ``--fields`` takes."""
    meta = field.model._meta
    return f"{meta.app_label}.{meta.object_name}.{field.name}"


def parse_field(label: str) -> models.FileField:
    """The FileField named by ``app_label.Model.field``; ValueError saying what to change."""
    parts = label.split(".")
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"{label!r} is not a field name; give it as app_label.Model.field, e.g. blog.Post.cover"
        )
    app_label, model_name, field_name = parts
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise ValueError(
            f"No model {app_label}.{model_name} (from {label!r}); check the app label (as in "
            "INSTALLED_APPS) and the model's class name."
        ) from None
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise ValueError(f"Model {app_label}.{model_name} has no field {field_name!r}.") from None
    if not isinstance(field, models.FileField):
        raise ValueError(
            f"{label} is a {type(field).__name__}, not a FileField or ImageField; give file "
            "fields only."
        )
    return field


def _unwrap(storage: Any) -> Any:
    """The storage behind a lazy wrapper such as ``default_storage``."""
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


def same_storage(one: Storage, other: Storage) -> bool:
    """Whether two storages keep files in the same place.

    The same object, or two B2 storages on the same endpoint, bucket and ``location`` (a field may
    build its own instance with the same OPTIONS as the alias).
    """
    from django_b2.storage import B2Storage

    one, other = _unwrap(one), _unwrap(other)
    if one is other:
        return True
    if isinstance(one, B2Storage) and isinstance(other, B2Storage):
        return (one.config.api_url, one.bucket_name, one.location) == (
            other.config.api_url,
            other.bucket_name,
            other.location,
        )
    return False


def fields_using(storage: Storage) -> list[models.FileField]:
    """Every concrete FileField / ImageField of every installed model that uses ``storage``."""
    found: list[models.FileField] = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue  # its rows are the concrete model's rows
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.FileField)
                and field.model is model
                and same_storage(field.storage, storage)
            ):
                found.append(field)
    return found


def iter_field_names(field: models.FileField, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The non-empty names stored in ``field``, streamed in database order.

    Reads through ``_base_manager``: rows a custom default manager hides (soft-deleted ones, for
    example) still point at their files.
    """
    rows = (
        field.model._base_manager.exclude(**{f"{field.attname}__isnull": True})
        .exclude(**{field.attname: ""})
        .values_list(field.attname, flat=True)
    )
    for name in rows.iterator(chunk_size=chunk_size):
        if name:
            yield str(name)


class NameSpool:
    """A temporary on-disk set of names, read back in UTF-8 byte order without repeats."""

    def __init__(self, directory: str | None = None) -> None:
        handle, self.path = tempfile.mkstemp(prefix="django_b2-names-", suffix=".sqlite3",
                                             dir=directory)  # fmt: skip
        os.close(handle)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"PRAGMA cache_size=-{_SPOOL_CACHE_KIB}")
        self._db.execute("CREATE TABLE names (name BLOB PRIMARY KEY) WITHOUT ROWID")

    def add_all(self, names: Iterable[str], batch: int = CHUNK_SIZE) -> None:
        """Add ``names`` (str; stored as UTF-8 bytes), ``batch`` per transaction."""
        pending: list[tuple[bytes]] = []
        for name in names:
            pending.append((name.encode("utf-8", "surrogatepass"),))
            if len(pending) >= batch:
                self._insert(pending)
                pending = []
        if pending:
            self._insert(pending)

    def _insert(self, rows: list[tuple[bytes]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO names VALUES (?)", rows)
        self._db.execute("COMMIT")

    def __contains__(self, name: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM names WHERE name = ?", (name.encode("utf-8", "surrogatepass"),)
        ).fetchone()
        return found is not None

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM names").fetchone()[0])

    def sorted(self) -> Iterator[bytes]:
        """Every distinct name as UTF-8 bytes, ascending byte order (B2's listing order)."""
        cursor = self._db.execute("SELECT name FROM names ORDER BY name")
        try:
            while True:
                rows = cursor.fetchmany(CHUNK_SIZE)
                if not rows:
                    return
                for (name,) in rows:
                    yield bytes(name)
        finally:
            cursor.close()

    def close(self) -> None:
        self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> NameSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
