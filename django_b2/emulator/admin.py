"""The emulator's own admin endpoints (never under /b2api/), guarded against other sites."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from .errors import ApiError, bad_request, not_found
from .http_base import HandlerBase, decode_json

#: The header carrying the per-run admin token (``admin_token`` in the start-up JSON line).
ADMIN_TOKEN_HEADER = "X-Emulator-Admin-Token"
MAX_ADMIN_BODY = 64 * 1024


def is_loopback_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine (a rebound DNS name does not)."""
    name = host.strip()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AdminMixin(HandlerBase):
    """``/_emulator/*``: counters, faults, reset, clock."""

    def _guard_admin(self, method: str) -> None:
        """Only a local program that knows the token: a web page open in a browser (which sends
        ``Origin``, or reaches us through a rebound DNS name) cannot reset or slow the emulator."""
        if self.headers.get("Origin") is not None:
            raise ApiError(403, "access_denied", "admin calls refuse requests with Origin")
        if not is_loopback_host(self.headers.get("Host") or ""):
            raise ApiError(403, "access_denied", "admin calls need a loopback Host header")
        token = self.headers.get(ADMIN_TOKEN_HEADER) or ""
        if not secrets.compare_digest(token.encode(), self.app.admin_token.encode()):
            raise ApiError(
                401,
                "unauthorized",
                f"send the admin token in {ADMIN_TOKEN_HEADER} (admin_token in the emulator's "
                "start-up line; EmulatorServer.admin_headers)",
            )
        content_type = (self.headers.get("Content-Type") or "").partition(";")[0].strip()
        if method == "POST" and self.body_left and content_type.lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "admin bodies are application/json")

    def _admin_json(self) -> dict[str, Any]:
        body = self._read_body(MAX_ADMIN_BODY)
        data = decode_json(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise bad_request("the body must be a JSON object")
        return data

    def _admin(self, method: str, path: str, query: str) -> None:
        self._guard_admin(method)
        data = self._admin_json()
        app = self.app
        if path == "/_emulator/counters" and method == "GET":
            self._send_json(200, app.counters.snapshot())
        elif path == "/_emulator/counters/reset" and method == "POST":
            app.counters.reset()
            self._send_json(200, app.counters.snapshot())
        elif path == "/_emulator/faults" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    app.set_faults(data)
                except (ValueError, TypeError) as exc:
                    raise bad_request(str(exc)) from exc
            self._send_json(200, app.faults.config.to_dict())
        elif path == "/_emulator/reset" and method == "POST":
            app.reset()
            self._send_json(200, {"reset": True})
        elif path == "/_emulator/clock" and method == "POST":
            seconds = data.get("advance_seconds", 0)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                raise bad_request('send {"advance_seconds": N}')
            try:
                app.state.advance_clock(seconds)
            except ValueError as exc:
                raise bad_request(str(exc)) from exc
            self._send_json(200, {"clock_offset_ms": app.state.clock_offset_ms})
        else:
            raise not_found(f"unknown admin call {method} {path}")
