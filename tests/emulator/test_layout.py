"""The emulator's layout (docs/architecture.md): small modules, each saying what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "django_b2" / "emulator"
#: About 500 lines at most: past that a module has more than one job.
MAX_LINES = 500
MODULES = sorted(EMULATOR.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_module_is_small_and_opens_with_a_one_line_summary(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: split it along its seams"
    doc = ast.get_docstring(ast.parse(text), clean=False)
    assert doc, f"{path.name} has no module docstring"
    lines = doc.splitlines()
    assert lines[0].strip(), f"{path.name}: the docstring opens with an empty line"
    assert len(lines) == 1 or not lines[1].strip(), f"{path.name}: the summary is one line"


def test_the_architecture_page_names_every_module() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("## The emulator, module by module", 1)[1].split("\n## ", 1)[0]
    described = {p.name for p in MODULES if f"`{p.name}`" in section}
    missing = {p.name for p in MODULES} - described
    assert not missing, f"docs/architecture.md does not describe {sorted(missing)}"
