"""EmulatorServer: the emulator on a loopback port, in a background thread."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import socket
import ssl
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .admin import ADMIN_TOKEN_HEADER
from .app import Emulator
from .connections import ConnectionTable
from .faults import FaultConfig
from .file_rules import MAX_SIMPLE_FILE_SIZE
from .handler import Handler
from .state import State


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    connections: ConnectionTable
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:  # the handshake runs in the connection's own thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.connections.admit(request):  # every connection is busy: refuse this one
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.release(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets an idle keep-alive connection is normal (b2sdk does it when it
        abandons a download), and so are failed TLS handshakes and evicted idle connections;
        only other errors get socketserver's traceback on stderr."""
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _connection_cap(wanted: int) -> int:
    """``wanted``, but at most half the process's file descriptors: past that, accept() fails
    (EMFILE) and new clients would wait behind idle connections."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # not on POSIX
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft // 2))


class EmulatorServer:
    """A local B2: ``with EmulatorServer() as srv: B2Client(srv.application_key_id, ...)``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | None = None,
        application_key_id: str | None = None,
        application_key: str | None = None,
        recommended_part_size: int = 100_000_000,
        absolute_minimum_part_size: int = 5_000_000,
        token_lifetime_seconds: int = 86_400,
        faults: FaultConfig | None = None,
        *,
        max_simple_file_size: int = MAX_SIMPLE_FILE_SIZE,
        request_timeout_seconds: float = 300.0,
        header_timeout_seconds: float = 20.0,
        max_connections: int = 512,
        admin_token: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        verbose: bool = False,
    ) -> None:
        if (application_key_id is None) != (application_key is None):
            raise ValueError("give both application_key_id and application_key, or neither")
        if keyfile is not None and certfile is None:
            raise ValueError("keyfile needs certfile (the certificate chain, PEM)")
        if max_connections < 1 or header_timeout_seconds <= 0 or request_timeout_seconds <= 0:
            raise ValueError("max_connections and the timeouts must be positive")
        if absolute_minimum_part_size < 1 or recommended_part_size < absolute_minimum_part_size:
            raise ValueError("need 1 <= absolute_minimum_part_size <= recommended_part_size")
        self.host = host
        self.port = port
        self._data_dir = data_dir
        self._key_id = application_key_id
        self._key = application_key
        self._settings: dict[str, Any] = {
            "recommended_part_size": recommended_part_size,
            "absolute_minimum_part_size": absolute_minimum_part_size,
            "max_simple_file_size": max_simple_file_size,
            "initial_faults": faults or FaultConfig(),
            "verbose": verbose,
        }
        self._token_lifetime = token_lifetime_seconds
        self._request_timeout = request_timeout_seconds
        self._header_timeout = header_timeout_seconds
        self._max_connections = max_connections
        self._admin_token = admin_token or secrets.token_urlsafe(24)
        self._certfile, self._keyfile = certfile, keyfile
        self._temp_dir: str | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._app: Emulator | None = None

    # ---------------------------------------------------------------- life

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        tls = None
        if self._certfile is not None:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(self._certfile, self._keyfile)  # fails before anything listens
        handler = type(
            "BoundHandler",
            (Handler,),
            {"timeout": self._request_timeout, "header_timeout": self._header_timeout},
        )
        httpd = _HTTPServer((self.host, self.port), handler)  # fails first if the port is taken
        httpd.tls = tls
        httpd.connections = ConnectionTable(_connection_cap(self._max_connections))
        data_dir = self._data_dir
        if data_dir is None:
            self._temp_dir = data_dir = tempfile.mkdtemp(prefix="b2-emulator-")
        try:
            state = State(
                data_dir,
                application_key_id=self._key_id,
                application_key=self._key,
                token_lifetime_seconds=self._token_lifetime,
            )
        except BaseException:
            httpd.server_close()
            raise
        state.resume_replication()
        host, port = str(httpd.server_address[0]), int(httpd.server_address[1])
        url_host = f"[{host}]" if ":" in host else host
        app = Emulator(
            state=state,
            url=f"{'https' if tls else 'http'}://{url_host}:{port}",
            admin_token=self._admin_token,
            connections=httpd.connections,
            **self._settings,
        )
        handler.app = app  # type: ignore[attr-defined]
        self._app, self._httpd = app, httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"b2-emulator-{port}",
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until ``stop()`` is called from another thread or a signal handler."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._app is not None:
            self._app.state.close()
            self._app = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------- accessors

    @property
    def app(self) -> Emulator:
        if self._app is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._app

    @property
    def url(self) -> str:
        return self.app.url

    @property
    def application_key_id(self) -> str:
        return self.app.state.master.key_id

    @property
    def application_key(self) -> str:
        return self.app.state.master.secret

    @property
    def account_id(self) -> str:
        return self.app.state.account_id

    @property
    def admin_token(self) -> str:
        """The secret the ``/_emulator/*`` endpoints require (see ``admin_headers``)."""
        return self._admin_token

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for an HTTP call to ``/_emulator/*``: ``requests.post(url, headers=...)``."""
        return {ADMIN_TOKEN_HEADER: self._admin_token}

    @property
    def data_dir(self) -> str:
        return self.app.state.data_dir

    def reset(self) -> None:
        self.app.reset()

    def set_faults(self, config: FaultConfig | None = None, **fields: Any) -> FaultConfig:
        """Replace the fault config: ``set_faults(api_503_rate=0.5)`` or ``set_faults(cfg)``."""
        if config is not None and fields:
            config = dataclasses.replace(config, **fields)
        elif config is None:
            config = FaultConfig.from_dict(fields)
        return self.app.set_faults(config)

    @property
    def faults(self) -> FaultConfig:
        return self.app.faults.config

    def counters(self) -> dict[str, Any]:
        return self.app.counters.snapshot()

    def reset_counters(self) -> None:
        self.app.counters.reset()

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (token/key/retention expiry without sleeping)."""
        self.app.state.advance_clock(seconds)

    def __repr__(self) -> str:
        running = self._app is not None
        return f"EmulatorServer(url={self.url if running else None!r}, running={running})"
