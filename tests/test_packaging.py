"""The package as published: one name everywhere, one version, a license, artifacts that work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
import django_b2
from django_b2.client._transport import user_agent

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")

needs_repo = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="builds the package from a git checkout of the repository"
)


def test_install_line_project_name_and_user_agent_agree() -> None:
    name = PYPROJECT["project"]["name"]
    assert name == django_b2.DISTRIBUTION == "django-b2-native"
    assert re.search(rf"^pip install {re.escape(name)}\s", README, re.MULTILINE), (
        "the README's install line names another distribution"
    )
    # What goes on the wire is checked against an echo server in tests/client/test_http_options.py.
    assert user_agent().startswith(f"{name}/{django_b2.__version__} python-requests/")


def test_version_is_declared_once() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "django_b2/__init__.py"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert f"## [{django_b2.__version__}]" in changelog


def test_license_is_mit_and_shipped() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_classifiers_cover_what_tox_tests() -> None:
    classifiers = set(PYPROJECT["project"]["classifiers"])
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    for major, minor in re.findall(r"django(\d)(\d)", tox):
        assert f"Framework :: Django :: {major}.{minor}" in classifiers
    for minor in re.findall(r"py3(\d+)-", tox):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)


def test_pytest_plugin_is_opt_in() -> None:
    assert "pytest11" not in PYPROJECT["project"].get("entry-points", {})


def _build(kind: str, outdir: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(outdir), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (artifact,) = outdir.iterdir()
    return artifact


@pytest.mark.slow
@needs_repo
def test_wheel_installs_in_a_fresh_venv_and_imports(tmp_path: Path) -> None:
    wheel = _build("wheel", tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "django_b2/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-5:]
    assert not any(n.startswith("tests/") for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    probe = (
        "import django_b2, django_b2.client, django_b2.emulator, importlib.metadata as m;"
        "print(django_b2.__version__, m.version('django-b2-native'),"
        " [e.name for e in m.entry_points(group='pytest11')])"
    )
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, timeout=60
    ).stdout.split(" ", 2)
    assert out[0] == out[1] == django_b2.__version__
    assert "b2_emulator" not in out[2]


@pytest.mark.slow
@needs_repo
def test_sdist_carries_what_its_tests_need(tmp_path: Path) -> None:
    sdist = _build("sdist", tmp_path / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "src", filter="data")
    (root,) = (tmp_path / "src").iterdir()
    for needed in ("LICENSE", "CHANGELOG.md", "Makefile", "benchmarks/soak.py", "example_project"):
        assert (root / needed).exists(), needed
    # Every test module imports from the unpacked sdist, and a sample of them passes there.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not re.search(r"\berrors?\b", run.stdout.splitlines()[-1]), run.stdout[-2000:]
    sample = ["tests/test_readme.py", "tests/client/test_validation.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sample],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
