"""Signed URLs are safe by default: one file per link, a bounded lifetime, no dead links.

Every link is fetched from the emulator over real HTTP; lifetimes are checked by moving the
emulator's clock forward (``advance_clock``), request counts with its counters.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import override_settings

from django_b2 import signed_urls
from django_b2.checks import check_storages
from django_b2.client import B2Client
from django_b2.conf import B2ConfigurationError, load_config
from django_b2.emulator import EmulatorServer
from django_b2.storage import B2Storage

from .conftest import PRIVATE_BUCKET, B2Env


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def edit_path(url: str, old: str, new: str) -> str:
    parts = urlsplit(url)
    assert old in parts.path
    return urlunsplit(parts._replace(path=parts.path.replace(old, new)))


# --------------------------------------------------------------------------- one file per link


def test_edited_link_is_refused_under_defaults(b2: B2Env) -> None:
    storage = b2.storage()  # the README's settings: no location, default scope
    storage.save("users/alice/cv.pdf", ContentFile(b"alice"))
    storage.save("users/bob/payslip.pdf", ContentFile(b"bob"))
    url = storage.url("users/alice/cv.pdf")
    assert fetch(url).content == b"alice"
    forged = edit_path(url, "users/alice/cv.pdf", "users/bob/payslip.pdf")
    assert fetch(forged).status_code == 401
    assert fetch(edit_path(url, "users/alice/cv.pdf", "users/alice/other.pdf")).status_code == 401


def test_a_link_also_opens_names_that_extend_its_name(b2: B2Env) -> None:
    """B2 matches a token's file-name prefix: the documented limit of a one-file link."""
    storage = b2.storage()
    storage.save("reports/q1.pdf", ContentFile(b"q1"))
    storage.save("reports/q1.pdf.bak", ContentFile(b"backup"))
    storage.save("reports/q10.pdf", ContentFile(b"q10"))
    url = storage.url("reports/q1.pdf")
    assert fetch(edit_path(url, "q1.pdf", "q1.pdf.bak")).content == b"backup"
    assert fetch(edit_path(url, "q1.pdf", "q10.pdf")).status_code == 401


def test_location_scope_over_the_whole_private_bucket_is_refused(b2: B2Env) -> None:
    options = b2.options(signed_url_scope="location")
    with pytest.raises(B2ConfigurationError) as info:
        load_config(options)
    assert info.value.check_id == "django_b2.E006"
    assert "signed_url_scope" in str(info.value) and "'file'" in str(info.value)
    storages = {"default": {"BACKEND": "django_b2.storage.B2Storage", "OPTIONS": options}}
    with override_settings(STORAGES=storages):
        errors = [m for m in check_storages() if m.id == "django_b2.E006"]
    assert len(errors) == 1 and errors[0].is_serious()
    assert "location" in errors[0].msg
    # Opting in with a location is allowed, and then a link opens that location only.
    storage = b2.storage(signed_url_scope="location", location="shared")
    storage.save("a.txt", ContentFile(b"a"))
    storage.save("b.txt", ContentFile(b"b"))
    b2.storage(location="private").save("c.txt", ContentFile(b"c"))
    url = storage.url("a.txt")
    assert fetch(edit_path(url, "a.txt", "b.txt")).content == b"b"
    assert fetch(edit_path(url, "shared/a.txt", "private/c.txt")).status_code == 401


def test_a_hand_built_config_still_never_signs_the_whole_bucket(b2: B2Env) -> None:
    """Bypassing load_config (a subclass, a replaced config) cannot widen a link to the bucket."""
    storage = b2.storage()
    storage.config = dataclasses.replace(storage.config, signed_url_scope="location")
    storage.save("mine.txt", ContentFile(b"mine"))
    storage.save("yours.txt", ContentFile(b"yours"))
    url = storage.url("mine.txt")
    assert fetch(url).content == b"mine"
    assert fetch(edit_path(url, "mine.txt", "yours.txt")).status_code == 401


# --------------------------------------------------------------------------- lifetime


