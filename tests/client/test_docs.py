"""The client examples of docs/client.md run, in order, against the emulator."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from django_b2.emulator import EmulatorServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"
START, END = "<!-- client-examples:start -->", "<!-- client-examples:end -->"


def test_doc_examples_run(b2_emulator: EmulatorServer) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(START) : text.index(END)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) >= 14  # one per group of calls
    namespace = {
        "KEY_ID": b2_emulator.application_key_id,
        "KEY": b2_emulator.application_key,
        "API_URL": b2_emulator.url,
    }
    for index, block in enumerate(blocks):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(block, f"{DOC.name}[block {index}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message points at the block
            pytest.fail(f"docs/client.md client block {index} failed: {exc!r}\n{block}")
    assert b2_emulator.application_key not in repr(namespace["client"])
