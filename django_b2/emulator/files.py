"""Single-version calls: hide, delete, retention, legal hold."""

from __future__ import annotations

from .errors import ApiError, bad_request, bucket_missing_file_lock, lock_denied
from .file_rules import check_file_name
from .permissions import require, require_bucket, require_lock_write, require_name
from .protection_rules import check_legal_hold, check_retention
from .records import (
    FileVersion,
    Key,
)
from .store import Store


class FilesMixin(Store):
    def hide_file(self, key: Key, bucket_id: object, name: object) -> FileVersion:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        file_name = check_file_name(name)
        require_name(key, file_name)
        with self.lock:
            current = self.current_version(bucket.bucket_id, file_name)
            if current is None:
                raise ApiError(400, "no_such_file", f"File not present: {file_name}")
            if current.action == "hide":
                raise ApiError(400, "already_hidden", f"File already hidden: {file_name}")
            marker = FileVersion(
                file_id=self._new_file_id(bucket.bucket_id),
                bucket_id=bucket.bucket_id,
                name=file_name,
                seq=0,
                action="hide",
                content_length=0,
                content_sha1=None,
                content_type="application/x-bz-hide-marker",
                info={},
                upload_timestamp=self.now_ms(),
            )
            return self._insert_file(marker)

    def _check_deletable(self, version: FileVersion, bypass: bool) -> None:
        """B2 refuses to delete a protected version with ``401 access_denied`` "Access Denied"."""
        if version.legal_hold == "on":
            raise lock_denied("the version is under legal hold")
        if version.retention_until is not None and version.retention_until > self.now_ms():
            if version.retention_mode == "compliance":
                raise lock_denied("the version is under compliance retention")
            if not bypass:
                raise lock_denied(
                    "the version is under governance retention; send bypassGovernance"
                )

    def delete_file_version(
        self, key: Key, *, name: object, file_id: object, bypass: object
    ) -> FileVersion:
        require(key, "deleteFiles")
        if not isinstance(name, str) or not isinstance(file_id, str) or not file_id:
            raise bad_request("fileName and fileId are required")
        if bypass not in (None, True, False):
            raise bad_request("bypassGovernance must be true or false")
        if bypass:
            require(key, "bypassGovernance")
        with self.lock:
            version = self.get_file(file_id)
            if version is None or version.name != name:
                raise ApiError(400, "file_not_present", f"File not present: {name} {file_id}")
            require_bucket(key, version.bucket_id)
            require_name(key, version.name)
            self._check_deletable(version, bool(bypass))
            self._drop_version(version)
            return version

    def update_file_retention(
        self, key: Key, *, name: object, file_id: object, retention: object, bypass: object
    ) -> FileVersion:
        require_lock_write(key, "writeFileRetentions")
        with self.lock:
            version = self._lockable_version(key, name, file_id)
            mode, until = check_retention(retention, now_ms=self.now_ms())
            now = self.now_ms()
            in_force = version.retention_until is not None and version.retention_until > now
            bypassing = bool(bypass) and "bypassGovernance" in key.capabilities
            if in_force and version.retention_mode == "compliance":
                if mode != "compliance" or (until or 0) < (version.retention_until or 0):
                    raise ApiError(
                        403, "access_denied", "compliance retention can only be extended"
                    )
            elif in_force and version.retention_mode == "governance" and not bypassing:
                shorter = until is None or until < (version.retention_until or 0)
                if mode is None or (mode == "governance" and shorter):
                    raise ApiError(
                        403,
                        "access_denied",
                        "shortening governance retention needs bypassGovernance",
                    )
            self.db.execute(
                "UPDATE files SET retention_mode = ?, retention_until = ? WHERE file_id = ?",
                (mode, until, version.file_id),
            )
            version.retention_mode, version.retention_until = mode, until
            return version

    def update_file_legal_hold(
        self, key: Key, *, name: object, file_id: object, legal_hold: object
    ) -> FileVersion:
        require_lock_write(key, "writeFileLegalHolds")
        with self.lock:
            version = self._lockable_version(key, name, file_id)
            hold = check_legal_hold(legal_hold)
            self.db.execute(
                "UPDATE files SET legal_hold = ? WHERE file_id = ?", (hold, version.file_id)
            )
            version.legal_hold = hold
            return version

    def _lockable_version(self, key: Key, name: object, file_id: object) -> FileVersion:
        version = self.get_file(file_id)
        if version is None or version.name != name or version.action == "hide":
            raise ApiError(400, "file_not_present", f"File not present: {name} {file_id}")
        require_bucket(key, version.bucket_id)
        require_name(key, version.name)
        if not self.get_bucket(version.bucket_id).lock_enabled:
            raise bucket_missing_file_lock()
        return version
