"""The README stays true: its two commands exist, and its emulator example runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_two_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_emulator_pytest_example_runs(b2_emulator: Any) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    (example,) = [block for block in blocks if "def test_avatar_upload" in block]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md[emulator example]", "exec"), namespace)
    namespace["test_avatar_upload"](b2_emulator)
    names = [f["fileName"] for f in _files(b2_emulator)]
    assert names == ["avatars/me.txt"]


def _files(server: Any) -> list[dict[str, Any]]:
    from django_b2.client import B2Client

    client = B2Client(server.application_key_id, server.application_key, api_url=server.url)
    bucket = client.get_bucket(bucket_name="test-media")
    return list(client.iter_file_names(bucket["bucketId"]))
