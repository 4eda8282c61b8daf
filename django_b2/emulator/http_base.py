"""HTTP plumbing for the emulator's request handler: parsing, responses, errors."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from . import shapes
from .bodies import ClientGone, drain
from .connections import BUSY, HEADERS, IDLE
from .errors import ApiError, bad_request
from .faults import TEST_MODE_EXPIRE_TOKENS
from .records import AccountToken, Key

if TYPE_CHECKING:
    from .app import Emulator

API_PATH = re.compile(r"/b2api/v([234])/(b2_[a-z_]+)(?:/([^/]+)(?:/[^/]*)?)?")
JSON_TYPE = "application/json;charset=UTF-8"
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
# structured fields a GET query may carry as JSON text; other values stay plain strings
_JSON_FIELDS = _LIST_FIELDS | frozenset(
    {
        "bucketInfo",
        "corsRules",
        "lifecycleRules",
        "fileInfo",
        "fileRetention",
        "defaultRetention",
        "defaultServerSideEncryption",
        "serverSideEncryption",
        "sourceServerSideEncryption",
        "destinationServerSideEncryption",
        "replicationConfiguration",
    }
)
OVERRIDES = tuple(shapes.OVERRIDE_HEADERS)
#: JSON (and admin) request bodies larger than this are refused with 413, unread.
MAX_JSON_BODY = 1_000_000
#: The body of a refused request is read and dropped up to this size, so the connection stays
#: usable; a bigger one closes the connection unread (unless the caller is authenticated).
DRAIN_LIMIT = 1 << 20
#: JSON nesting deeper than this is refused (B2's own objects nest three or four levels).
MAX_JSON_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(body: bytes | str, what: str = "the request body") -> Any:
    """Parse JSON text; malformed, NaN/Infinity or too deep is ``400 bad_request``."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"{what} is not valid JSON") from exc
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise bad_request(f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def query_params(query: str) -> dict[str, Any]:
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
        elif name in _JSON_FIELDS and raw.startswith(("[", "{")):
            value = decode_json(raw, name)
        elif name in _LIST_FIELDS:
            value = [item for item in raw.split(",") if item]
        params[name] = value
    return params


class HandlerBase(BaseHTTPRequestHandler):
    """HTTP plumbing shared by every kind of request: bodies, responses, errors, auth."""

    protocol_version = "HTTP/1.1"
    server_version = "B2Emulator/1.0"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every response that has a body.
    disable_nagle_algorithm = True
    #: Seconds a request body or a response may stall before the connection is dropped / 408.
    timeout = 300.0
    #: Seconds a connection may wait for a request line, or between header bytes.
    header_timeout = 20.0
    app: Emulator  # set on a subclass by the server
    response_started = False
    #: Bytes of the current request's body not read yet.
    body_left = 0
    #: Whether the caller proved who it is (a refused body of any size is then drained).
    body_trusted = False

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.header_timeout)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()  # bounded by header_timeout

    def handle_one_request(self) -> None:
        self.app.connections.mark(self.connection, IDLE)
        self.connection.settimeout(self.header_timeout)
        super().handle_one_request()

    def parse_request(self) -> bool:
        """Reads the headers (under ``header_timeout``); the body gets ``timeout``."""
        self.app.connections.mark(self.connection, HEADERS)
        parsed = super().parse_request()
        self.app.connections.mark(self.connection, BUSY)
        self.connection.settimeout(self.timeout)
        return parsed

    def end_headers(self) -> None:
        self.response_started = True
        super().end_headers()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.app.verbose:
            super().log_message(format, *args)

    def _on_request(self) -> None:
        """Every method goes to ``_dispatch`` (``self.command`` is the request's method)."""
        self._dispatch(self.command)

    do_GET = do_POST = do_HEAD = do_OPTIONS = do_PUT = do_DELETE = do_PATCH = _on_request

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        return f"{self.app.scheme}://{host}" if host else self.app.url

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

    def _read_body(self, limit: int = MAX_JSON_BODY) -> bytes:
        """The whole body of a JSON-sized request (413, unread, when longer than ``limit``)."""
        length = self.body_left
        if length > limit:
            raise ApiError(
                413, "request_too_large", f"the request body is over the {limit}-byte limit"
            )
        self.body_left = 0
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            raise bad_request("the request body is shorter than its Content-Length")
        return body

    def _discard_unread(self) -> None:
        """Before an early answer: drop the unread body, or close if it is too big to read."""
        length, self.body_left = self.body_left, 0
        if length <= 0:
            return
        if length <= DRAIN_LIMIT or self.body_trusted:
            try:
                drain(self.rfile, length)
                return
            except (ClientGone, OSError):
                pass
        self.close_connection = True

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        content_type: str = JSON_TYPE,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if content_type == JSON_TYPE:
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
        if error.detail:  # B2's answer is terse; say why in the emulator's log
            BaseHTTPRequestHandler.log_message(
                self, "%s -> %d %s: %s", self.requestline, error.status, error.code, error.detail
            )
        self._discard_unread()
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

    def _count(self, endpoint: str) -> None:
        self.app.counters.count(endpoint)

    def _delay(self) -> None:
        latency = self.app.faults.config.latency_seconds
        if latency > 0:
            time.sleep(latency)

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

    def _check_account(self, params: dict[str, Any], *, required: bool = True) -> None:
        account = params.get("accountId")
        if account is None:
            if required:
                raise bad_request("accountId is required")
            return
        if account != self.app.state.account_id:
            raise ApiError(401, "unauthorized", f"accountId {account} is not this account")

    def _dispatch(self, method: str) -> None:
        raise NotImplementedError
