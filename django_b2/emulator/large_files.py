"""Large files (start, parts, finish, cancel) and server-side copies."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

from .blobs import pieces
from .bodies import INLINE_MAX
from .errors import ApiError, bad_request
from .file_rules import MAX_LARGE_FILE_SIZE, MAX_PART_SIZE, check_file_name, parse_byte_range
from .ids import FILE_KIND_LARGE
from .permissions import require, require_bucket, require_name
from .protection_rules import check_customer_key, check_sse
from .records import (
    Body,
    Bucket,
    FileVersion,
    Key,
    Part,
    Segment,
)
from .uploads import UploadsMixin


class LargeFilesMixin(UploadsMixin):
    def start_large_file(self, key: Key, params: dict[str, Any]) -> FileVersion:
        name = params.get("fileName")
        plan = self.plan_upload(
            key,
            params.get("bucketId"),  # type: ignore[arg-type]
            name=check_file_name(name),
            content_type=params.get("contentType"),
            info=params.get("fileInfo") or {},
            retention=params.get("fileRetention"),
            legal_hold=params.get("legalHold"),
            sse=check_sse(params.get("serverSideEncryption"), bucket_default=False),
        )
        with self.lock:
            version = FileVersion(
                file_id=self._new_file_id(plan.bucket.bucket_id, FILE_KIND_LARGE),
                bucket_id=plan.bucket.bucket_id,
                name=plan.name,
                seq=0,
                action="start",
                content_length=0,
                content_sha1="none",
                content_type=plan.content_type,
                info=plan.info,
                upload_timestamp=self.now_ms(),
                retention_mode=plan.retention[0],
                retention_until=plan.retention[1],
                legal_hold=plan.legal_hold,
                sse=plan.sse,
            )
            return self._insert_file(version)

    def commit_part(self, file_id: str, part_number: int, body: Body) -> Part:
        with self.lock:
            version = self.get_file(file_id)
            if version is None or version.action != "start":
                if body.path is not None:
                    os.unlink(body.path)
                raise bad_request(f"Invalid fileId: {file_id} (not an unfinished large file)")
            old = self.db.execute(
                "SELECT blob FROM parts WHERE file_id = ? AND part_number = ?",
                (file_id, part_number),
            ).fetchone()
            if old is not None:
                self.blobs.remove(old[0])
            blob = self.blobs.keep(body.path) if body.path is not None else ""
            part = Part(file_id, part_number, body.size, body.sha1, self.now_ms(), blob)
            self.db.execute(
                "INSERT OR REPLACE INTO parts (file_id, part_number, content_length, "
                "content_sha1, upload_timestamp, blob, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    part_number,
                    body.size,
                    body.sha1,
                    part.upload_timestamp,
                    blob,
                    body.data,
                ),
            )
            return part

    def finish_large_file(
        self, key: Key, file_id: object, sha1s: object, *, min_part_size: int
    ) -> FileVersion:
        with self.lock:
            version = self.unfinished(key, file_id)
            if not isinstance(sha1s, list) or not all(isinstance(s, str) for s in sha1s):
                raise bad_request("partSha1Array must be a list of SHA1 hex strings")
            if len(sha1s) < 2:  # B2 checks this before matching entries to parts
                raise bad_request("large files must have at least 2 parts")
            rows = self.db.execute(
                "SELECT part_number, content_length, content_sha1 FROM parts WHERE file_id = ? "
                "ORDER BY part_number",
                (version.file_id,),
            ).fetchall()
            parts = {number: (length, sha1) for number, length, sha1 in rows}
            for number in range(1, len(sha1s) + 1):
                if number not in parts:
                    raise ApiError(
                        400, "missing_part", f"Part number {number} has not been uploaded"
                    )
            extra = sorted(n for n in parts if n > len(sha1s))
            if extra:
                raise bad_request(
                    f"partSha1Array has {len(sha1s)} entries but part {extra[0]} was uploaded"
                )
            for number, expected in enumerate(sha1s, start=1):
                if parts[number][1] != expected.lower():
                    raise ApiError(
                        400, "part_sha1_mismatch", f"Part number {number} has wrong SHA1 {expected}"
                    )
            for number in range(1, len(sha1s)):
                if parts[number][0] < min_part_size:
                    raise bad_request(
                        f"Part number {number} is smaller than the minimum part size "
                        f"{min_part_size}"
                    )
            total = sum(length for length, _ in parts.values())
            if total > MAX_LARGE_FILE_SIZE:
                raise bad_request("large file is bigger than 10 TB")
            bucket = self.get_bucket(version.bucket_id)
            status = self._replication_status_for(bucket, version.name, version.sse)
            self.db.execute(
                "UPDATE files SET action = 'upload', content_length = ?, replication_status = ? "
                "WHERE file_id = ?",
                (total, status, version.file_id),
            )
            version.action = "upload"
            version.content_length = total
            version.replication_status = status
        self._replicate_later(version)
        return version

    def cancel_large_file(self, key: Key, file_id: object) -> FileVersion:
        with self.lock:
            version = self.unfinished(key, file_id)
            self._drop_version(version)
            return version

    def _copy_source(self, key: Key, params: dict[str, Any]) -> tuple[FileVersion, Bucket]:
        require(key, "writeFiles")
        source_id = params.get("sourceFileId")
        source = self.get_file(source_id)
        if source is None or source.action != "upload":
            raise bad_request(f"Invalid sourceFileId: {source_id}")
        check_customer_key(source.sse, params.get("sourceServerSideEncryption"))
        bucket = self.get_bucket(source.bucket_id)
        if bucket.type != "allPublic":
            require(key, "readFiles")
            require_bucket(key, bucket.bucket_id)
            require_name(key, source.name)
        return source, bucket

    def _copy_bytes(self, source: FileVersion, start: int, length: int) -> Body:
        """Copy a byte range of a version into a new body (inline when small)."""
        digest = hashlib.sha1()
        if length <= INLINE_MAX:
            chunks = []
            for chunk in self._range_chunks(source, start, length):
                digest.update(chunk)
                chunks.append(chunk)
            return Body(length, digest.hexdigest(), data=b"".join(chunks))
        temp = self.blobs.new_temp_path()
        with open(temp, "wb") as out:
            for chunk in self._range_chunks(source, start, length):
                digest.update(chunk)
                out.write(chunk)
        return Body(length, digest.hexdigest(), path=temp)

    def _range_chunks(self, source: FileVersion, start: int, length: int) -> Iterator[bytes]:
        remaining = length
        for segment, offset, take in pieces(self.segments(source), start, length):
            yield from self._read_segment(segment, offset, take)
            remaining -= take
        if remaining > 0:
            raise ApiError(500, "internal_error", "stored body is truncated")

    def _read_segment(self, segment: Segment, offset: int, count: int) -> Iterator[bytes]:
        if segment.path is None:
            yield self.segment_data(segment)[offset : offset + count]
            return
        with open(segment.path, "rb") as source:
            source.seek(offset)
            while count > 0:
                chunk = source.read(min(count, 1 << 20))
                if not chunk:
                    raise ApiError(500, "internal_error", "stored body is truncated")
                count -= len(chunk)
                yield chunk

    def copy_file(self, key: Key, params: dict[str, Any], *, max_size: int) -> FileVersion:
        source, _ = self._copy_source(key, params)
        dest_id = params.get("destinationBucketId") or source.bucket_id
        directive = params.get("metadataDirective") or "COPY"
        if directive == "COPY":
            if params.get("contentType") is not None or params.get("fileInfo") is not None:
                raise bad_request(
                    "contentType and fileInfo must be omitted with metadataDirective COPY"
                )
            content_type, info = source.content_type, source.info
        elif directive == "REPLACE":
            if params.get("contentType") is None:
                raise bad_request("contentType is required with metadataDirective REPLACE")
            content_type, info = params["contentType"], params.get("fileInfo") or {}
        else:
            raise bad_request("metadataDirective must be COPY or REPLACE")
        if params.get("range") is not None:
            start, end = parse_byte_range(params["range"], source.content_length)
            ranged = True
        else:
            start, end, ranged = 0, source.content_length - 1, False
        length = end - start + 1
        if length > max_size:
            raise ApiError(400, "source_too_large", f"Copy source too big: {length}")
        plan = self.plan_upload(
            key,
            dest_id,
            name=check_file_name(params.get("fileName")),
            content_type=content_type,
            info=info,
            retention=params.get("fileRetention"),
            legal_hold=params.get("legalHold"),
            sse=check_sse(params.get("destinationServerSideEncryption"), bucket_default=False),
        )
        if ranged:
            body = self._copy_bytes(source, start, max(length, 0))
        else:
            body = self._whole_body(source)
        return self.commit_upload(plan, body)

    def _whole_body(self, source: FileVersion) -> Body:
        """A new body holding all of ``source``: a hard link to its one blob file when it has
        one (O(1) whatever the size), else a copy; its SHA-1 is the source's as stored."""
        segments = self.segments(source)
        single = segments[0] if len(segments) == 1 else None
        if single is not None and single.path is not None:
            temp = self.blobs.new_temp_path()
            try:
                os.link(single.path, temp)
            except OSError:
                shutil.copyfile(single.path, temp)
            return Body(source.content_length, source.content_sha1 or "", path=temp)
        body = self._copy_bytes(source, 0, source.content_length)
        if source.content_sha1 is not None:
            body.sha1 = source.content_sha1  # keeps "none" and "unverified:..."
        return body

    def copy_part(self, key: Key, params: dict[str, Any]) -> Part:
        source, _ = self._copy_source(key, params)
        large = self.unfinished(key, params.get("largeFileId"))
        number = params.get("partNumber")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 10_000:
            raise bad_request("partNumber must be from 1 to 10000")
        if params.get("range") is not None:
            start, end = parse_byte_range(params["range"], source.content_length)
        else:
            start, end = 0, source.content_length - 1
        length = end - start + 1
        if length > MAX_PART_SIZE or length < 1:
            raise bad_request("a part must be 1 byte to 5 GB")
        body = self._copy_bytes(source, start, length)
        return self.commit_part(large.file_id, number, body)
