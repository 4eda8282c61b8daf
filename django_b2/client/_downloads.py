"""Download calls of ``B2Client``: download authorization, signed URLs and streamed downloads by
name or id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import requests

from . import _raw as raw
from . import _raw_transfers as transfers
from ._auth import AccountAuthorization
from ._buckets import BucketCalls
from ._core import require_id
from ._download import DownloadedFile
from ._progress import ProgressCallback
from ._signing import download_url_by_name, override_params
from ._transport import HttpOptions
from ._types import DownloadAuthorization
from ._validation import (
    RangeArg,
    range_header,
    validate_bucket_name,
    validate_download_duration,
    validate_file_name,
    validate_prefix,
)

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


class DownloadCalls(BucketCalls):
    """Download calls (mixed into :class:`~django_b2.client.B2Client`); signed URLs look the
    bucket id up by name, hence the bucket calls."""

    def get_download_authorization(
        self,
        bucket_id: str,
        file_name_prefix: str,
        valid_duration_in_seconds: int,
        *,
        b2_content_disposition: str | None = None,
        b2_content_language: str | None = None,
        b2_expires: str | None = None,
        b2_cache_control: str | None = None,
        b2_content_encoding: str | None = None,
        b2_content_type: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> DownloadAuthorization:
        require_id("bucket_id", bucket_id)
        validate_prefix(file_name_prefix, "file_name_prefix")
        validate_download_duration(valid_duration_in_seconds)
        overrides = override_params(
            {
                "b2_content_disposition": b2_content_disposition,
                "b2_content_language": b2_content_language,
                "b2_expires": b2_expires,
                "b2_cache_control": b2_cache_control,
                "b2_content_encoding": b2_content_encoding,
                "b2_content_type": b2_content_type,
            }
        )
        return self._api(
            raw.get_download_authorization,
            http,
            http_override,
            bucket_id=bucket_id,
            file_name_prefix=file_name_prefix,
            valid_duration_in_seconds=valid_duration_in_seconds,
            overrides=overrides,
        )

    def signed_download_url(
        self,
        bucket_name: str,
        file_name: str,
        *,
        bucket_id: str | None = None,
        valid_duration_in_seconds: int,
        **b2_overrides: str | None,
    ) -> str:
        """A URL that downloads ``file_name`` without further credentials until it expires.

        Mints a download authorization for exactly this name (``bucket_id`` is looked up from
        ``bucket_name`` when not given) and repeats the overrides in the URL, as B2 requires.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)
        validate_download_duration(valid_duration_in_seconds)
        params = override_params(b2_overrides)  # validate names before any request
        if bucket_id is None:
            bucket_id = self.get_bucket(bucket_name=bucket_name)["bucketId"]
        token = self._api(
            raw.get_download_authorization,
            None,
            None,
            bucket_id=bucket_id,
            file_name_prefix=file_name,
            valid_duration_in_seconds=valid_duration_in_seconds,
            overrides=params,
        )["authorizationToken"]
        return download_url_by_name(
            self.authorization.download_url,
            bucket_name,
            file_name,
            authorization=token,
            **params,
        )

    def download_file_by_name(
        self,
        bucket_name: str,
        file_name: str,
        *,
        range: RangeArg = None,
        authorization: str | None = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        **b2_overrides: str | None,
    ) -> DownloadedFile:
        """Start a streamed download of the newest version of a name.

        ``authorization`` is a download-authorization token to use instead of the account token.
        """
        validate_bucket_name(bucket_name)
        validate_file_name(file_name)
        target = {"bucket_name": bucket_name, "file_name": file_name}
        return self._download(
            transfers.download_file_by_name,
            target,
            authorization,
            b2_overrides,
            http,
            http_override,
            range,
            progress,
            verify,
        )

    def download_file_by_id(
        self,
        file_id: str,
        *,
        range: RangeArg = None,
        authorization: str | None = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
        **b2_overrides: str | None,
    ) -> DownloadedFile:
        """Start a streamed download of one exact file version."""
        require_id("file_id", file_id)
        return self._download(
            transfers.download_file_by_id,
            {"file_id": file_id},
            authorization,
            b2_overrides,
            http,
            http_override,
            range,
            progress,
            verify,
        )

    def _download(
        self,
        raw_download: Callable[..., requests.Response],
        target: dict[str, str],
        authorization: str | None,
        b2_overrides: Mapping[str, str | None],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
        range: RangeArg,
        progress: ProgressCallback | None,
        verify: bool,
    ) -> DownloadedFile:
        """Open ``raw_download(..., **target)`` (by name or by id) as a :class:`DownloadedFile`.

        The account token (re-authorized on expiry) unless ``authorization`` (a download
        token) is given; a broken stream reopens with a ``Range`` from where it stopped.
        """
        overrides = override_params(b2_overrides)

        def open_at(header: str | None) -> requests.Response:
            def run(auth: AccountAuthorization) -> requests.Response:
                return raw_download(
                    self._transport,
                    auth.download_url,
                    authorization or auth.authorization_token,
                    range_header=header,
                    overrides=overrides,
                    http=http,
                    http_override=http_override,
                    **target,
                )

            return self._call(run, reauth=authorization is None)

        response = open_at(range_header(range))
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        last = match.group(2) if match else ""

        def reopen(offset: int) -> requests.Response:
            # ``offset`` is the absolute byte to continue from; keep the original end.
            return open_at(f"bytes={offset}-{last}")

        return DownloadedFile(response, reopen=reopen, verify=verify, progress=progress)
