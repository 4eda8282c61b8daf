"""Browser-test fixtures: the example site in a subprocess on the test emulator, and Chromium.

The site runs ``example_project/demo.py --external-emulator`` (the same code ``make demo`` runs)
against the session emulator, in its own bucket (private, CORS for the site's origin) and its own
SQLite file, with 1000-byte parts for direct uploads.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "example_project" / "demo.py"
ARTIFACTS = ROOT / "test-artifacts"
ADMIN = ("admin", "e2e-" + secrets.token_hex(4))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PART_SIZE = 1000
LARGE_THRESHOLD = 2500
MAX_UPLOAD_SIZE = 20_000


@dataclass
class Site:
    url: str
    bucket: str
    emulator: Any
    log: Path

    def client(self) -> Any:
        from django_b2.client import B2Client

        return B2Client(
            self.emulator.application_key_id,
            self.emulator.application_key,
            api_url=self.emulator.url,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SITE_LINE = re.compile(r"^\s*site:\s+(http://\S+?)/?$", re.MULTILINE)


def _wait_until_serving(proc: subprocess.Popen[bytes], log: Path) -> str:
    """Wait for the site and return its URL, as the demo printed it: if the port the test
    picked was taken meanwhile (another process on this machine), the demo chose another."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the example site exited with {proc.returncode}:\n{log.read_text()}")
        found = _SITE_LINE.search(log.read_text(errors="replace"))
        if found is not None:
            url = found.group(1)
            try:
                with urllib.request.urlopen(url + "/admin/login/", timeout=2) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.1)
    pytest.fail(f"the example site did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return require_binary("chromium", "the browser tests drive headless Chromium")


@pytest.fixture(scope="module")
def site(
    b2_emulator_server: Any, tmp_path_factory: pytest.TempPathFactory, chromium_path: str
) -> Iterator[Site]:
    # A clean emulator for this module (earlier tests may have left faults or a moved clock).
    b2_emulator_server.reset()
    data_dir = tmp_path_factory.mktemp("site")
    port = _free_port()
    bucket = "e2e-" + secrets.token_hex(6)
    env = {
        **os.environ,
        "DJANGO_B2_DEMO_API_URL": b2_emulator_server.url,
        "DJANGO_B2_DEMO_KEY_ID": b2_emulator_server.application_key_id,
        "DJANGO_B2_DEMO_KEY": b2_emulator_server.application_key,
        "DJANGO_B2_DEMO_BUCKET": bucket,
        "DJANGO_B2_DEMO_DEBUG": "0",
        "DJANGO_B2_DEMO_SECRET_KEY": secrets.token_urlsafe(32),
        "DJANGO_B2_DEMO_PART_SIZE": str(PART_SIZE),
        "DJANGO_B2_DEMO_LARGE_THRESHOLD": str(LARGE_THRESHOLD),
        "DJANGO_B2_DEMO_URL_TOKEN_REUSE": "0",
        "DJANGO_B2_DEMO_MAX_UPLOAD_SIZE": str(MAX_UPLOAD_SIZE),
        "DJANGO_B2_DEMO_ADMIN_PASSWORD": ADMIN[1],
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = data_dir / "site.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(DEMO),
                "--external-emulator",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _wait_until_serving(proc, log)
        yield Site(url=url, bucket=bucket, emulator=b2_emulator_server, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        b2_emulator_server.reset()  # leave no bucket, fault or moved clock to later tests


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def login_state(browser: Any, site: Site) -> dict[str, Any]:
    """Cookies of a session logged in as the demo admin (through the admin login form)."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(site.url + "/")
        assert "/admin/login/" in tab.url  # the gallery is only for logged-in users
        tab.fill("#id_username", ADMIN[0])
        tab.fill("#id_password", ADMIN[1])
        tab.click("input[type=submit]")
        tab.wait_for_url(site.url + "/")
        state: dict[str, Any] = context.storage_state()
        return state
    finally:
        context.close()


@pytest.fixture
def page(browser: Any, site: Site, login_state: dict[str, Any]) -> Iterator[Any]:
    """A fresh browser context, logged in, showing the gallery."""
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, storage_state=login_state
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.goto(site.url + "/")
    assert tab.url == site.url + "/", tab.url
    try:
        yield tab
    finally:
        context.close()
