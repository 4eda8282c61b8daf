"""Django's DEBUG error page for a failed authorization never shows the application key.

Each test makes a storage call fail while authorizing (connection refused, 401, retries exhausted)
and renders the page Django itself would show with ``DEBUG=True``
(:func:`django.views.debug.technical_500_response`, HTML and plain text). The page lists every
frame's local variables and every chained exception, so it finds a key left in any of them: the
raw key, its Basic credentials (``base64(key_id:key)``) and the ``Authorization`` header value.
"""

from __future__ import annotations

import base64
import html
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response

from django_b2.client import B2ConnectionError, B2ServiceError, B2Unauthorized, RetryPolicy
from django_b2.storage import B2Storage

from .conftest import B2Env

SECRET = "K00debug-page-secret-that-must-not-leak"
#: The debug page resolves the request's URL: this module is the (empty) URLconf it uses.
urlpatterns: list[Any] = []


class FewRetriesStorage(B2Storage):
    """Three attempts per call, no real waiting."""

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "retry": RetryPolicy(attempts=3, sleep=lambda _s: None)}


def debug_pages(action: Callable[[], object], expected: type[BaseException]) -> tuple[str, str]:
    """Run ``action`` (it must raise ``expected``) and render Django's HTML and text 500 pages."""
    factory = RequestFactory()
    pages: list[str] = []
    try:
        action()
    except expected:
        exc_type, exc_value, tb = sys.exc_info()
        with override_settings(DEBUG=True, ROOT_URLCONF=__name__):
            for accept in ("text/html", "text/plain"):
                request = factory.get("/upload/", HTTP_ACCEPT=accept)
                response = technical_500_response(request, exc_type, exc_value, tb)
                pages.append(response.content.decode("utf-8"))
        del exc_type, exc_value, tb
    else:
        pytest.fail(f"the action did not raise {expected.__name__}")
    return pages[0], pages[1]


def assert_no_key(key_id: str, key: str, *pages: str) -> None:
    basic = base64.b64encode(f"{key_id}:{key}".encode()).decode("ascii")
    for page in pages:
        assert "Traceback" in page  # the page really shows the traceback and its frames
        for form in (key, basic, f"Basic {basic}"):
            for shown in (page, html.unescape(page)):
                assert form not in shown, f"the application key leaks ({form[:12]}...)"


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening; nobody can take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_connection_refused(b2: B2Env, refused_port: int) -> None:
    storage = FewRetriesStorage(
        **b2.options(
            location="media", application_key=SECRET, api_url=f"http://127.0.0.1:{refused_port}"
        )
    )
    page, text = debug_pages(lambda: storage.save("a.txt", ContentFile(b"a")), B2ConnectionError)
    assert "B2ConnectionError" in page and "B2ConnectionError" in text
    assert_no_key(b2.server.application_key_id, SECRET, page, text)


def test_wrong_key_401(b2: B2Env) -> None:
    storage = FewRetriesStorage(**b2.options(location="media", application_key=SECRET))
    page, text = debug_pages(lambda: storage.url("a.txt"), B2Unauthorized)
    assert b2.server.application_key_id in text  # the error says which key id was refused
    assert_no_key(b2.server.application_key_id, SECRET, page, text)


def test_right_key_retries_exhausted(b2: B2Env) -> None:
    b2.server.set_faults(authorize_503_rate=1.0)
    storage = FewRetriesStorage(**b2.options(location="media"))
    page, text = debug_pages(lambda: storage.exists("a.txt"), B2ServiceError)
    assert b2.counts()["b2_authorize_account"] == 3  # every attempt was made, then it gave up
    assert_no_key(b2.server.application_key_id, b2.server.application_key, page, text)
