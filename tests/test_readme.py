"""The README and the getting-started page stay true: commands exist, examples run, links work."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Engine

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GETTING_STARTED = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")

needs_repo = pytest.mark.skipif(
    not (ROOT / ".ci" / "run").exists(), reason="checks files only a repository checkout has"
)


@needs_repo
def test_two_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test", "docs", "docs-serve"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    for target in ("demo", "test"):
        assert f"make {target}" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_is_a_landing_page_with_absolute_links() -> None:
    assert len(README.encode()) <= 10 * 1024
    targets = re.findall(r"\]\(([^)]+)\)", README)
    assert targets
    assert all(re.match(r"https?://", target) for target in targets), targets


def _example(text: str, marker: str, source: str) -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    (example,) = [block for block in blocks if marker in block]
    namespace: dict[str, Any] = {}
    exec(compile(example, source, "exec"), namespace)
    return namespace


def test_readme_emulator_example_runs(b2_emulator: Any) -> None:
    namespace = _example(README, "def test_avatar_upload", "README.md[emulator example]")
    namespace["test_avatar_upload"](b2_emulator)
    assert [f["fileName"] for f in _files(b2_emulator, "test-media")] == ["avatars/me.txt"]


def test_getting_started_test_example_runs(b2_emulator: Any) -> None:
    namespace = _example(GETTING_STARTED, "def test_invoice_upload", "getting-started.md")
    namespace["test_invoice_upload"](b2_emulator)
    names = [f["fileName"] for f in _files(b2_emulator, "acme-media")]
    assert names == ["uploads/invoices/2026/0001.pdf"]


def test_getting_started_settings_and_template_work(
    b2_emulator: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from django.core.cache import caches
    from django.core.files.base import ContentFile

    from django_b2.client import B2Client
    from django_b2.storage import B2Storage

    monkeypatch.setenv("B2_APPLICATION_KEY_ID", b2_emulator.application_key_id)
    monkeypatch.setenv("B2_APPLICATION_KEY", b2_emulator.application_key)
    monkeypatch.setenv("B2_API_URL", b2_emulator.url)
    conf = _example(GETTING_STARTED, "STORAGES = {", "getting-started.md[settings]")
    options = conf["STORAGES"]["default"]["OPTIONS"]
    for name in ("B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2_API_URL"):
        setattr(settings, name, conf[name])
    B2Client(
        conf["B2_APPLICATION_KEY_ID"], conf["B2_APPLICATION_KEY"], api_url=b2_emulator.url
    ).create_bucket(options["bucket_name"], "allPrivate")
    caches["default"].clear()  # a bucket id cached by an earlier test of the same name
    storage = B2Storage(**options)
    name = storage.save("invoices/2026/0001.pdf", ContentFile(b"%PDF"))

    (template,) = re.findall(r"```django\n(.*?)```", GETTING_STARTED, re.DOTALL)
    field = type("Field", (), {"name": name, "storage": storage, "url": storage.url(name)})()
    invoice = type("Invoice", (), {"pdf": field, "number": "0001"})()
    html = Engine(libraries={"b2": "django_b2.templatetags.b2"}).from_string(template)
    rendered = html.render(Context({"invoice": invoice}))
    links = re.findall(r'href="([^"]+)"', rendered)
    assert len(links) == 2
    import requests

    for link in links:
        assert requests.get(link, timeout=10).content == b"%PDF"


def _files(server: Any, bucket_name: str) -> list[dict[str, Any]]:
    from django_b2.client import B2Client

    client = B2Client(server.application_key_id, server.application_key, api_url=server.url)
    bucket = client.get_bucket(bucket_name=bucket_name)
    return list(client.iter_file_names(bucket["bucketId"]))
