"""Upload and download requests: headers in, bodies streamed, Range, HEAD."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from . import shapes
from .blobs import pieces
from .bodies import ClientGone, DropConnection, receive
from .cors import CorsMixin
from .errors import ApiError, bad_request, not_found
from .file_rules import MAX_PART_NUMBER, MAX_PART_SIZE, check_sha1_header, percent_decode
from .http_base import OVERRIDES, decode_json
from .protection_rules import check_customer_key, check_sse
from .records import AccountToken, FileVersion, Key
from .uploads import UploadPlan


class TransfersMixin(CorsMixin):
    """Uploads (files and parts) streamed to disk, downloads streamed from disk."""

    def _upload(self, method: str, endpoint: str, path_id: str | None) -> None:
        length = self.body_left
        app = self.app
        if method != "POST" or path_id is None:
            raise ApiError(
                405 if path_id else 404,
                "method_not_allowed" if path_id else "not_found",
                "uploads are POST <uploadUrl>",
            )
        is_part = endpoint == "b2_upload_part"
        cors = self._cors_for_upload(endpoint, path_id)
        # refused from its Content-Length alone, before any byte of the body is read
        largest = (MAX_PART_SIZE if is_part else app.max_simple_file_size) + 40
        if length > largest:
            kind = "a part" if is_part else "a simple upload"
            self._send_error(
                bad_request(f"Content-Length {length} is too big for {kind}; use a large file"),
                cors,
            )
            return
        try:
            key, token = app.state.begin_upload(
                self.headers.get("Authorization"),
                bucket_id=None if is_part else path_id,
                large_file_id=path_id if is_part else None,
            )
        except ApiError as error:
            self._send_error(error, cors)
            return
        self.body_trusted = True  # a valid upload token: a refused body is drained, any size
        failed = False
        ended = False  # the token is released before the answer goes out (see below)
        try:
            modes = self._test_modes()
            app.faults.cap_exceeded(modes, "storage_cap_exceeded")
            app.faults.upload(modes)
            sha1_mode = check_sha1_header(self.headers.get("X-Bz-Content-Sha1"))
            content_size = length - 40 if sha1_mode == "hex_digits_at_end" else length
            if is_part:
                number = self._part_number()
                if content_size > MAX_PART_SIZE:
                    raise bad_request("a part must be at most 5 GB")
                if content_size < 1:
                    raise bad_request("a part must be at least 1 byte")
                app.state.unfinished(key, path_id)
            else:
                if content_size > app.max_simple_file_size:
                    raise bad_request(
                        f"file is bigger than {app.max_simple_file_size} bytes; use a large file"
                    )
                plan = self._plan_from_headers(key, path_id)
            drop_at = length // 2 if app.faults.drop_connection() else None
            temp = app.state.blobs.new_temp_path()
            self.body_left = 0  # receive() consumes the body or the connection dies
            received = receive(self.rfile, length, sha1_mode, temp, drop_at=drop_at)
            if is_part:
                part = app.state.commit_part(path_id, number, received)
                body = shapes.part(part)
            else:
                version = app.state.commit_upload(plan, received)
                body = shapes.file(version, app.state.account_id, key)
            # Release the token before answering: a client reuses the URL as soon as it reads
            # the answer, and must not find it still busy (spurious 400 auth_token_limit).
            app.state.end_upload(token, failed=False)
            ended = True
            self._send_json(200, body, cors)
        except ApiError as error:
            failed = error.status >= 500
            if not ended:
                app.state.end_upload(token, failed=failed)
                ended = True
            self._send_error(error, cors)
        except (DropConnection, ClientGone):
            failed = True
            raise
        finally:
            if not ended:
                app.state.end_upload(token, failed=failed)

    def _part_number(self) -> int:
        raw = self.headers.get("X-Bz-Part-Number")
        try:
            number = int(raw or "")
        except ValueError as exc:
            raise bad_request("X-Bz-Part-Number must be an integer from 1 to 10000") from exc
        if not 1 <= number <= MAX_PART_NUMBER:
            raise bad_request("X-Bz-Part-Number must be from 1 to 10000")
        return number

    def _plan_from_headers(self, key: Key, bucket_id: str) -> UploadPlan:
        headers = self.headers
        raw_name = headers.get("X-Bz-File-Name")
        if raw_name is None:
            raise bad_request("X-Bz-File-Name header is required")
        name = percent_decode(raw_name, what="X-Bz-File-Name")
        for forbidden in (
            "Content-Disposition",
            "Content-Encoding",
            "Content-Language",
            "Content-Location",
            "Content-Range",
            "Expires",
        ):
            if headers.get(forbidden) is not None:
                raise bad_request(
                    f"do not send {forbidden}; use X-Bz-Info-b2-{forbidden.lower()} instead"
                )
        info: dict[str, str] = {}
        for header, value in headers.items():
            if header.lower().startswith("x-bz-info-"):
                info_key = header[len("x-bz-info-") :]
                info[info_key] = percent_decode(value, what=header)
        retention: dict[str, Any] | None = None
        mode = headers.get("X-Bz-File-Retention-Mode")
        until = headers.get("X-Bz-File-Retention-Retain-Until-Timestamp")
        if (mode is None) != (until is None):
            raise bad_request("send both X-Bz-File-Retention-Mode and ...-Retain-Until-Timestamp")
        if mode is not None and until is not None:
            try:
                retention = {"mode": mode, "retainUntilTimestamp": int(until)}
            except ValueError as exc:
                raise bad_request("X-Bz-File-Retention-Retain-Until-Timestamp must be ms") from exc
        sse: dict[str, Any] = {"mode": None, "algorithm": None}
        if headers.get("X-Bz-Server-Side-Encryption"):
            sse = check_sse(
                {"mode": "SSE-B2", "algorithm": headers["X-Bz-Server-Side-Encryption"]},
                bucket_default=False,
            )
        elif headers.get("X-Bz-Server-Side-Encryption-Customer-Algorithm"):
            sse = check_sse(self._customer_key_headers(), bucket_default=False)
        timestamp = headers.get("X-Bz-Custom-Upload-Timestamp")
        try:
            custom = int(timestamp) if timestamp is not None else None
        except ValueError as exc:
            raise bad_request("X-Bz-Custom-Upload-Timestamp must be ms") from exc
        return self.app.state.plan_upload(
            key,
            bucket_id,
            name=name,
            content_type=headers.get("Content-Type"),
            info=info,
            retention=retention,
            legal_hold=headers.get("X-Bz-File-Legal-Hold"),
            sse=sse,
            upload_timestamp=custom,
        )

    def _download(self, query: str, *, by_name: str | None = None, by_id: bool = False) -> None:
        body = self._read_body()
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if by_id and body.strip():
            decoded = decode_json(body)
            if isinstance(decoded, dict):
                params.update({k: str(val) for k, val in decoded.items() if val is not None})
        token = self.headers.get("Authorization") or params.get("Authorization")
        overrides = {name: params[name] for name in OVERRIDES if name in params}
        state = self.app.state
        bucket_name: str | None = None
        file_name: str | None = None
        if by_name is not None:
            bucket_name, _, raw_name = by_name.partition("/")
            file_name = percent_decode(raw_name, what="file name")
            if not raw_name:
                raise not_found("no file name in the URL")
        elif not params.get("fileId"):
            raise bad_request("fileId is required")
        bucket_for_cors = state.bucket_by_name(bucket_name) if bucket_name else None
        operation = "b2_download_file_by_name" if by_name is not None else "b2_download_file_by_id"
        cors = self._cors_headers(bucket_for_cors, operation) if bucket_for_cors else {}
        try:
            self.app.faults.cap_exceeded(self._test_modes(), "download_cap_exceeded")
            auth = state.authenticate_download(token) if token else None
            if auth is not None and isinstance(auth[1], AccountToken):
                self._check_token_faults(auth[1])
            version, bucket = state.resolve_download(
                auth,
                bucket_name=bucket_name,
                file_name=file_name,
                file_id=params.get("fileId") if by_name is None else None,
                overrides=overrides,
            )
            check_customer_key(version.sse, self._customer_key_headers())
        except ApiError as error:
            self._send_error(error, cors)
            return
        if by_name is None:
            cors = self._cors_headers(bucket, operation)
        caller = auth[0] if auth is not None else None
        headers = shapes.download_headers(version, bucket, caller, overrides)
        headers.update(cors)
        self._serve_body(version, headers)

    def _customer_key_headers(self) -> dict[str, Any] | None:
        algorithm = self.headers.get("X-Bz-Server-Side-Encryption-Customer-Algorithm")
        if algorithm is None:
            return None
        return {
            "mode": "SSE-C",
            "algorithm": algorithm,
            "customerKey": self.headers.get("X-Bz-Server-Side-Encryption-Customer-Key"),
            "customerKeyMd5": self.headers.get("X-Bz-Server-Side-Encryption-Customer-Key-Md5"),
        }

    def _parse_range(self, size: int) -> tuple[int, int] | None:
        raw = self.headers.get("Range")
        if raw is None:
            return None
        match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", raw)
        if match is None or (match.group(1) == "" and match.group(2) == ""):
            return None  # RFC 9110: ignore a Range we do not understand
        first, last = match.group(1), match.group(2)
        if first == "":
            suffix = int(last)
            if suffix == 0 or size == 0:
                raise ApiError(416, "range_not_satisfiable", f"range {raw} is empty")
            return max(size - suffix, 0), size - 1
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None  # invalid: ignored like any Range we do not understand
        if start >= size:
            raise ApiError(416, "range_not_satisfiable", f"range {raw} starts at or after {size}")
        return start, min(end, size - 1)

    def _serve_body(self, version: FileVersion, headers: dict[str, str]) -> None:
        size = version.content_length
        try:
            byte_range = self._parse_range(size)
        except ApiError as error:
            self._send_error(error, {"Content-Range": f"bytes */{size}"})
            return
        if byte_range is None:
            status, start, end = 200, 0, size - 1
        else:
            status, (start, end) = 206, byte_range
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = end - start + 1 if size else 0
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD" or length == 0:
            return
        drop_after = length // 2 if self.app.faults.drop_connection() else None
        limit = length if drop_after is None else drop_after
        self._send_segments(version, start, limit)
        if drop_after is not None:
            self._drop()

    def _send_segments(self, version: FileVersion, start: int, count: int) -> None:
        for segment, offset, take in pieces(self.app.state.segments(version), start, count):
            if segment.path is None:
                self.wfile.write(self.app.state.segment_data(segment)[offset : offset + take])
            else:
                with open(segment.path, "rb") as source:
                    sent = self.connection.sendfile(source, offset, take)
                if sent != take:
                    raise ClientGone("short sendfile")