def test_a_60_second_link_is_refused_at_121_seconds(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("a.txt", ContentFile(b"a"))
    url = storage.url("a.txt", expire=60)
    b2.server.advance_clock(59)
    assert fetch(url).status_code == 200
    b2.server.advance_clock(62)  # 121 s after the link was made
    response = fetch(url)
    assert response.status_code == 401
    assert response.json()["code"] in ("expired_auth_token", "bad_auth_token", "unauthorized")


def test_a_default_link_is_dead_by_66_minutes(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("a.txt", ContentFile(b"a"))
    url = storage.url("a.txt")  # url_expire: 3600 s
    b2.server.advance_clock(3599)
    assert fetch(url).status_code == 200
    b2.server.advance_clock(3960 + 1 - 3599)
    assert fetch(url).status_code == 401


def test_a_reused_token_keeps_both_bounds(b2: B2Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A link handed out later from a cached token works ``expire`` s and dies by the bound."""
    storage = b2.storage()
    storage.save("a.txt", ContentFile(b"a"))
    first = storage.url("a.txt", expire=60)
    real_time = signed_urls.time.time
    # 50 s later, for the storage and the emulator alike (both read time.time()).
    monkeypatch.setattr(signed_urls.time, "time", lambda: real_time() + 50)
    b2.server.reset_counters()
    later = storage.url("a.txt", expire=60)
    assert later == first and b2.total() == 0  # reused: no request
    b2.server.advance_clock(60)  # 60 s after `later` was handed out: still works
    assert fetch(later).status_code == 200
    b2.server.advance_clock(11)  # 121 s after the token was minted
    assert fetch(later).status_code == 401
    # Too little lifetime left for another 60 s: a new token, not the old one.
    monkeypatch.setattr(signed_urls.time, "time", lambda: real_time() + 56)
    assert storage.url("a.txt", expire=60) != first


def test_url_token_reuse_only_shortens_the_bound(b2: B2Env) -> None:
    storage = b2.storage(url_token_reuse=3600)  # asks for more than the rule allows
    storage.save("a.txt", ContentFile(b"a"))
    url = storage.url("a.txt", expire=60)
    b2.server.advance_clock(121)
    assert fetch(url).status_code == 401
    zero = b2.storage(url_token_reuse=0)
    b2.server.reset_counters()
    zero.url("a.txt", expire=60)
    zero.url("a.txt", expire=60)
    assert b2.counts()["b2_get_download_authorization"] == 2  # 0: a token per URL


# --------------------------------------------------------------------------- speed


def test_page_of_50_new_files_first_and_second_render(b2: B2Env) -> None:
    storage = b2.storage(location="media")
    names = [f"page/file-{n:02d}.txt" for n in range(50)]
    for name in names:
        storage.save(name, ContentFile(name.encode()))
    page = Template(
        "{% load b2 %}{% for name in names %}{% b2_signed_url name storage=st %}\n{% endfor %}"
    )
    b2.server.reset_counters()
    first = page.render(Context({"names": names, "st": storage})).split()
    assert b2.counts() == {"b2_get_download_authorization": 50}
    b2.server.reset_counters()
    second = page.render(Context({"names": names, "st": storage})).split()
    assert second == first and b2.total() == 0
    # Another worker sharing the cache renders the page without a request either.
    other = b2.storage(location="media")
    assert page.render(Context({"names": names, "st": other})).split() == first
    assert b2.total() == 0
    assert [fetch(url).content for url in first[:3]] == [n.encode() for n in names[:3]]


def test_repeated_url_of_one_file_makes_no_request(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("a.txt", ContentFile(b"a"))
    first = storage.url("a.txt")
    b2.server.reset_counters()
    assert {storage.url("a.txt") for _ in range(100)} == {first}
    assert b2.total() == 0


# --------------------------------------------------------------------------- no dead links


def test_tokens_are_not_reused_after_the_authorization_is_replaced(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("a.txt", ContentFile(b"a"))
    before = storage.url("a.txt")
    old_auth = storage.client.authorization
    b2.server.set_faults(expire_tokens_after_calls=1)  # B2 rejects the account token
    storage.exists("a.txt")  # 401 expired_auth_token -> re-authorized
    b2.server.set_faults()
    assert storage.client.authorization != old_auth
    b2.server.reset_counters()
    after = storage.url("a.txt")
    assert after != before
    assert b2.counts() == {"b2_get_download_authorization": 1}
    # Another worker sharing the cache adopts the new authorization and its token.
    b2.server.reset_counters()
    assert b2.storage().url("a.txt") == after
    assert b2.total() == 0


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    """Start (and restart) an emulator on one port with one data dir, as `make emulator` does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    running: list[EmulatorServer] = []

    def start(**keys: Any) -> EmulatorServer:
        for server in running:
            server.stop()
        running.clear()
        server = EmulatorServer(port=port, data_dir=str(tmp_path), **keys).start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


def _options(server: EmulatorServer) -> dict[str, Any]:
    return {
        "application_key_id": server.application_key_id,
        "application_key": server.application_key,
        "api_url": server.url,
        "bucket_name": PRIVATE_BUCKET,
    }


def test_no_dead_links_after_the_emulator_restarts(
    restartable: Callable[..., EmulatorServer], fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = restartable()
    with B2Client(server.application_key_id, server.application_key, api_url=server.url) as c:
        c.create_bucket(PRIVATE_BUCKET, "allPrivate")
    storage = B2Storage(**_options(server))
    storage.save("a.txt", ContentFile(b"a"))
    assert fetch(storage.url("a.txt")).status_code == 200
    server = restartable()  # same port, data and key; its tokens are gone, the cache is not
    worker = B2Storage(**_options(server))  # a worker started after the restart
    worker.save("b.txt", ContentFile(b"b"))  # B2 rejects the cached account token: re-authorized
    assert fetch(worker.url("a.txt")).content == b"a"
    assert fetch(worker.url("b.txt")).content == b"b"
    # The worker that was running all along follows within MEMO_RECHECK (it reads the shared
    # authorization again then), without making a request of its own to find out.
    real_time = signed_urls.time.time
    monkeypatch.setattr(
        signed_urls.time, "time", lambda: real_time() + signed_urls.MEMO_RECHECK + 0.1
    )
    assert fetch(storage.url("a.txt")).content == b"a"
    assert fetch(storage.url("b.txt")).content == b"b"


def test_no_dead_links_after_the_key_is_rotated(
    restartable: Callable[..., EmulatorServer], fresh_cache: None
) -> None:
    server = restartable(application_key_id="rotating-key", application_key="K00first-secret")
    with B2Client(server.application_key_id, server.application_key, api_url=server.url) as c:
        c.create_bucket(PRIVATE_BUCKET, "allPrivate")
    B2Storage(**_options(server)).save("a.txt", ContentFile(b"a"))
    assert fetch(B2Storage(**_options(server)).url("a.txt")).status_code == 200
    # The key gets a new secret (the old one stops working); the settings follow, the cache
    # keeps what it held.
    server = restartable(application_key_id="rotating-key", application_key="K00second-secret")
    storage = B2Storage(**_options(server))
    assert fetch(storage.url("a.txt")).content == b"a"
