"""New versions from uploads and copies: checks and settings before the body, commit after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import bucket_missing_file_lock
from .file_rules import check_content_type, check_file_info, check_file_name, check_header_budget
from .permissions import require, require_name
from .protection_rules import check_legal_hold, check_retention
from .records import Body, Bucket, FileVersion, Key
from .store import Store


@dataclass(frozen=True)
class UploadPlan:
    """What an upload will create once its body has arrived and checked out."""

    bucket: Bucket
    name: str
    content_type: str
    info: dict[str, str]
    retention: tuple[str | None, int | None]
    legal_hold: str | None
    sse: dict[str, Any]
    upload_timestamp: int | None = None


class UploadsMixin(Store):
    """Plan a new version (name, info, content type, lock, encryption), then commit it."""

    def _lock_settings(
        self,
        key: Key,
        bucket: Bucket,
        retention: object,
        legal_hold: object,
    ) -> tuple[tuple[str | None, int | None], str | None]:
        """Validate retention/legal hold for a new version; apply the bucket default."""
        now = self.now_ms()
        mode_until: tuple[str | None, int | None] = (None, None)
        hold: str | None = None
        # capabilities first: B2 answers 401 for a key without them, whatever the bucket
        if retention is not None:
            require(key, "writeFileRetentions")
        if legal_hold is not None:
            require(key, "writeFileLegalHolds")
        if (retention is not None or legal_hold is not None) and not bucket.lock_enabled:
            raise bucket_missing_file_lock()
        if retention is not None:
            mode_until = check_retention(retention, now_ms=now)
        elif bucket.lock_enabled and bucket.default_retention.get("mode"):
            period = bucket.default_retention["period"]
            days = period["duration"] * (365 if period["unit"] == "years" else 1)
            mode_until = (bucket.default_retention["mode"], now + days * 86_400_000)
        if legal_hold is not None:
            hold = check_legal_hold(legal_hold)
        return mode_until, hold

    def plan_upload(
        self,
        key: Key,
        bucket_id: str,
        *,
        name: str,
        content_type: str | None,
        info: dict[str, str],
        retention: object,
        legal_hold: object,
        sse: dict[str, Any],
        upload_timestamp: int | None = None,
    ) -> UploadPlan:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        check_file_name(name)
        require_name(key, name)
        clean_info = check_file_info(info)
        content = check_content_type(content_type, name)
        check_header_budget(
            name, clean_info, restricted=bucket.lock_enabled or sse.get("mode") is not None
        )
        if sse.get("mode") is None and bucket.default_sse.get("mode") == "SSE-B2":
            sse = dict(bucket.default_sse)
        mode_until, hold = self._lock_settings(key, bucket, retention, legal_hold)
        return UploadPlan(
            bucket=bucket,
            name=name,
            content_type=content,
            info=clean_info,
            retention=mode_until,
            legal_hold=hold,
            sse=sse,
            upload_timestamp=upload_timestamp,
        )

    def commit_upload(self, plan: UploadPlan, body: Body) -> FileVersion:
        """Store a received body as a new version of ``plan.name``."""
        with self.lock:
            self.get_bucket(plan.bucket.bucket_id)  # still there?
            version = FileVersion(
                file_id=self._new_file_id(plan.bucket.bucket_id),
                bucket_id=plan.bucket.bucket_id,
                name=plan.name,
                seq=0,
                action="upload",
                content_length=body.size,
                content_sha1=body.sha1,
                content_type=plan.content_type,
                info=plan.info,
                upload_timestamp=plan.upload_timestamp or self.now_ms(),
                retention_mode=plan.retention[0],
                retention_until=plan.retention[1],
                legal_hold=plan.legal_hold,
                sse=plan.sse,
                replication_status=self._replication_status_for(plan.bucket, plan.name, plan.sse),
            )
            self._insert_file(version, body)
        self._replicate_later(version)
        return version
