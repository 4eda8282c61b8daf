"""Small helpers shared by several test suites: data, request counts, module layout checks."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django_b2.client import B2Client
from django_b2.emulator import EmulatorServer


def pattern(size: int, seed: object = 1) -> bytes:
    """``size`` bytes of a repeating SHA-256 block: the same for the same seed, unlike zeros."""
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def endpoint_calls(srv: EmulatorServer, endpoint: str) -> int:
    """How many requests the emulator has answered for ``endpoint`` (``b2_upload_file``, ...)."""
    return int(srv.counters()["by_endpoint"].get(endpoint, 0))


def fetch(client: B2Client, bucket: Mapping[str, Any], name: str) -> bytes:
    """The bytes stored under ``name`` in ``bucket``, read back by name."""
    with client.download_file_by_name(str(bucket["bucketName"]), name) as f:
        return f.read()


#: About 500 lines at most: past that a module has more than one job (issue 14).
MAX_MODULE_LINES = 500


def layout_problems(path: Path, max_lines: int = MAX_MODULE_LINES) -> list[str]:
    """What keeps a module from being small and opening with a one-line summary of its job."""
    text = path.read_text(encoding="utf-8")
    problems = []
    if len(text.splitlines()) > max_lines:
        problems.append(f"{path.name} has over {max_lines} lines: split it along its seams")
    doc = ast.get_docstring(ast.parse(text), clean=False)
    lines = doc.splitlines() if doc else [""]
    if not lines[0].strip():
        problems.append(f"{path.name} does not open with a docstring summary on its first line")
    elif len(lines) > 1 and lines[1].strip():
        problems.append(f"{path.name}: the docstring summary is more than one line")
    return problems


def undocumented_modules(paths: list[Path], section: str) -> list[str]:
    """The modules that ``section`` of docs/architecture.md does not name (as `name.py`)."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text("utf-8")
    text = page.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return sorted(p.name for p in paths if f"`{p.name}`" not in text)
