"""Copy a site's files to a B2 storage: streamed, parallel, idempotent, resumable, verified.

* :mod:`.sources` -- where files come from: a directory, a Django storage, a B2 storage.
* :mod:`.destination` -- the B2 end: what is there already, uploads, server-side copies, checks.
* :mod:`.journal` -- the SQLite journal that lets a killed run resume.
* :mod:`.runner` -- :func:`migrate`, the function behind ``manage.py b2_migrate``.
"""

from __future__ import annotations

from .journal import Journal, JournalError
from .runner import MigrationSummary, migrate
from .sources import B2Source, DirectorySource, Source, SourceFile, StorageSource

__all__ = [
    "B2Source",
    "DirectorySource",
    "Journal",
    "JournalError",
    "MigrationSummary",
    "Source",
    "SourceFile",
    "StorageSource",
    "migrate",
]
