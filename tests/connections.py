"""A ``requests.Session`` that counts the TCP connections it opens and the responses alive.

urllib3 reconnects a closed pooled connection object in place, so its pools' own
``num_connections`` misses reconnects; counting ``connect()`` calls sees every one.
"""

from __future__ import annotations

import weakref
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

__all__ = ["ConnectionCounter"]


class ConnectionCounter:
    """``.session`` counts each new TCP connection in ``.opened`` (plain HTTP only) and keeps
    a weak reference to every response it returns."""

    def __init__(self) -> None:
        self.opened = 0
        counter = self

        class CountingConnection(HTTPConnection):
            def connect(self) -> None:
                counter.opened += 1
                super().connect()

        class CountingPool(HTTPConnectionPool):
            ConnectionCls = CountingConnection

        adapter = HTTPAdapter()
        adapter.poolmanager.pool_classes_by_scheme = {
            **adapter.poolmanager.pool_classes_by_scheme,
            "http": CountingPool,
        }
        self.session = requests.Session()
        self.session.mount("http://", adapter)
        self.responses: list[weakref.ref[requests.Response]] = []
        self.session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.responses.append(weakref.ref(response))

    def live_responses(self) -> int:
        """Responses of this session not yet freed."""
        return sum(1 for ref in self.responses if ref() is not None)

    def close(self) -> None:
        self.session.close()
