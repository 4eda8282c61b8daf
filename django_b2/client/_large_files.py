"""Large-file calls of ``B2Client``: start, upload and copy parts, finish, cancel, listings.

Also the part upload URLs, and the listings of parts and of unfinished large files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from . import _raw as raw
from ._body import Data, Payload
from ._core import require_id
from ._files import FileCalls
from ._limits import SHA1_HEX
from ._resend import Tracked, confirmed, extras, read_before, remove_extras
from ._transport import HttpOptions
from ._types import (
    CancelLargeFileResponse,
    FileVersion,
    ListPartsResponse,
    ListUnfinishedLargeFilesResponse,
    Part,
    UploadPartUrl,
)
from ._upload_urls import check_explicit_url
from ._validation import (
    RangeArg,
    range_header,
    validate_count,
    validate_file_info,
    validate_file_name,
    validate_file_retention,
    validate_legal_hold,
    validate_part_number,
    validate_prefix,
)
from .errors import B2BadRequest, B2Error, B2NotFound, B2ValidationError

if TYPE_CHECKING:
    from ._progress import ProgressCallback


logger = logging.getLogger("django_b2.client")


class LargeFileCalls(FileCalls):
    """Large-file calls (mixed into :class:`~django_b2.client.B2Client`); a resent finish looks
    the file up, hence the file calls."""

    def start_large_file(
        self,
        bucket_id: str,
        file_name: str,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        """Start a large file. If an attempt's answer was lost and the call was resent, the
        unfinished large files that the lost attempts made are cancelled."""
        require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        body = {
            "bucketId": bucket_id,
            "fileName": file_name,
            "contentType": content_type,
            "fileInfo": validate_file_info(file_info) if file_info is not None else None,
            "fileRetention": validate_file_retention(file_retention),
            "legalHold": validate_legal_hold(legal_hold),
            "serverSideEncryption": server_side_encryption,
        }
        call = Tracked()
        started = self._post(
            FileVersion, "b2_start_large_file", body, http, http_override, tracked=call
        )
        if call.maybe_acted:
            self._cancel_extra_starts(started, call.elapsed())
        return started

    def _cancel_extra_starts(self, kept: FileVersion, elapsed: float) -> None:
        try:
            listed = self.list_unfinished_large_files(
                kept["bucketId"], name_prefix=kept["fileName"], max_file_count=100
            )["files"]
        except B2Error as exc:
            logger.warning("could not look for extra unfinished large files: %s", exc)
            return
        remove_extras(
            "unfinished large file",
            extras(listed, kept, elapsed),
            lambda extra: self.cancel_large_file(str(extra["fileId"])),
        )

    def get_upload_part_url(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> UploadPartUrl:
        require_id("file_id", file_id)
        body = {"fileId": file_id}
        return self._post(UploadPartUrl, "b2_get_upload_part_url", body, http, http_override)

    def upload_part(
        self,
        file_id: str,
        part_number: int,
        data: Data,
        *,
        content_length: int | None = None,
        content_sha1: str | None = None,
        upload_url: str | None = None,
        authorization_token: str | None = None,
        progress: ProgressCallback | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Part:
        """Upload one part; same URL pooling and retry rules as :meth:`upload_file`.

        ``content_sha1="hex_digits_at_end"`` sends ``data`` as it is, which must already end
        with the 40 hex digits of the SHA-1 of the bytes before them (``content_length``
        counts them too; progress does not).
        """
        require_id("file_id", file_id)
        validate_part_number(part_number)
        check_explicit_url(upload_url, authorization_token)
        # The upload engine hands over a ready Payload (one that hashes while it sends).
        payload = (
            data
            if isinstance(data, Payload)
            else Payload(data, content_length, content_sha1, progress)
        )
        headers = raw.part_headers(
            part_number, payload.wire_length, payload.sha1, server_side_encryption
        )
        part: Part = self._send_upload(
            payload,
            headers,
            http,
            http_override,
            explicit=(upload_url, authorization_token),
            pool=self._part_urls,
            key=file_id,
            fetch=partial(self.get_upload_part_url, file_id),
        )
        return part

    def copy_part(
        self,
        source_file_id: str,
        large_file_id: str,
        part_number: int,
        *,
        range: RangeArg = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Part:
        require_id("source_file_id", source_file_id)
        require_id("large_file_id", large_file_id)
        validate_part_number(part_number)
        body = {
            "sourceFileId": source_file_id,
            "largeFileId": large_file_id,
            "partNumber": part_number,
            "range": range_header(range),
        }
        return self._post(Part, "b2_copy_part", body, http, http_override)

    def finish_large_file(
        self,
        file_id: str,
        part_sha1_array: list[str],
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        require_id("file_id", file_id)
        sha1s = list(part_sha1_array)
        if not sha1s:
            raise B2ValidationError(
                "part_sha1_array is empty; a large file needs its parts' SHA-1s"
            )
        bad = [s for s in sha1s if not isinstance(s, str) or not SHA1_HEX.fullmatch(s)]
        if bad:
            raise B2ValidationError(
                f"part_sha1_array holds values that are not 40 hex digits: {bad[:3]!r}"
            )
        body = {"fileId": file_id, "partSha1Array": sha1s}
        call = Tracked()
        try:
            result = self._post(
                FileVersion, "b2_finish_large_file", body, http, http_override, tracked=call
            )
        except (B2BadRequest, B2NotFound):
            # A resend after a lost answer finds the file no longer unfinished: if it is now a
            # finished file, the lost attempt finished it.
            finished = self._finished(file_id) if call.maybe_acted else None
            if finished is None:
                raise
            result = finished
        self._part_urls.drop(file_id)
        return result

    def _finished(self, file_id: str) -> FileVersion | None:
        try:
            info = self.get_file_info(file_id)
        except B2Error:
            return None
        return info if info.get("action") == "upload" else None

    def cancel_large_file(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> CancelLargeFileResponse:
        """Cancel an unfinished large file; B2 answers with its ids and name.

        The file is read first (one ``b2_get_file_info``, if this key may read files): when an
        attempt's answer is lost and the resend hears ``bad_request`` (B2's answer for a file id
        that is no unfinished large file) while a second read finds no file with this id, the
        lost attempt cancelled it, and its ids and name as read before the call are returned.
        A file that was not an unfinished large file before the call still raises.
        """
        require_id("file_id", file_id)
        body = {"fileId": file_id}
        info = partial(self._file_or_none, file_id, http, http_override)
        before = read_before(info)
        call = Tracked()
        try:
            result = self._post(
                CancelLargeFileResponse,
                "b2_cancel_large_file",
                body,
                http,
                http_override,
                tracked=call,
            )
        except B2BadRequest as exc:
            if exc.code != "bad_request" or not call.maybe_acted or before is None:
                raise
            if before.get("action") != "start" or not confirmed(lambda: info() is None):
                raise
            logger.info("large file %s was cancelled by an attempt whose answer was lost", file_id)
            result = {"fileId": file_id, "fileName": before["fileName"]}
            for field in ("accountId", "bucketId"):  # what B2's answer holds, as read
                if field in before:
                    result[field] = before[field]
        self._part_urls.drop(file_id)
        return result

    def _file_or_none(
        self, file_id: str, http: HttpOptions | None, http_override: HttpOptions | None
    ) -> FileVersion | None:
        try:
            return self.get_file_info(file_id, http=http, http_override=http_override)
        except B2NotFound:
            return None

    def list_parts(
        self,
        file_id: str,
        *,
        start_part_number: int | None = None,
        max_part_count: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListPartsResponse:
        require_id("file_id", file_id)
        if start_part_number is not None:
            validate_part_number(start_part_number)
        if max_part_count is not None:
            validate_count("max_part_count", max_part_count, 1000)
        body = {
            "fileId": file_id,
            "startPartNumber": start_part_number,
            "maxPartCount": max_part_count,
        }
        return self._post(ListPartsResponse, "b2_list_parts", body, http, http_override)

    def list_unfinished_large_files(
        self,
        bucket_id: str,
        *,
        name_prefix: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListUnfinishedLargeFilesResponse:
        require_id("bucket_id", bucket_id)
        if name_prefix is not None:
            validate_prefix(name_prefix, "name_prefix")
        if max_file_count is not None:
            validate_count("max_file_count", max_file_count, 100)
        body = {
            "bucketId": bucket_id,
            "namePrefix": name_prefix,
            "startFileId": start_file_id,
            "maxFileCount": max_file_count,
        }
        return self._post(
            ListUnfinishedLargeFilesResponse,
            "b2_list_unfinished_large_files",
            body,
            http,
            http_override,
        )
