"""Fixtures for the management-command tests.

Every test runs against the emulator thread (``b2_emulator``, reset per test) through a real
``B2Storage`` configured in ``settings.STORAGES``; commands run with ``call_command``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from django_b2.client import B2Client

from .helpers import BUCKET, storages_for


@pytest.fixture
def b2(b2_emulator: Any) -> Iterator[Any]:
    """The emulator, with the default storage pointing at it (master key) and the app installed."""
    srv = b2_emulator
    overrides: dict[str, Any] = {
        "STORAGES": storages_for(srv.url, srv.application_key_id, srv.application_key)
    }
    if "django_b2" not in settings.INSTALLED_APPS:  # the commands are found through the app
        overrides["INSTALLED_APPS"] = [*settings.INSTALLED_APPS, "django_b2"]
    # cached authorizations and bucket ids belong to the previous test's emulator state
    cache.clear()
    with override_settings(**overrides):
        yield srv
    cache.clear()


@pytest.fixture
def client(b2: Any) -> B2Client:
    """A separate client with the master key, for setting up and checking state."""
    return B2Client(b2.application_key_id, b2.application_key, api_url=b2.url)


@pytest.fixture
def bucket(client: B2Client) -> dict[str, Any]:
    """The storage's bucket, created directly through the client."""
    return client.create_bucket(BUCKET, "allPrivate")


@pytest.fixture
def use_key(b2: Any) -> Iterator[Callable[[str, str], None]]:
    """Switch the default storage to another application key (e.g. a restricted one)."""
    stack: list[Any] = []

    def switch(key_id: str, key: str) -> None:
        override = override_settings(STORAGES=storages_for(b2.url, key_id, key))
        override.enable()
        stack.append(override)
        cache.clear()

    yield switch
    for override in reversed(stack):
        override.disable()


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[str]]:
    """``answer("y")`` makes ``input()`` reply "y"; the returned list collects the prompts."""

    def install(reply: str) -> list[str]:
        prompts: list[str] = []

        def fake_input(prompt: str = "") -> str:
            prompts.append(prompt)
            return reply

        monkeypatch.setattr("builtins.input", fake_input)
        return prompts

    return install


@pytest.fixture
def no_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything asks a question."""

    def fake_input(prompt: str = "") -> str:
        raise AssertionError(f"unexpected prompt: {prompt!r}")

    monkeypatch.setattr("builtins.input", fake_input)
