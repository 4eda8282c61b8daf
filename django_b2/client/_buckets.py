"""Bucket calls of ``B2Client``: create, delete, list, get and update buckets."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from ._auth import AccountAuthorization
from ._core import ClientCore, require_id
from ._resend import Tracked, echoes, read_before
from ._transport import HttpOptions
from ._types import Bucket, ListBucketsResponse
from ._validation import validate_bucket_info, validate_bucket_name, validate_bucket_type
from .errors import B2BadRequest, B2Conflict, B2Error, B2NotFound, B2ValidationError

logger = logging.getLogger("django_b2.client")

#: Where a bucket shows what ``b2_update_bucket`` set, for the fields it does not echo as sent.
_SETTINGS_IN_BUCKET = {
    "defaultServerSideEncryption": ("defaultServerSideEncryption", "value"),
    "defaultRetention": ("fileLockConfiguration", "value", "defaultRetention"),
    "fileLockEnabled": ("fileLockConfiguration", "value", "isFileLockEnabled"),
}


class BucketCalls(ClientCore):
    """Bucket calls (mixed into :class:`~django_b2.client.B2Client`)."""

    def create_bucket(
        self,
        bucket_name: str,
        bucket_type: str,
        *,
        bucket_info: Mapping[str, str] | None = None,
        cors_rules: list[Any] | None = None,
        lifecycle_rules: list[Any] | None = None,
        file_lock_enabled: bool | None = None,
        default_server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        """Create a bucket. When a resend (after a lost answer) hears ``duplicate_bucket_name``
        and this account has a bucket of that name, B2 made it on the lost attempt: it is
        returned as if the first answer had arrived."""
        validate_bucket_name(bucket_name)
        validate_bucket_type(bucket_type)
        body = {
            "bucketName": bucket_name,
            "bucketType": bucket_type,
            "bucketInfo": validate_bucket_info(bucket_info),
            "corsRules": cors_rules,
            "lifecycleRules": lifecycle_rules,
            "fileLockEnabled": file_lock_enabled,
            "defaultServerSideEncryption": default_server_side_encryption,
        }
        call = Tracked()
        try:
            return self._post(
                Bucket, "b2_create_bucket", body, http, http_override, account=True, tracked=call
            )
        except B2BadRequest as exc:
            if exc.code != "duplicate_bucket_name" or not call.maybe_acted:
                raise
            ours = self.list_buckets(bucket_name=bucket_name, bucket_types=["all"])["buckets"]
            if not ours:
                raise  # another account holds the name
            logger.info("bucket %s was created by an attempt whose answer was lost", bucket_name)
            return ours[0]

    def delete_bucket(
        self,
        bucket_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        """Delete an empty bucket; B2 answers with the deleted bucket.

        The bucket is read first (one ``b2_list_buckets``): when an attempt's answer is lost and
        the resend hears ``bad_bucket_id`` (no such bucket), the lost attempt deleted it, and the
        bucket as read just before the call is returned. A bucket that did not exist before the
        call still raises :class:`B2BadRequest` (``bad_bucket_id``).
        """
        require_id("bucket_id", bucket_id)
        body = {"bucketId": bucket_id}
        before = read_before(partial(self._listed_bucket, bucket_id, http, http_override))
        call = Tracked()
        try:
            return self._post(
                Bucket, "b2_delete_bucket", body, http, http_override, account=True, tracked=call
            )
        except B2BadRequest as exc:
            if exc.code != "bad_bucket_id" or not call.maybe_acted or before is None:
                raise
            logger.info("bucket %s was deleted by an attempt whose answer was lost", bucket_id)
            return before

    def _listed_bucket(
        self, bucket_id: str, http: HttpOptions | None, http_override: HttpOptions | None
    ) -> Bucket | None:
        buckets = self.list_buckets(
            bucket_id=bucket_id, bucket_types=["all"], http=http, http_override=http_override
        )["buckets"]
        return buckets[0] if buckets and buckets[0]["bucketId"] == bucket_id else None

    def list_buckets(
        self,
        *,
        bucket_id: str | None = None,
        bucket_name: str | None = None,
        bucket_types: list[str] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListBucketsResponse:
        """List buckets; a key restricted to one bucket lists that one when no filter is given."""
        if bucket_name is not None:
            validate_bucket_name(bucket_name)
        if bucket_id is not None:
            require_id("bucket_id", bucket_id)
        if isinstance(bucket_types, str):
            raise B2ValidationError(f"bucket_types must be a list, e.g. [{bucket_types!r}]")

        def body(auth: AccountAuthorization) -> dict[str, Any]:
            # Without a filter, a key restricted to one bucket lists that one (B2 requires it).
            restricted_id = auth.bucket_id if bucket_id is None and bucket_name is None else None
            return {
                "bucketId": bucket_id or restricted_id,
                "bucketName": bucket_name,
                "bucketTypes": bucket_types,
            }

        return self._post(
            ListBucketsResponse, "b2_list_buckets", body, http, http_override, account=True
        )

    def get_bucket(
        self,
        *,
        bucket_name: str | None = None,
        bucket_id: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        """The bucket with this name or id; raises :class:`B2NotFound` if there is none."""
        if (bucket_name is None) == (bucket_id is None):
            raise B2ValidationError("get_bucket needs exactly one of bucket_name= or bucket_id=")
        buckets = self.list_buckets(
            bucket_id=bucket_id,
            bucket_name=bucket_name,
            bucket_types=["all"],
            http=http,
            http_override=http_override,
        )["buckets"]
        if not buckets:
            what = f"name {bucket_name!r}" if bucket_name is not None else f"id {bucket_id!r}"
            raise B2NotFound(404, "not_found", f"no bucket with {what} is visible to this key")
        return buckets[0]

    def update_bucket(
        self,
        bucket_id: str,
        *,
        bucket_type: str | None = None,
        bucket_info: Mapping[str, str] | None = None,
        cors_rules: list[Any] | None = None,
        lifecycle_rules: list[Any] | None = None,
        default_retention: Mapping[str, Any] | None = None,
        default_server_side_encryption: Mapping[str, Any] | None = None,
        file_lock_enabled: bool | None = None,
        if_revision_is: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Bucket:
        """Update a bucket; each setting given replaces the old one. With ``if_revision_is``,
        B2 answers :class:`B2Conflict` when the bucket's revision differs; a resend after a lost
        answer that meets the revision the lost attempt made (one on, holding every setting
        sent) returns that bucket instead."""
        require_id("bucket_id", bucket_id)
        if bucket_type is not None:
            validate_bucket_type(bucket_type)
        if file_lock_enabled is False:
            raise B2ValidationError(
                "file_lock_enabled=False is not possible: Object Lock can only be turned on"
            )
        body = {
            "bucketId": bucket_id,
            "bucketType": bucket_type,
            "bucketInfo": validate_bucket_info(bucket_info),
            "corsRules": cors_rules,
            "lifecycleRules": lifecycle_rules,
            "defaultRetention": default_retention,
            "defaultServerSideEncryption": default_server_side_encryption,
            "fileLockEnabled": file_lock_enabled,
            "ifRevisionIs": if_revision_is,
        }
        call = Tracked()
        try:
            return self._post(
                Bucket, "b2_update_bucket", body, http, http_override, account=True, tracked=call
            )
        except B2Conflict:
            # With if_revision_is, a resend after a lost answer meets the revision that the
            # lost attempt made: the bucket one revision on, holding what was sent, is ours.
            if if_revision_is is None or not call.maybe_acted:
                raise
            ours = self._updated_by_lost_attempt(
                bucket_id, body, if_revision_is + 1, http, http_override
            )
            if ours is None:
                raise
            logger.info("bucket %s was updated by an attempt whose answer was lost", bucket_id)
            return ours

    def _updated_by_lost_attempt(
        self,
        bucket_id: str,
        body: Mapping[str, Any],
        revision: int,
        http: HttpOptions | None,
        http_override: HttpOptions | None,
    ) -> Bucket | None:
        try:
            now = self._listed_bucket(bucket_id, http, http_override)
        except B2Error as exc:
            logger.warning("could not check what a lost answer did: %s", exc)
            return None
        return now if now is not None and _holds(now, body, revision) else None


def _holds(bucket: Bucket, body: Mapping[str, Any], revision: int) -> bool:
    """Whether ``bucket`` is at ``revision`` and holds every setting that ``body`` sent."""
    if bucket.get("revision") != revision:
        return False
    for field, sent in body.items():
        if sent is None or field in ("bucketId", "ifRevisionIs"):
            continue
        shown: Any = bucket
        for step in _SETTINGS_IN_BUCKET.get(field, (field,)):
            shown = shown.get(step) if isinstance(shown, Mapping) else None
        if not echoes(sent, shown):
            return False
    return True
