"""Everything B2 stores, and B2's rules about it. No HTTP here.

Metadata lives in SQLite (``emulator.sqlite3`` in the data dir, WAL mode); bodies live as files
under ``blobs/`` (small ones inline in SQLite). Names are stored as UTF-8 BLOBs so SQLite orders
them by UTF-8 bytes, as B2 does. Keys, buckets, files and unexpired tokens survive a restart with
the same data dir. The calls are grouped by concern in mixins over ``Store``.
"""

from __future__ import annotations

from .access import AccessMixin
from .buckets import BucketsMixin
from .files import FilesMixin
from .large_files import LargeFilesMixin
from .listing import ListingMixin
from .notifications import NotificationsMixin
from .replication import ReplicationMixin
from .uploads import UploadPlan

__all__ = ["State", "UploadPlan"]


class State(
    AccessMixin,
    BucketsMixin,
    FilesMixin,
    ListingMixin,
    ReplicationMixin,
    LargeFilesMixin,
    NotificationsMixin,
):
    """Buckets, files, parts, keys, tokens and notification rules of one emulated account."""
