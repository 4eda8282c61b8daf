"""EmulatorServer: the emulator on a loopback port, in a background thread."""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .app import Emulator
from .faults import FaultConfig
from .handler import Handler
from .state import State
from .validation import MAX_SIMPLE_FILE_SIZE


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets an idle keep-alive connection is normal (b2sdk does it when it
        abandons a download); only other errors get socketserver's traceback on stderr."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


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
        verbose: bool = False,
    ) -> None:
        if (application_key_id is None) != (application_key is None):
            raise ValueError("give both application_key_id and application_key, or neither")
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
        self._temp_dir: str | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._app: Emulator | None = None

    # ---------------------------------------------------------------- life

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        handler = type("BoundHandler", (Handler,), {"timeout": self._request_timeout})
        httpd = _HTTPServer((self.host, self.port), handler)  # fails first if the port is taken
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
        host, port = str(httpd.server_address[0]), int(httpd.server_address[1])
        url_host = f"[{host}]" if ":" in host else host
        app = Emulator(state=state, url=f"http://{url_host}:{port}", **self._settings)
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
