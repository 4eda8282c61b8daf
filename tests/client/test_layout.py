"""The client's layout (docs/architecture.md): small modules, each saying what it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

import django_b2.client
from tests.helpers import layout_problems, undocumented_modules

MODULES = sorted(Path(django_b2.client.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_module_is_small_and_opens_with_a_one_line_summary(path: Path) -> None:
    assert layout_problems(path) == []


def test_the_architecture_page_names_every_module() -> None:
    assert undocumented_modules(MODULES, "The client, module by module") == []
