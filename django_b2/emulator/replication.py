"""Replication between buckets of this emulator: rules stored on buckets, copies made by a worker.

A new version in a bucket with ``asReplicationSource`` rules that match its name starts as
``replicationStatus: pending`` (SSE-C versions, which B2 does not replicate, get no status); after
the ``replication_delay`` knob's seconds a background thread copies it to each rule's destination
bucket (the copy says ``replica``) and marks the source ``completed``, or ``failed`` when a copy
cannot be made (destination gone, the destination does not map the source key to a key that may
write there, the source key may not read).
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Any

from .errors import ApiError
from .ids import FILE_KIND_LARGE, FILE_KIND_SMALL
from .large_files import LargeFilesMixin
from .records import Bucket, FileVersion

PENDING, COMPLETED, FAILED, REPLICA = "pending", "completed", "failed", "replica"


def matching_rules(bucket: Bucket, name: str) -> list[dict[str, Any]]:
    source = bucket.replication.get("asReplicationSource") or {}
    rules = [
        rule
        for rule in source.get("replicationRules") or []
        if rule["isEnabled"] and name.startswith(rule["fileNamePrefix"])
    ]
    return sorted(rules, key=lambda rule: int(rule["priority"]))


class ReplicationMixin(LargeFilesMixin):
    _replication_queue: queue.Queue[tuple[str, float] | None] | None = None
    _replication_thread: threading.Thread | None = None
    _replication_stop: threading.Event | None = None
    #: Seconds a new version stays ``pending`` before the worker copies it (fault knob
    #: ``replication_delay``; B2 itself takes a while).
    replication_delay: float = 0.0

    def _replication_status_for(self, bucket: Bucket, name: str, sse: dict[str, Any]) -> str | None:
        # B2 does not replicate SSE-C files, and gives them no replicationStatus at all (the b2
        # CLI suite's test_replication_monitoring, run against production, expects none)
        if sse.get("mode") == "SSE-C":
            return None
        return PENDING if matching_rules(bucket, name) else None

    def _replicate_later(self, version: FileVersion) -> None:
        if version.replication_status != PENDING:
            return
        with self.lock:
            if self._replication_queue is None:
                self._replication_queue = queue.Queue()
                self._replication_stop = threading.Event()
                self._replication_thread = threading.Thread(
                    target=self._replication_worker, daemon=True, name="b2-emulator-replication"
                )
                self._replication_thread.start()
            self._replication_queue.put((version.file_id, time.monotonic()))

    def resume_replication(self) -> None:
        """Queue the versions an earlier run left pending."""
        with self.lock:
            rows = self.db.execute(
                "SELECT file_id FROM files WHERE replication_status = ? ORDER BY seq", (PENDING,)
            ).fetchall()
        for (file_id,) in rows:
            version = self.get_file(file_id)
            if version is not None:
                self._replicate_later(version)

    def _replication_worker(self) -> None:
        work, stop = self._replication_queue, self._replication_stop
        assert work is not None and stop is not None
        while (item := work.get()) is not None:
            file_id, queued_at = item
            # the delay as it is now (a changed knob or a reset applies to waiting versions too)
            while (left := queued_at + self.replication_delay - time.monotonic()) > 0:
                if stop.wait(min(left, 0.05)):
                    return  # closing: the version stays pending for the next start
            try:
                self._replicate(file_id)
            except Exception:  # a closed database at shutdown; the version stays pending
                return

    def _replicate(self, file_id: str) -> None:
        with self.lock:
            source = self.get_file(file_id)
            if source is None or source.replication_status != PENDING:
                return
            try:
                bucket = self.get_bucket(source.bucket_id)
            except ApiError:
                return
            rules = matching_rules(bucket, source.name)
            source_key_id = (bucket.replication.get("asReplicationSource") or {}).get(
                "sourceApplicationKeyId"
            )
        done = True
        for rule in rules:
            try:
                self._copy_replica(source, str(source_key_id), rule["destinationBucketId"])
            except (ApiError, OSError):
                done = False
        with self.lock:
            self.db.execute(
                "UPDATE files SET replication_status = ? WHERE file_id = ?",
                (COMPLETED if done else FAILED, file_id),
            )

    def _copy_replica(self, source: FileVersion, source_key_id: str, bucket_id: str) -> None:
        with self.lock:
            destination = self.get_bucket(bucket_id)
            mapping = (destination.replication.get("asReplicationDestination") or {}).get(
                "sourceToDestinationKeyMapping"
            ) or {}
            reader = self.keys.get(source_key_id)
            writer = self.keys.get(mapping.get(source_key_id, ""))
            if (
                reader is None
                or "readFiles" not in reader.capabilities
                or writer is None
                or "writeFiles" not in writer.capabilities
                or not writer.allows_bucket(destination.bucket_id)
                or not writer.allows_name(source.name)
            ):
                raise ApiError(401, "unauthorized", "replication keys do not allow this copy")
            if source.sse.get("mode") == "SSE-C":
                raise ApiError(400, "bad_request", "SSE-C files are not replicated")
        body = self._whole_body(source)
        with self.lock:
            self.get_bucket(bucket_id)  # still there?
            kind = FILE_KIND_LARGE if source.content_sha1 == "none" else FILE_KIND_SMALL
            # the source's name, body, type, info, time and encryption; no lock settings
            replica = dataclasses.replace(
                source,
                file_id=self._new_file_id(bucket_id, kind),
                bucket_id=bucket_id,
                seq=0,
                action="upload",
                info=dict(source.info),
                retention_mode=None,
                retention_until=None,
                legal_hold=None,
                sse=dict(source.sse),
                blob=None,
                replication_status=REPLICA,
            )
            self._insert_file(replica, body)

    def close(self) -> None:
        work, thread = self._replication_queue, self._replication_thread
        if work is not None and thread is not None:
            if self._replication_stop is not None:
                self._replication_stop.set()
            work.put(None)
            thread.join(timeout=5)
        super().close()
