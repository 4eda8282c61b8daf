"""The JSON calls of the B2 native API, each a thin call into the state."""

from __future__ import annotations

import base64
from typing import Any

from . import shapes
from .errors import ApiError, bad_request
from .http_base import HandlerBase
from .records import FileVersion, Key


def _file_ref(version: FileVersion) -> dict[str, Any]:
    """The answer's opening for a call on one version: its id and name."""
    return {"fileId": version.file_id, "fileName": version.name}


class ApiCallsMixin(HandlerBase):
    """One method per JSON endpoint: parameters in, B2's JSON body out."""

    def _authorize(self, version: int) -> dict[str, Any]:
        raw = self.headers.get("Authorization") or ""
        if not raw:
            raise ApiError(401, "missing_auth_token", "send Authorization: Basic base64(keyId:key)")
        scheme, _, encoded = raw.partition(" ")
        if scheme.lower() != "basic":
            raise bad_request("b2_authorize_account needs HTTP Basic authorization")
        try:
            key_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("the Basic credentials are not valid base64 of keyId:key") from exc
        if not sep:
            raise bad_request("the Basic credentials must be keyId:key")
        state = self.app.state
        key, token = state.authorize(key_id, secret, api_version=version)
        return shapes.authorize(
            version,
            key,
            account_id=state.account_id,
            token=token.token,
            url=self._base_url(),
            recommended_part_size=self.app.recommended_part_size,
            absolute_minimum_part_size=self.app.absolute_minimum_part_size,
            bucket_names=state.bucket_names(key.bucket_ids or []),
        )

    def create_bucket(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params)
        bucket = self.app.state.create_bucket(key, params)
        return shapes.bucket(bucket, self.app.state.account_id, key)

    def delete_bucket(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params)
        bucket = self.app.state.delete_bucket(key, params.get("bucketId"))
        return shapes.bucket(bucket, self.app.state.account_id, key)

    def list_buckets(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params)
        buckets = self.app.state.list_buckets(
            key,
            bucket_id=params.get("bucketId"),
            bucket_name=params.get("bucketName"),
            bucket_types=params.get("bucketTypes"),
        )
        return {"buckets": [shapes.bucket(b, self.app.state.account_id, key) for b in buckets]}

    def update_bucket(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params, required=False)
        bucket = self.app.state.update_bucket(key, params)
        return shapes.bucket(bucket, self.app.state.account_id, key)

    def set_bucket_notification_rules(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket_id = params.get("bucketId")
        rules = self.app.state.set_notification_rules(
            key, bucket_id, params.get("eventNotificationRules")
        )
        return {"bucketId": bucket_id, "eventNotificationRules": rules}

    def get_bucket_notification_rules(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket_id = params.get("bucketId")
        rules = self.app.state.get_notification_rules(key, bucket_id)
        return {"bucketId": bucket_id, "eventNotificationRules": rules}

    def get_upload_url(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        token = self.app.state.get_upload_url(key, params.get("bucketId"))
        return shapes.upload_url(self._base_url(), token, version=version)

    def get_upload_part_url(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        token = self.app.state.get_upload_part_url(key, params.get("fileId"))
        return shapes.upload_url(self._base_url(), token, version=version)

    def _listing(self, key: Key, params: dict[str, Any], *, versions: bool) -> dict[str, Any]:
        entries, following = self.app.state.list_files(key, params, versions=versions)
        account = self.app.state.account_id
        body: dict[str, Any] = {
            "files": [shapes.file(e, account, key) for e in entries],
            "nextFileName": None if following is None else following.name,
        }
        if versions:
            body["nextFileId"] = following.file_id if isinstance(following, FileVersion) else None
        return body

    def list_file_names(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        return self._listing(key, params, versions=False)

    def list_file_versions(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        return self._listing(key, params, versions=True)

    def get_file_info(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        found = self.app.state.file_for_key(key, params.get("fileId"), "readFiles")
        return shapes.file(found, self.app.state.account_id, key)

    def hide_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        marker = self.app.state.hide_file(key, params.get("bucketId"), params.get("fileName"))
        return shapes.file(marker, self.app.state.account_id, key)

    def delete_file_version(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        deleted = self.app.state.delete_file_version(
            key,
            name=params.get("fileName"),
            file_id=params.get("fileId"),
            bypass=params.get("bypassGovernance"),
        )
        return _file_ref(deleted)

    def update_file_retention(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        updated = self.app.state.update_file_retention(
            key,
            name=params.get("fileName"),
            file_id=params.get("fileId"),
            retention=params.get("fileRetention"),
            bypass=params.get("bypassGovernance"),
        )
        retention = {
            "mode": updated.retention_mode,
            "retainUntilTimestamp": updated.retention_until,
        }
        return {**_file_ref(updated), "fileRetention": retention}

    def update_file_legal_hold(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        updated = self.app.state.update_file_legal_hold(
            key,
            name=params.get("fileName"),
            file_id=params.get("fileId"),
            legal_hold=params.get("legalHold"),
        )
        return {**_file_ref(updated), "legalHold": updated.legal_hold}

    def start_large_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        started = self.app.state.start_large_file(key, params)
        return shapes.file(started, self.app.state.account_id, key)

    def finish_large_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        finished = self.app.state.finish_large_file(
            key,
            params.get("fileId"),
            params.get("partSha1Array"),
            min_part_size=self.app.absolute_minimum_part_size,
        )
        return shapes.file(finished, self.app.state.account_id, key)

    def cancel_large_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        cancelled = self.app.state.cancel_large_file(key, params.get("fileId"))
        return {
            "fileId": cancelled.file_id,
            "accountId": self.app.state.account_id,
            "bucketId": cancelled.bucket_id,
            "fileName": cancelled.name,
        }

    def list_parts(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        parts, following = self.app.state.list_parts(
            key,
            params.get("fileId"),
            start=params.get("startPartNumber"),
            max_count=params.get("maxPartCount"),
        )
        return {"parts": [shapes.part(p) for p in parts], "nextPartNumber": following}

    def list_unfinished_large_files(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        files, following = self.app.state.list_unfinished(key, params)
        account = self.app.state.account_id
        return {"files": [shapes.file(f, account, key) for f in files], "nextFileId": following}

    def copy_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        copied = self.app.state.copy_file(key, params, max_size=self.app.max_simple_file_size)
        return shapes.file(copied, self.app.state.account_id, key, action="copy")

    def copy_part(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        return shapes.part(self.app.state.copy_part(key, params))

    def get_download_authorization(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        token = self.app.state.get_download_authorization(key, params)
        return shapes.download_authorization(token)

    def create_key(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params)
        bucket_ids = params.get("bucketIds")
        if bucket_ids is None and params.get("bucketId") is not None:
            bucket_ids = [params["bucketId"]]
        if bucket_ids is not None and (
            not isinstance(bucket_ids, list) or not all(isinstance(b, str) for b in bucket_ids)
        ):
            raise bad_request("bucketIds must be a list of bucket ids")
        created = self.app.state.create_key(
            key,
            name=params.get("keyName"),
            capabilities=params.get("capabilities"),
            valid_duration=params.get("validDurationInSeconds"),
            bucket_ids=bucket_ids,
            name_prefix=params.get("namePrefix"),
        )
        return shapes.key(version, created, self.app.state.account_id, with_secret=True)

    def delete_key(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        deleted = self.app.state.delete_key(key, params.get("applicationKeyId"))
        return shapes.key(version, deleted, self.app.state.account_id)

    def list_keys(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(params)
        keys, following = self.app.state.list_keys(
            key,
            max_count=params.get("maxKeyCount"),
            start_key_id=params.get("startApplicationKeyId"),
        )
        account = self.app.state.account_id
        return {
            "keys": [shapes.key(version, k, account) for k in keys],
            "nextApplicationKeyId": following,
        }
