"""HTTP for the emulator: routes, request parsing, responses. No storage logic here."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from . import shapes
from . import validation as v
from .bodies import ClientGone, DropConnection, drain, receive
from .errors import ApiError, bad_request, not_found
from .faults import TEST_MODE_EXPIRE_TOKENS
from .records import AccountToken, Bucket, FileVersion, Key

if TYPE_CHECKING:
    from .app import Emulator

_API_PATH = re.compile(r"/b2api/v([234])/(b2_[a-z_]+)(?:/([^/]+)(?:/[^/]*)?)?")
_JSON_TYPE = "application/json;charset=UTF-8"
_INT_FIELDS = frozenset(
    {
        "maxFileCount",
        "maxKeyCount",
        "maxPartCount",
        "startPartNumber",
        "validDurationInSeconds",
        "ifRevisionIs",
        "partNumber",
    }
)
_BOOL_FIELDS = frozenset({"bypassGovernance", "fileLockEnabled"})
_LIST_FIELDS = frozenset({"bucketTypes", "capabilities", "bucketIds", "partSha1Array"})
_OVERRIDES = tuple(shapes.OVERRIDE_HEADERS)
_DOWNLOAD_OPS = {"GET", "HEAD", "POST"}

Method = Callable[["Handler", int, Key, dict[str, Any]], dict[str, Any]]


def _query_params(query: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, raw in urllib.parse.parse_qsl(query, keep_blank_values=True):
        value: Any = raw
        if name in _INT_FIELDS:
            try:
                value = int(raw)
            except ValueError as exc:
                raise bad_request(f"{name} must be an integer") from exc
        elif name in _BOOL_FIELDS:
            if raw not in ("true", "false"):
                raise bad_request(f"{name} must be true or false")
            value = raw == "true"
        elif raw.startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise bad_request(f"{name} is not valid JSON") from exc
        elif name in _LIST_FIELDS:
            value = [item for item in raw.split(",") if item]
        params[name] = value
    return params


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern.lower() == origin.lower()
    head, tail = pattern.lower().split("*", 1)
    low = origin.lower()
    return len(low) >= len(head) + len(tail) and low.startswith(head) and low.endswith(tail)


def _header_allowed(allowed: list[str], header: str) -> bool:
    low = header.lower()
    for item in allowed:
        item = item.lower()
        if item == "*" or item == low or (item.endswith("*") and low.startswith(item[:-1])):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "B2Emulator/1.0"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every response that has a body.
    disable_nagle_algorithm = True
    app: Emulator  # set on a subclass by the server

    # ------------------------------------------------------------ plumbing

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.app.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        return f"http://{host}" if host else self.app.url

    def _content_length(self) -> int:
        raw = self.headers.get("Content-Length")
        if raw is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise bad_request("chunked transfer encoding is not supported; send Content-Length")
            return 0
        try:
            length = int(raw)
        except ValueError as exc:
            self.close_connection = True
            raise bad_request("Content-Length must be an integer") from exc
        if length < 0:
            self.close_connection = True
            raise bad_request("Content-Length must not be negative")
        return length

    def _read_body(self) -> bytes:
        length = self._content_length()
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        content_type: str = _JSON_TYPE,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if content_type == _JSON_TYPE:
            self.send_header("Cache-Control", "max-age=0, no-cache, no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, data, headers)

    def _send_error(self, error: ApiError, headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if error.retry_after is not None:
            extra["Retry-After"] = str(error.retry_after)
        if self.command == "HEAD":
            self.send_response(error.status)
            self.send_header("Content-Length", "0")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send_json(error.status, error.body(), extra)

    def _drop(self) -> None:
        """Close the connection without a (complete) response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _test_modes(self) -> frozenset[str]:
        raw = self.headers.get("X-Bz-Test-Mode") or ""
        return frozenset(item.strip() for item in raw.split(",") if item.strip())

    # -------------------------------------------------------------- routing

    def _dispatch(self, method: str) -> None:
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        try:
            if path.startswith("/_emulator/"):
                self._admin(method, path, split.query)
                return
            if method == "OPTIONS":
                self._preflight(path, split.query)
                return
            if path.startswith("/file/"):
                self._count("b2_download_file_by_name")
                self._delay()
                if method not in ("GET", "HEAD"):
                    self._read_body()
                    raise ApiError(405, "method_not_allowed", f"{method} is not allowed here")
                self._download(split.query, by_name=path[len("/file/") :])
                return
            match = _API_PATH.fullmatch(path)
            if match is None:
                self._read_body()
                raise not_found(f"unknown path {path}")
            version, endpoint, path_id = int(match.group(1)), match.group(2), match.group(3)
            if endpoint in ("b2_upload_file", "b2_upload_part"):
                self._count(endpoint)
                self._delay()
                self._upload(method, endpoint, path_id)
                return
            if endpoint == "b2_download_file_by_id":
                self._count(endpoint)
                self._delay()
                self._download(split.query, by_id=True)
                return
            route = ROUTES.get(endpoint)
            if path_id is not None or (route is None and endpoint != "b2_authorize_account"):
                self._read_body()
                raise not_found(f"unknown call {endpoint}")
            self._count(endpoint)
            self._delay()
            self._json_call(method, version, route, split.query)
        except ApiError as error:
            self._send_error(error)
        except (DropConnection, ClientGone):
            self._drop()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug: answer 500 so clients see it, keep serving
            self.close_connection = True
            self.log_error("internal error: %r", exc)
            with contextlib.suppress(OSError):
                self._send_error(ApiError(500, "internal_error", f"emulator bug: {exc!r}"))

    def _count(self, endpoint: str) -> None:
        self.app.counters.count(endpoint)

    def _delay(self) -> None:
        latency = self.app.faults.config.latency_seconds
        if latency > 0:
            time.sleep(latency)

    # ------------------------------------------------------------ JSON calls

    def _json_call(self, method: str, version: int, route: Method | None, query: str) -> None:
        """A JSON call; ``route`` is None for b2_authorize_account."""
        body = self._read_body()
        if method not in ("GET", "POST"):
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed; use POST or GET")
        params = _query_params(query)
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise bad_request("the request body is not valid JSON") from exc
            if not isinstance(decoded, dict):
                raise bad_request("the request body must be a JSON object")
            params.update(decoded)
        if route is None:
            self._send_json(200, self._authorize(version))
            return
        self.app.faults.api_call()
        key = self._account_key()
        self._send_json(200, route(self, version, key, params))

    def _account_key(self) -> Key:
        key, token = self.app.state.authenticate(self.headers.get("Authorization"))
        self._check_token_faults(token)
        return key

    def _check_token_faults(self, token: AccountToken) -> None:
        if TEST_MODE_EXPIRE_TOKENS in self._test_modes():
            self.app.state.count_test_mode_use(token)
        if self.app.faults.token_expired(token.uses, token.test_mode_uses):
            self.app.state.expire_token(token)
            raise ApiError(401, "expired_auth_token", "injected fault: token expired")

    def _authorize(self, version: int) -> dict[str, Any]:
        raw = self.headers.get("Authorization") or ""
        if not raw:
            raise ApiError(401, "missing_auth_token", "send Authorization: Basic base64(keyId:key)")
        scheme, _, encoded = raw.partition(" ")
        if scheme.lower() != "basic":
            raise bad_request("b2_authorize_account needs HTTP Basic authorization")
        try:
            import base64

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

    def _check_account(self, params: dict[str, Any], *, required: bool = True) -> None:
        account = params.get("accountId")
        if account is None:
            if required:
                raise bad_request("accountId is required")
            return
        if account != self.app.state.account_id:
            raise ApiError(401, "unauthorized", f"accountId {account} is not this account")

    # buckets

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

    # files

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
        return {"fileId": deleted.file_id, "fileName": deleted.name}

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
        return {
            "fileId": updated.file_id,
            "fileName": updated.name,
            "fileRetention": {
                "mode": updated.retention_mode,
                "retainUntilTimestamp": updated.retention_until,
            },
        }

    def update_file_legal_hold(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        updated = self.app.state.update_file_legal_hold(
            key,
            name=params.get("fileName"),
            file_id=params.get("fileId"),
            legal_hold=params.get("legalHold"),
        )
        return {
            "fileId": updated.file_id,
            "fileName": updated.name,
            "legalHold": updated.legal_hold,
        }

    # large files

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

    # copy

    def copy_file(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        copied = self.app.state.copy_file(key, params, max_size=self.app.max_simple_file_size)
        return shapes.file(copied, self.app.state.account_id, key, action="copy")

    def copy_part(self, version: int, key: Key, params: dict[str, Any]) -> dict[str, Any]:
        self.app.faults.cap_exceeded(self._test_modes(), "storage_cap_exceeded")
        return shapes.part(self.app.state.copy_part(key, params))

    # downloads authorization

    def get_download_authorization(
        self, version: int, key: Key, params: dict[str, Any]
    ) -> dict[str, Any]:
        token = self.app.state.get_download_authorization(key, params)
        return shapes.download_authorization(token)

    # keys

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

    # ------------------------------------------------------------- uploads

    def _upload(self, method: str, endpoint: str, path_id: str | None) -> None:
        length = self._content_length()
        app = self.app
        if method != "POST" or path_id is None:
            drain(self.rfile, length)
            raise ApiError(
                405 if path_id else 404,
                "method_not_allowed" if path_id else "not_found",
                "uploads are POST <uploadUrl>",
            )
        is_part = endpoint == "b2_upload_part"
        cors = self._cors_for_upload(endpoint, path_id)
        try:
            key, token = app.state.begin_upload(
                self.headers.get("Authorization"),
                bucket_id=None if is_part else path_id,
                large_file_id=path_id if is_part else None,
            )
        except ApiError as error:
            drain(self.rfile, length)
            self._send_error(error, cors)
            return
        failed = False
        ended = False  # the token is released before the answer goes out (see below)
        try:
            modes = self._test_modes()
            app.faults.cap_exceeded(modes, "storage_cap_exceeded")
            app.faults.upload(modes)
            sha1_mode = v.check_sha1_header(self.headers.get("X-Bz-Content-Sha1"))
            content_size = length - 40 if sha1_mode == "hex_digits_at_end" else length
            if is_part:
                number = self._part_number()
                if content_size > v.MAX_PART_SIZE:
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
            temp = app.state.new_temp_path()
            body_length, length = length, 0  # receive() consumes the body or the connection dies
            size, sha1 = receive(self.rfile, body_length, sha1_mode, temp, drop_at=drop_at)
            if is_part:
                part = app.state.commit_part(path_id, number, temp, size=size, sha1=sha1)
                body = shapes.part(part)
            else:
                version = app.state.commit_upload(plan, temp, size=size, sha1=sha1)
                body = shapes.file(version, app.state.account_id, key)
            # Release the token before answering: a client reuses the URL as soon as it reads
            # the answer, and must not find it still busy (spurious 400 auth_token_limit).
            app.state.end_upload(token, failed=False)
            ended = True
            self._send_json(200, body, cors)
        except ApiError as error:
            failed = error.status >= 500
            if length:
                drain(self.rfile, length)
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
        if not 1 <= number <= v.MAX_PART_NUMBER:
            raise bad_request("X-Bz-Part-Number must be from 1 to 10000")
        return number

    def _plan_from_headers(self, key: Key, bucket_id: str) -> Any:
        headers = self.headers
        raw_name = headers.get("X-Bz-File-Name")
        if raw_name is None:
            raise bad_request("X-Bz-File-Name header is required")
        name = v.percent_decode(raw_name, what="X-Bz-File-Name")
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
                info[info_key] = v.percent_decode(value, what=header)
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
            sse = v.check_sse(
                {"mode": "SSE-B2", "algorithm": headers["X-Bz-Server-Side-Encryption"]},
                bucket_default=False,
            )
        elif headers.get("X-Bz-Server-Side-Encryption-Customer-Algorithm"):
            sse = v.check_sse(
                {
                    "mode": "SSE-C",
                    "algorithm": headers["X-Bz-Server-Side-Encryption-Customer-Algorithm"],
                    "customerKey": headers.get("X-Bz-Server-Side-Encryption-Customer-Key"),
                    "customerKeyMd5": headers.get("X-Bz-Server-Side-Encryption-Customer-Key-Md5"),
                },
                bucket_default=False,
            )
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

    # ------------------------------------------------------------ downloads

    def _download(self, query: str, *, by_name: str | None = None, by_id: bool = False) -> None:
        body = self._read_body()
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if by_id and body.strip():
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise bad_request("the request body is not valid JSON") from exc
            if isinstance(decoded, dict):
                params.update({k: str(val) for k, val in decoded.items() if val is not None})
        token = self.headers.get("Authorization") or params.get("Authorization")
        overrides = {name: params[name] for name in _OVERRIDES if name in params}
        state = self.app.state
        bucket_name: str | None = None
        file_name: str | None = None
        if by_name is not None:
            bucket_name, _, raw_name = by_name.partition("/")
            file_name = v.percent_decode(raw_name, what="file name")
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
        except ApiError as error:
            self._send_error(error, cors)
            return
        if by_name is None:
            cors = self._cors_headers(bucket, operation)
        caller = auth[0] if auth is not None else None
        headers = shapes.download_headers(version, bucket, caller, overrides)
        headers.update(cors)
        self._serve_body(version, headers)

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
        offset = start
        remaining = count
        for segment in self.app.state.segments(version):
            if remaining <= 0:
                break
            if offset >= segment.length:
                offset -= segment.length
                continue
            take = min(segment.length - offset, remaining)
            with open(segment.path, "rb") as source:
                sent = self.connection.sendfile(source, offset, take)
            if sent != take:
                raise ClientGone("short sendfile")
            remaining -= take
            offset = 0

    # ---------------------------------------------------------------- CORS

    def _cors_rule(self, bucket: Bucket, operation: str, origin: str) -> dict[str, Any] | None:
        for rule in bucket.cors_rules:
            if operation in rule["allowedOperations"] and any(
                _origin_matches(pattern, origin) for pattern in rule["allowedOrigins"]
            ):
                return rule
        return None

    def _cors_headers(self, bucket: Bucket | None, operation: str) -> dict[str, str]:
        origin = self.headers.get("Origin")
        if not origin or bucket is None:
            return {}
        rule = self._cors_rule(bucket, operation, origin)
        if rule is None:
            return {}
        headers = {
            "Access-Control-Allow-Origin": "*" if rule["allowedOrigins"] == ["*"] else origin,
            "Vary": "Origin",
        }
        if rule["exposeHeaders"]:
            headers["Access-Control-Expose-Headers"] = ", ".join(rule["exposeHeaders"])
        return headers

    def _cors_for_upload(self, endpoint: str, path_id: str) -> dict[str, str]:
        if not self.headers.get("Origin"):
            return {}
        bucket = self._bucket_for_path(endpoint, path_id)
        return self._cors_headers(bucket, endpoint)

    def _bucket_for_path(self, endpoint: str, path_id: str | None) -> Bucket | None:
        state = self.app.state
        bucket_id: str | None = path_id
        if endpoint in ("b2_upload_part", "b2_download_file_by_id"):
            found = state.get_file(path_id) if path_id else None
            bucket_id = found.bucket_id if found else None
        if bucket_id is None:
            return None
        try:
            return state.get_bucket(bucket_id)
        except ApiError:
            return None

    def _preflight(self, path: str, query: str) -> None:
        self._read_body()
        origin = self.headers.get("Origin") or ""
        wanted = (self.headers.get("Access-Control-Request-Method") or "").upper()
        asked = [
            h.strip()
            for h in (self.headers.get("Access-Control-Request-Headers") or "").split(",")
            if h.strip()
        ]
        bucket: Bucket | None = None
        operation = ""
        methods = ""
        if path.startswith("/file/"):
            bucket = self.app.state.bucket_by_name(path[len("/file/") :].partition("/")[0])
            operation, methods = "b2_download_file_by_name", "GET, HEAD"
        else:
            match = _API_PATH.fullmatch(path)
            if match is not None:
                operation = match.group(2)
                path_id = match.group(3)
                if operation == "b2_download_file_by_id":
                    path_id = dict(urllib.parse.parse_qsl(query)).get("fileId")
                    methods = "GET, HEAD, POST"
                elif operation in ("b2_upload_file", "b2_upload_part"):
                    methods = "POST"
                bucket = self._bucket_for_path(operation, path_id) if methods else None
        rule = self._cors_rule(bucket, operation, origin) if bucket and origin else None
        if (
            rule is None
            or wanted not in methods.split(", ")
            or not all(_header_allowed(rule["allowedHeaders"], h) for h in asked)
        ):
            self._send_error(ApiError(403, "access_denied", "CORS preflight not allowed"))
            return
        headers = {
            "Access-Control-Allow-Origin": "*" if rule["allowedOrigins"] == ["*"] else origin,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Max-Age": str(rule["maxAgeSeconds"]),
            "Vary": "Origin",
        }
        if asked:
            headers["Access-Control-Allow-Headers"] = ", ".join(asked)
        self._send(200, b"", headers, content_type="text/plain")

    # --------------------------------------------------------------- admin

    def _admin(self, method: str, path: str, query: str) -> None:
        body = self._read_body()
        app = self.app
        if path == "/_emulator/counters" and method == "GET":
            self._send_json(200, app.counters.snapshot())
        elif path == "/_emulator/counters/reset" and method == "POST":
            app.counters.reset()
            self._send_json(200, app.counters.snapshot())
        elif path == "/_emulator/faults" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    data = json.loads(body or b"{}")
                    if not isinstance(data, dict):
                        raise ValueError("the body must be a JSON object of FaultConfig fields")
                    app.set_faults(data)
                except ValueError as exc:
                    raise bad_request(str(exc)) from exc
            self._send_json(200, app.faults.config.to_dict())
        elif path == "/_emulator/reset" and method == "POST":
            app.reset()
            self._send_json(200, {"reset": True})
        elif path == "/_emulator/clock" and method == "POST":
            try:
                seconds = float(json.loads(body or b"{}").get("advance_seconds", 0))
            except (ValueError, AttributeError) as exc:
                raise bad_request('send {"advance_seconds": N}') from exc
            app.state.advance_clock(seconds)
            self._send_json(200, {"clock_offset_ms": app.state.clock_offset_ms})
        else:
            raise not_found(f"unknown admin call {method} {path}")


ROUTES: dict[str, Method] = {
    "b2_create_bucket": Handler.create_bucket,
    "b2_delete_bucket": Handler.delete_bucket,
    "b2_list_buckets": Handler.list_buckets,
    "b2_update_bucket": Handler.update_bucket,
    "b2_get_upload_url": Handler.get_upload_url,
    "b2_get_upload_part_url": Handler.get_upload_part_url,
    "b2_list_file_names": Handler.list_file_names,
    "b2_list_file_versions": Handler.list_file_versions,
    "b2_get_file_info": Handler.get_file_info,
    "b2_hide_file": Handler.hide_file,
    "b2_delete_file_version": Handler.delete_file_version,
    "b2_update_file_retention": Handler.update_file_retention,
    "b2_update_file_legal_hold": Handler.update_file_legal_hold,
    "b2_start_large_file": Handler.start_large_file,
    "b2_finish_large_file": Handler.finish_large_file,
    "b2_cancel_large_file": Handler.cancel_large_file,
    "b2_list_parts": Handler.list_parts,
    "b2_list_unfinished_large_files": Handler.list_unfinished_large_files,
    "b2_copy_file": Handler.copy_file,
    "b2_copy_part": Handler.copy_part,
    "b2_get_download_authorization": Handler.get_download_authorization,
    "b2_create_key": Handler.create_key,
    "b2_delete_key": Handler.delete_key,
    "b2_list_keys": Handler.list_keys,
}
