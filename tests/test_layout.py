"""The package's layout (docs/architecture.md): small modules, each saying what it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import layout_problems, undocumented_modules

PACKAGE = Path(__file__).resolve().parents[1] / "django_b2"
#: Every module with code (empty ``__init__.py`` files and generated migrations aside).
MODULES = sorted(
    path
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.parts and path.read_text(encoding="utf-8").strip()
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_is_small_and_opens_with_a_one_line_summary(path: Path) -> None:
    assert layout_problems(path) == []


@pytest.mark.parametrize(
    ("package", "section"),
    [
        ("client", "The client, module by module"),
        ("emulator", "The emulator, module by module"),
    ],
)
def test_the_architecture_page_names_every_module(package: str, section: str) -> None:
    paths = [p for p in MODULES if p.parent == PACKAGE / package]
    assert paths
    assert undocumented_modules(paths, section) == []
