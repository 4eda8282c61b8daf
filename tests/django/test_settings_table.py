"""The documented settings table matches the one declaration of every option in conf.py."""

from __future__ import annotations

from pathlib import Path

from django_b2 import conf

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| Option (`OPTIONS` key) | Setting | Default | Meaning |"


def _documented_rows() -> tuple[Path, list[str]]:
    """The rows of the settings table, from README.md or whichever page under docs/ holds it."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        if HEADER in lines:
            start = lines.index(HEADER) + 2  # skip the |---| line
            rows = []
            for line in lines[start:]:
                if not line.startswith("|"):
                    break
                rows.append(line)
            return page, rows
    raise AssertionError(f"no page among {[str(p) for p in pages]} has the table {HEADER!r}")


def _declared_rows() -> list[str]:
    return [
        f"| `{o.name}` | `{o.setting}` | {o.table_default} | {o.doc} |"
        for o in conf.OPTIONS.values()
    ]


def test_settings_table_is_the_declaration() -> None:
    page, documented = _documented_rows()
    expected = _declared_rows()
    assert documented == expected, (
        f"The settings table in {page.name} differs from conf.B2Config's declarations; "
        "the table should read:\n" + "\n".join(expected)
    )


def test_derived_views_follow_the_declaration() -> None:
    names = [o.name for o in conf.OPTIONS.values()]
    assert list(conf.DEFAULTS) == names
    assert set(conf.B2Config.__dataclass_fields__) == set(names)
    assert dict(conf.STATIC_DEFAULTS) == {"public": True, "file_overwrite": True}
    assert [o.name for o in conf.OPTIONS.values() if o.required] == [
        "application_key_id",
        "application_key",
        "bucket_name",
    ]
    assert [o.name for o in conf.OPTIONS.values() if o.secret] == ["application_key"]
    assert conf.OPTIONS["url_expire"].setting == "B2_URL_EXPIRE"
    assert conf.DEFAULTS["read_block_size"] == 8 * 1024 * 1024
