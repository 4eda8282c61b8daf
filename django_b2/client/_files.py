"""File calls of ``B2Client``: upload, list, hide, get info, delete, copy, retention, legal hold."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from . import _raw as raw
from ._auth import AccountAuthorization
from ._body import Data, Payload
from ._core import ClientCore, require_id
from ._download_headers import file_info_by_name
from ._limits import MAX_LIST_COUNT
from ._resend import Tracked, extras, remove_extras
from ._signing import download_url_by_name
from ._transport import HttpOptions
from ._types import (
    DeleteFileVersionResponse,
    FileInfoByName,
    FileLegalHoldResponse,
    FileRetentionResponse,
    FileVersion,
    ListFileNamesResponse,
    ListFileVersionsResponse,
    UploadUrl,
)
from ._upload_urls import check_explicit_url
from ._validation import (
    RangeArg,
    range_header,
    validate_bucket_name,
    validate_count,
    validate_file_info,
    validate_file_name,
    validate_file_retention,
    validate_legal_hold,
    validate_prefix,
)
from .errors import B2BadRequest, B2Error, B2NotFound, B2ValidationError

if TYPE_CHECKING:
    from ._progress import ProgressCallback


logger = logging.getLogger("django_b2.client")


class FileCalls(ClientCore):
    """File calls (mixed into :class:`~django_b2.client.B2Client`)."""

    def get_upload_url(
        self,
        bucket_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> UploadUrl:
        require_id("bucket_id", bucket_id)
        return self._post(
            UploadUrl, "b2_get_upload_url", {"bucketId": bucket_id}, http, http_override
        )

    def upload_file(
        self,
        bucket_id: str,
        file_name: str,
        data: Data,
        *,
        content_type: str = "b2/x-auto",
        content_length: int | None = None,
        content_sha1: str | None = None,
        file_info: Mapping[str, str] | None = None,
        server_side_encryption: Mapping[str, Any] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        upload_url: str | None = None,
        authorization_token: str | None = None,
        progress: ProgressCallback | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        """Upload ``data`` (bytes or a binary file object, read from its current position).

        ``http``/``http_override`` apply to the upload request itself, not to the
        ``b2_get_upload_url`` calls made on the way. A failed upload is resent to a fresh URL
        (B2's rule); if an attempt's answer was lost, the version it may have made is deleted
        once the resend succeeded.
        """
        require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        if not isinstance(content_type, str) or not content_type:
            raise B2ValidationError("content_type must be a MIME type such as 'text/plain'")
        info = validate_file_info(file_info)
        retention = validate_file_retention(file_retention)
        hold = validate_legal_hold(legal_hold)
        check_explicit_url(upload_url, authorization_token)
        payload = Payload(data, content_length, content_sha1, progress)
        headers = raw.upload_headers(
            file_name=file_name,
            content_type=content_type,
            content_length=payload.wire_length,
            content_sha1=payload.sha1,
            file_info=info,
            server_side_encryption=server_side_encryption,
            file_retention=retention,
            legal_hold=hold,
        )
        tracked = Tracked()
        version: FileVersion = self._send_upload(
            payload,
            headers,
            http,
            http_override,
            explicit=(upload_url, authorization_token),
            pool=self._upload_urls,
            key=bucket_id,
            fetch=partial(self.get_upload_url, bucket_id),
            tracked=tracked,
        )
        if tracked.maybe_acted:
            self._delete_extra_versions(version, tracked.elapsed())
        return version

    def _delete_extra_versions(self, kept: FileVersion, elapsed: float) -> None:
        """Delete the versions of ``kept``'s name that attempts with lost answers made."""
        name = kept["fileName"]
        try:
            listed = self.list_file_versions(
                kept["bucketId"], start_file_name=name, prefix=name, max_file_count=100
            )["files"]
        except B2Error as exc:
            logger.warning("could not look for extra versions of %r: %s", name[:100], exc)
            return
        remove_extras(
            "version",
            extras(listed, kept, elapsed),
            lambda extra: self.delete_file_version(str(extra["fileName"]), str(extra["fileId"])),
        )

    def list_file_names(
        self,
        bucket_id: str,
        *,
        start_file_name: str | None = None,
        max_file_count: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListFileNamesResponse:
        _check_listing(bucket_id, start_file_name, max_file_count, prefix, delimiter)
        body = {
            "bucketId": bucket_id,
            "startFileName": start_file_name,
            "maxFileCount": max_file_count,
            "prefix": prefix,
            "delimiter": delimiter,
        }
        return self._post(ListFileNamesResponse, "b2_list_file_names", body, http, http_override)

    def list_file_versions(
        self,
        bucket_id: str,
        *,
        start_file_name: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListFileVersionsResponse:
        _check_listing(bucket_id, start_file_name, max_file_count, prefix, delimiter)
        if start_file_id is not None and start_file_name is None:
            raise B2ValidationError(
                "start_file_id only works together with start_file_name; pass both"
            )
        body = {
            "bucketId": bucket_id,
            "startFileName": start_file_name,
            "startFileId": start_file_id,
            "maxFileCount": max_file_count,
            "prefix": prefix,
            "delimiter": delimiter,
        }
        return self._post(
            ListFileVersionsResponse, "b2_list_file_versions", body, http, http_override
        )

    def iter_file_names(
        self,
        bucket_id: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        page_size: int = 1000,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Iterator[FileVersion]:
        """Every current file (and ``folder`` entry with a delimiter), fetched page by page."""
        listing = partial(self.list_file_names, http=http, http_override=http_override)
        return _walk_pages(listing, bucket_id, prefix, delimiter, page_size)

    def iter_file_versions(
        self,
        bucket_id: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        page_size: int = 1000,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> Iterator[FileVersion]:
        """Every file version (newest first per name), fetched page by page."""
        listing = partial(self.list_file_versions, http=http, http_override=http_override)
        return _walk_pages(listing, bucket_id, prefix, delimiter, page_size)

    def hide_file(
        self,
        bucket_id: str,
        file_name: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        require_id("bucket_id", bucket_id)
        validate_file_name(file_name)
        body = {"bucketId": bucket_id, "fileName": file_name}
        call = Tracked()
        try:
            return self._post(FileVersion, "b2_hide_file", body, http, http_override, tracked=call)
        except B2BadRequest as exc:
            # A resend after a lost answer hears ``already_hidden``: the lost attempt hid it.
            if exc.code != "already_hidden" or not call.maybe_acted:
                raise
            newest = self.list_file_versions(
                bucket_id, start_file_name=file_name, prefix=file_name, max_file_count=1
            )["files"]
            if not newest or newest[0]["fileName"] != file_name or newest[0]["action"] != "hide":
                raise
            return newest[0]

    def get_file_info(
        self,
        file_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        require_id("file_id", file_id)
        return self._post(FileVersion, "b2_get_file_info", {"fileId": file_id}, http, http_override)

    def get_file_info_by_name(
        self,
        bucket_name: str,
        file_name: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileInfoByName:
        """``HEAD`` the newest version of a name: file-version fields plus ``headers``.

        Raises :class:`B2NotFound` when the name is absent or hidden.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)

        def run(auth: AccountAuthorization) -> FileInfoByName:
            url = download_url_by_name(auth.download_url, bucket_name, file_name)
            token = auth.authorization_token
            response = raw.download(
                self._transport, "HEAD", url, token, None, False, http, http_override
            )
            response.close()
            return file_info_by_name(response.headers)

        return self._call(run)

    def delete_file_version(
        self,
        file_name: str,
        file_id: str,
        *,
        bypass_governance: bool = False,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> DeleteFileVersionResponse:
        validate_file_name(file_name)
        require_id("file_id", file_id)
        body = {
            "fileName": file_name,
            "fileId": file_id,
            "bypassGovernance": True if bypass_governance else None,
        }
        call = Tracked()
        try:
            return self._post(
                DeleteFileVersionResponse,
                "b2_delete_file_version",
                body,
                http,
                http_override,
                tracked=call,
            )
        except B2NotFound:
            if not call.maybe_acted:
                raise
            # A resend after a lost answer: the version is gone, as asked.
            return {"fileId": file_id, "fileName": file_name}

    def copy_file(
        self,
        source_file_id: str,
        file_name: str,
        *,
        destination_bucket_id: str | None = None,
        range: RangeArg = None,
        metadata_directive: str | None = None,
        content_type: str | None = None,
        file_info: Mapping[str, str] | None = None,
        file_retention: Mapping[str, Any] | None = None,
        legal_hold: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileVersion:
        """Server-side copy (≤ 5 GB). ``metadata_directive``: ``"COPY"`` (default) or ``"REPLACE"``
        (then ``content_type`` is required and ``file_info`` is used). If an attempt's answer was
        lost and the call was resent, the copies the lost attempts made are deleted."""
        require_id("source_file_id", source_file_id)
        validate_file_name(file_name)
        if destination_bucket_id is not None:
            require_id("destination_bucket_id", destination_bucket_id)
        directive = metadata_directive.upper() if metadata_directive is not None else None
        if directive not in (None, "COPY", "REPLACE"):
            raise B2ValidationError(
                f"metadata_directive {metadata_directive!r} is invalid; use 'COPY' or 'REPLACE'"
            )
        if directive == "REPLACE" and not content_type:
            raise B2ValidationError("metadata_directive='REPLACE' needs content_type=...")
        if directive != "REPLACE" and (content_type is not None or file_info is not None):
            raise B2ValidationError(
                "content_type and file_info are only used with metadata_directive='REPLACE'; "
                "add it or drop them"
            )
        body = {
            "sourceFileId": source_file_id,
            "fileName": file_name,
            "destinationBucketId": destination_bucket_id,
            "range": range_header(range),
            "metadataDirective": directive,
            "contentType": content_type,
            "fileInfo": validate_file_info(file_info) if file_info is not None else None,
            "fileRetention": validate_file_retention(file_retention),
            "legalHold": validate_legal_hold(legal_hold),
        }
        call = Tracked()
        copied = self._post(FileVersion, "b2_copy_file", body, http, http_override, tracked=call)
        if call.maybe_acted:
            self._delete_extra_versions(copied, call.elapsed())
        return copied

    def update_file_retention(
        self,
        file_name: str,
        file_id: str,
        file_retention: Mapping[str, Any],
        *,
        bypass_governance: bool = False,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileRetentionResponse:
        validate_file_name(file_name)
        require_id("file_id", file_id)
        retention = validate_file_retention(file_retention)
        if retention is None:
            raise B2ValidationError(
                "file_retention is required; pass {'mode': None} to remove a retention"
            )
        body = {
            "fileName": file_name,
            "fileId": file_id,
            "fileRetention": retention,
            "bypassGovernance": True if bypass_governance else None,
        }
        return self._post(
            FileRetentionResponse, "b2_update_file_retention", body, http, http_override
        )

    def update_file_legal_hold(
        self,
        file_name: str,
        file_id: str,
        legal_hold: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> FileLegalHoldResponse:
        validate_file_name(file_name)
        require_id("file_id", file_id)
        hold = validate_legal_hold(legal_hold)
        if hold is None:
            raise B2ValidationError("legal_hold is required; use 'on' or 'off'")
        body = {"fileName": file_name, "fileId": file_id, "legalHold": hold}
        return self._post(
            FileLegalHoldResponse, "b2_update_file_legal_hold", body, http, http_override
        )


def _check_listing(
    bucket_id: str,
    start_file_name: str | None,
    max_file_count: int | None,
    prefix: str | None,
    delimiter: str | None,
) -> None:
    require_id("bucket_id", bucket_id)
    if start_file_name is not None:
        validate_file_name(start_file_name, "start_file_name")
    if max_file_count is not None:
        validate_count("max_file_count", max_file_count, MAX_LIST_COUNT)
    if prefix is not None:
        validate_prefix(prefix)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise B2ValidationError(
            f"delimiter must be a single character such as '/', not {delimiter!r}"
        )


#: B2's "next page" fields and the listing arguments they feed.
_CURSOR = {"nextFileName": "start_file_name", "nextFileId": "start_file_id"}


def _walk_pages(
    listing: Callable[..., Any],
    bucket_id: str,
    prefix: str | None,
    delimiter: str | None,
    page_size: int,
) -> Iterator[FileVersion]:
    """The ``files`` of every page of ``listing``, fetched as they are needed; the arguments are
    checked now, before the first request."""
    _check_listing(bucket_id, None, page_size, prefix, delimiter)
    return _pages(
        partial(listing, bucket_id, max_file_count=page_size, prefix=prefix, delimiter=delimiter)
    )


def _pages(list_page: Callable[..., Any]) -> Iterator[FileVersion]:
    """Each page starts where the last one's ``next*`` fields point."""
    cursor: dict[str, Any] = {}
    while True:
        page = list_page(**cursor)
        yield from page["files"]
        if page["nextFileName"] is None:
            return
        cursor = {arg: page[key] for key, arg in _CURSOR.items() if key in page}
