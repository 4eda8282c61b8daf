"""Bucket calls: create, delete, list, update."""

from __future__ import annotations

from typing import Any

from . import ids
from .bucket_rules import (
    ALL_BUCKET_TYPES,
    DEFAULT_LISTED_BUCKET_TYPES,
    check_bucket_info,
    check_bucket_name,
    check_bucket_type,
    check_cors_rules,
    check_default_retention,
    check_lifecycle_rules,
    check_replication,
)
from .database import bucket_from_row
from .errors import ApiError, bad_request, bucket_missing_file_lock, denied
from .permissions import require, require_bucket
from .protection_rules import check_sse
from .records import (
    Bucket,
    Key,
)
from .store import Store

MAX_BUCKETS = 100


class BucketsMixin(Store):
    def create_bucket(self, key: Key, params: dict[str, Any]) -> Bucket:
        require(key, "writeBuckets")
        name = check_bucket_name(params.get("bucketName"))
        bucket_type = check_bucket_type(params.get("bucketType"))
        info = check_bucket_info(params.get("bucketInfo"))
        cors = check_cors_rules(params.get("corsRules"))
        lifecycle = check_lifecycle_rules(params.get("lifecycleRules"))
        lock_enabled = params.get("fileLockEnabled") or False
        if not isinstance(lock_enabled, bool):
            raise bad_request("fileLockEnabled must be true or false")
        if lock_enabled:
            require(key, "writeBucketRetentions")
        sse = check_sse(params.get("defaultServerSideEncryption"), bucket_default=True)
        if params.get("defaultServerSideEncryption") is not None:
            require(key, "writeBucketEncryption")
        replication = None
        if params.get("replicationConfiguration") is not None:
            require(key, "writeBucketReplications")
            replication = check_replication(params["replicationConfiguration"])
        with self.lock:
            if self.db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                raise ApiError(
                    400, "duplicate_bucket_name", f"Bucket name is already in use: {name}"
                )
            (count,) = self.db.execute("SELECT COUNT(*) FROM buckets").fetchone()
            if count >= MAX_BUCKETS:
                raise ApiError(
                    400, "too_many_buckets", f"at most {MAX_BUCKETS} buckets per account"
                )
            bucket = Bucket(
                bucket_id=ids.bucket_id(),
                name=name,
                type=bucket_type,
                info=info,
                cors_rules=cors,
                lifecycle_rules=lifecycle,
                lock_enabled=lock_enabled,
                default_retention={"mode": None, "period": None},
                default_sse=sse,
                revision=1,
            )
            if replication is not None:
                bucket.replication = replication
            self._save_bucket(bucket, insert=True)
            return bucket

    def delete_bucket(self, key: Key, bucket_id: object) -> Bucket:
        require(key, "deleteBuckets")
        with self.lock:
            bucket = self.get_bucket(bucket_id)
            require_bucket(key, bucket.bucket_id)
            if self.db.execute(
                "SELECT 1 FROM files WHERE bucket_id = ? LIMIT 1", (bucket.bucket_id,)
            ).fetchone():
                raise ApiError(
                    400, "cannot_delete_non_empty_bucket", "Cannot delete non-empty bucket"
                )
            self.db.execute("DELETE FROM buckets WHERE bucket_id = ?", (bucket.bucket_id,))
            self.db.execute(
                "DELETE FROM notification_rules WHERE bucket_id = ?", (bucket.bucket_id,)
            )
            return bucket

    def list_buckets(
        self, key: Key, *, bucket_id: object, bucket_name: object, bucket_types: object
    ) -> list[Bucket]:
        require(key, "listBuckets")
        if bucket_types is None:
            types: tuple[str, ...] = DEFAULT_LISTED_BUCKET_TYPES
        elif (
            not isinstance(bucket_types, list)
            or not bucket_types
            or ("all" in bucket_types and len(bucket_types) > 1)
            or not all(t == "all" or t in ALL_BUCKET_TYPES for t in bucket_types)
        ):
            raise bad_request(
                'bucketTypes must be ["all"] or a non-empty list of ' + ", ".join(ALL_BUCKET_TYPES)
            )
        else:
            types = ALL_BUCKET_TYPES if bucket_types == ["all"] else tuple(bucket_types)
        with self.lock:
            rows = self.db.execute("SELECT * FROM buckets ORDER BY name").fetchall()
        buckets = [bucket_from_row(r) for r in rows]
        if key.bucket_ids is not None:
            named = [
                b
                for b in buckets
                if (bucket_id is not None and b.bucket_id == bucket_id)
                or (bucket_name is not None and b.name == bucket_name)
            ]
            if (bucket_id is None and bucket_name is None) or not all(
                key.allows_bucket(b.bucket_id) for b in named
            ):
                raise denied("this key is restricted: name its bucket (bucketId or bucketName)")
            if bucket_id is not None and bucket_id not in key.bucket_ids:
                raise denied("this key is not allowed to list that bucket")
        return [
            b
            for b in buckets
            if b.type in types
            and (bucket_id is None or b.bucket_id == bucket_id)
            and (bucket_name is None or b.name == bucket_name)
        ]

    def update_bucket(self, key: Key, params: dict[str, Any]) -> Bucket:
        require(key, "writeBuckets")
        with self.lock:
            bucket = self.get_bucket(params.get("bucketId"))
            require_bucket(key, bucket.bucket_id)
            if_revision = params.get("ifRevisionIs")
            if if_revision is not None and if_revision != bucket.revision:
                raise ApiError(409, "conflict", "simultaneous updates to bucket; revision changed")
            if params.get("bucketType") is not None:
                bucket.type = check_bucket_type(params["bucketType"])
            if params.get("bucketInfo") is not None:
                bucket.info = check_bucket_info(params["bucketInfo"])
            if params.get("corsRules") is not None:
                bucket.cors_rules = check_cors_rules(params["corsRules"])
            if params.get("lifecycleRules") is not None:
                bucket.lifecycle_rules = check_lifecycle_rules(params["lifecycleRules"])
            if params.get("defaultServerSideEncryption") is not None:
                require(key, "writeBucketEncryption")
                bucket.default_sse = check_sse(
                    params["defaultServerSideEncryption"], bucket_default=True
                )
            if params.get("replicationConfiguration") is not None:
                require(key, "writeBucketReplications")
                bucket.replication = check_replication(params["replicationConfiguration"])
            lock = params.get("fileLockEnabled")
            if lock is not None:
                require(key, "writeBucketRetentions")
                if not isinstance(lock, bool):
                    raise bad_request("fileLockEnabled must be true or false")
                if bucket.lock_enabled and not lock:
                    raise ApiError(400, "file_lock_conflict", "file lock cannot be disabled")
                if lock and not bucket.lock_enabled and bucket.replication["asReplicationSource"]:
                    raise ApiError(
                        400,
                        "source_replication_conflict",
                        "Turning on file lock for an existing bucket having source replication "
                        "configuration is not allowed.",
                    )
                bucket.lock_enabled = bucket.lock_enabled or lock
            if params.get("defaultRetention") is not None:
                require(key, "writeBucketRetentions")
                if not bucket.lock_enabled:
                    raise bucket_missing_file_lock()
                bucket.default_retention = check_default_retention(params["defaultRetention"])
            bucket.revision += 1
            self._save_bucket(bucket, insert=False)
            return bucket
