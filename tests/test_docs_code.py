"""Every Python example in the documentation is valid Python (the runnable ones are also run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        for index, block in enumerate(BLOCK.findall(page.read_text(encoding="utf-8"))):
            found.append((str(page.relative_to(ROOT)), index, block))
    return found


def test_the_docs_have_python_examples() -> None:
    assert len(_blocks()) >= 40


@pytest.mark.parametrize(("page", "index", "block"), _blocks(), ids=lambda v: str(v)[:40])
def test_python_example_compiles(page: str, index: int, block: str) -> None:
    # `...` stands for "the rest of your list" in settings examples; it is valid Python already.
    compile(block, f"{page}[python block {index}]", "exec")
