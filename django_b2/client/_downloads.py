"""Download calls of ``B2Client``: download authorization, signed URLs, streamed downloads.

Downloads go by name or by file id; a broken stream reopens where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import requests

from . import _raw as raw
from ._auth import AccountAuthorization
from ._buckets import BucketCalls
from ._core import require_id
from ._download import DownloadedFile
from ._download_headers import parse_content_range
from ._progress import ProgressCallback
from ._signing import download_url_by_id, download_url_by_name, override_params
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
        return self._download_authorization(
            bucket_id, file_name_prefix, valid_duration_in_seconds, overrides, http, http_override
        )

    def _download_authorization(
        self,
        bucket_id: str,
        file_name_prefix: str,
        valid_duration_in_seconds: int,
        overrides: Mapping[str, str],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
    ) -> DownloadAuthorization:
        """``overrides`` maps B2's parameter names (``b2ContentDisposition``, ...) to values."""
        body = {
            "bucketId": bucket_id,
            "fileNamePrefix": file_name_prefix,
            "validDurationInSeconds": valid_duration_in_seconds,
            **overrides,
        }
        return self._post(
            DownloadAuthorization, "b2_get_download_authorization", body, http, http_override
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
        minted = self._download_authorization(
            bucket_id, file_name, valid_duration_in_seconds, params, None, None
        )
        token = minted["authorizationToken"]
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
        return self._download(
            partial(download_url_by_name, bucket_name=bucket_name, file_name=file_name),
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
            partial(download_url_by_id, file_id=file_id),
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
        url_for: Callable[..., str],
        authorization: str | None,
        b2_overrides: Mapping[str, str | None],
        http: HttpOptions | None,
        http_override: HttpOptions | None,
        range: RangeArg,
        progress: ProgressCallback | None,
        verify: bool,
    ) -> DownloadedFile:
        """Open ``url_for(download_url, **overrides)`` (by name or by id) as a
        :class:`DownloadedFile`.

        The account token (re-authorized on expiry) unless ``authorization`` (a download
        token) is given; a broken stream reopens with a ``Range`` from where it stopped.
        """
        overrides = override_params(b2_overrides)

        def open_at(header: str | None) -> requests.Response:
            def run(auth: AccountAuthorization) -> requests.Response:
                url = url_for(auth.download_url, **overrides)
                token = authorization or auth.authorization_token
                return raw.download(
                    self._transport, "GET", url, token, header, True, http, http_override
                )

            return self._call(run, reauth=authorization is None)

        response = open_at(range_header(range))
        served = parse_content_range(response.headers.get("Content-Range"))
        last = str(served[1]) if served else ""

        def reopen(offset: int) -> requests.Response:
            # ``offset`` is the absolute byte to continue from; keep the original end.
            return open_at(f"bytes={offset}-{last}")

        return DownloadedFile(response, reopen=reopen, verify=verify, progress=progress)
