"""Direct uploads hand the browser upload tokens only: never a key or an account token."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from django_b2.storage import B2Storage
from tests.secrets_check import assert_hidden, log_text

from .test_direct_upload_api import (  # noqa: F401 (fixtures)
    Call,
    browser_parts,
    browser_upload,
    call,
    recorded,
    sha1,
    storage,
    upload_key,
    uploads,
)

pytestmark = pytest.mark.django_db


def test_browser_sees_neither_the_key_nor_the_account_token(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    b2_emulator: Any,
    caplog: pytest.LogCaptureFixture,
    upload_key: dict[str, str],  # noqa: F811
    uploads: Any,  # noqa: F811
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[dict[str, Any]] = []

    small = b"small direct upload"
    status, answer = call("start", {"name": "s.txt", "size": len(small)})
    assert status == 200, answer
    answers.append(answer)
    browser_upload(storage, answer, small)
    answers.append(call("confirm", {"ticket": answer["ticket"], "sha1": sha1(small)})[1])

    large = bytes(range(256)) * 12
    status, answer = call("start", {"name": "l.bin", "size": len(large)})
    assert status == 200 and answer["mode"] == "large", answer
    answers.append(answer)
    answers.append(call("renew", {"ticket": answer["ticket"]})[1])
    sha1s = browser_parts(storage, answer, large)
    answers.append(call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})[1])
    answers.append(call("confirm", {"ticket": "tampered", "sha1": sha1(small)})[1])

    shown = json.dumps(answers) + log_text(caplog.records)
    assert all("authorizationToken" in a["uploadUrls"][0] for a in answers if "uploadUrls" in a)
    assert_hidden(b2_emulator.application_key, shown, key_id=b2_emulator.application_key_id)
    assert upload_key["upload_key"] not in shown, "the upload key reached the browser"
    staging_token = uploads.staging_area().client.authorization.authorization_token
    assert staging_token not in shown, "the upload key's account token reached the browser"
    account_token = storage.client.authorization.authorization_token
    assert account_token not in shown, "the account authorization token reached the browser"


def test_a_refused_upload_key_configuration_never_shows_the_key(
    storage: B2Storage,  # noqa: F811
    settings: Any,
) -> None:
    """Settings errors and the debug page of a failing ``start`` hold no upload key."""
    import sys

    from django.test import RequestFactory
    from django.views.debug import technical_500_response

    from django_b2.conf import B2ConfigurationError
    from django_b2.direct_upload import DirectUpload
    from tests.secrets_check import error_text

    secret = "K005-upload-key-secret-not-for-pages"
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.e2e.default_urls"
    settings.B2_DIRECT_UPLOAD_KEY = secret  # without B2_DIRECT_UPLOAD_KEY_ID: refused
    views = DirectUpload(storage=storage, namespace="leaky")

    def debug_page() -> tuple[BaseException, str]:
        """Caught in a frame of its own: this test's frame holds ``secret``, a view's would not."""
        try:
            views.staging_area()
        except B2ConfigurationError as exc:
            page = technical_500_response(RequestFactory().post("/start/"), *sys.exc_info())
            return exc, page.content.decode()
        pytest.fail("a key without its key id was accepted")

    caught, page = debug_page()
    assert "B2_DIRECT_UPLOAD_KEY_ID" in str(caught)
    assert_hidden(secret, error_text(caught), page)
    explicit = DirectUpload(
        storage=storage, namespace="leaky2", upload_key_id="005upload", upload_key=secret
    )
    assert secret not in repr(explicit) and secret not in repr(explicit.settings())
