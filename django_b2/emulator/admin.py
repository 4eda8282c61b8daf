"""The emulator's own admin endpoints (never under /b2api/)."""

from __future__ import annotations

import json

from .errors import bad_request, not_found
from .http_base import HandlerBase


class AdminMixin(HandlerBase):
    """``/_emulator/*``: counters, faults, reset, clock."""

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
