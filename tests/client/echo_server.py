"""A tiny local HTTP server for client tests that need to see raw requests.

It answers ``b2_authorize_account`` with a v3 body pointing back at itself, echoes every other
request as JSON (method, path, headers, body), and can be scripted to answer the next requests
to a path with a given status/body/headers (e.g. a body-less 401 for ``HEAD``).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class EchoServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.scripts: dict[str, deque[Scripted]] = {}
        self.tokens_issued = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                record = Recorded(self.command, self.path, dict(self.headers.items()), body)
                with server.lock:
                    server.requests.append(record)
                    queue = server.scripts.get(path)
                    scripted = queue.popleft() if queue else None
                if scripted is not None:
                    self._send(scripted.status, scripted.body, scripted.headers)
                elif path.endswith("/b2_authorize_account"):
                    with server.lock:
                        server.tokens_issued += 1
                        token = f"token-{server.tokens_issued}"
                    self._send_json(200, server.authorize_body(token))
                else:
                    self._send_json(
                        200,
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body.decode("utf-8", "replace"),
                        },
                    )

            def _send_json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self._send(status, data, {"Content-Type": "application/json"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def authorize_body(self, token: str) -> dict[str, Any]:
        return {
            "accountId": "acct1",
            "authorizationToken": token,
            "apiInfo": {
                "storageApi": {
                    "infoType": "storageApi",
                    "apiUrl": self.url,
                    "downloadUrl": self.url,
                    "recommendedPartSize": 100_000_000,
                    "absoluteMinimumPartSize": 5_000_000,
                    "capabilities": ["listBuckets"],
                    "bucketId": None,
                    "bucketName": None,
                    "namePrefix": None,
                }
            },
        }

    def script(self, path: str, *responses: Scripted) -> None:
        with self.lock:
            self.scripts.setdefault(path, deque()).extend(responses)

    def requests_to(self, endpoint: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.split("?")[0].endswith(endpoint)]

    def start(self) -> EchoServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def running() -> Iterator[EchoServer]:
    server = EchoServer().start()
    try:
        yield server
    finally:
        server.stop()
