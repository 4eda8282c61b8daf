"""What may import what (docs/architecture.md): checked on the source, import by import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "django_b2"
#: The client's private modules the rest of the package may use (B2's limits, the part plan that
#: direct uploads share with the client, the seekability probe, name validation, the download
#: drain limit); the rest goes through ``django_b2.client``.
CLIENT_INTERNALS_ALLOWED = {"_download", "_limits", "_plan", "_streams", "_validation"}
#: Modules besides conf.py that read django.conf.settings, and why.
SETTINGS_READERS_ALLOWED = {
    "conf.py": "the settings module",
}


def _imports(path: Path) -> list[str]:
    """Absolute module names imported by ``path`` (relative imports resolved)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def _modules(under: str) -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py")) if under else sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules("client"), ids=lambda p: p.name)
def test_client_imports_neither_django_nor_the_emulator(path: Path) -> None:
    bad = [
        name
        for name in _imports(path)
        if name == "django" or name.startswith(("django.", "django_b2.emulator"))
    ]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", _modules("emulator"), ids=lambda p: p.name)
def test_emulator_imports_neither_django_nor_the_client(path: Path) -> None:
    bad = [
        name
        for name in _imports(path)
        if name == "django" or name.startswith(("django.", "django_b2.client"))
    ]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    "path",
    [p for p in _modules("") if not p.is_relative_to(PACKAGE / "client")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_rest_uses_the_client_through_its_public_surface(path: Path) -> None:
    private = {
        name.split(".")[2] for name in _imports(path) if name.startswith("django_b2.client._")
    }
    assert private <= CLIENT_INTERNALS_ALLOWED, f"{path.name} reaches into {private}"


def test_only_conf_reads_django_settings() -> None:
    readers = [
        str(path.relative_to(PACKAGE))
        for path in _modules("")
        if "django.conf.settings" in _imports(path)
    ]
    assert set(readers) <= set(SETTINGS_READERS_ALLOWED), readers
