"""When the live tests may run, and against what.

They run only when all three ``B2_TEST_*`` variables are set and ``CI`` is not: nothing else in
the suite may ever reach the real B2, so the real API URL appears nowhere but here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

REAL_API_URL: Final = "https://api.backblazeb2.com"
VARIABLES: Final = ("B2_TEST_APPLICATION_KEY_ID", "B2_TEST_APPLICATION_KEY", "B2_TEST_BUCKET_NAME")


@dataclass(frozen=True)
class LiveAccount:
    application_key_id: str
    application_key: str = field(repr=False)
    bucket_name: str
    api_url: str = REAL_API_URL


def live_account(environ: Mapping[str, str]) -> LiveAccount | None:
    """The account to test against, or None when the live tests must not run."""
    if environ.get("CI"):
        return None
    values = [environ.get(name, "").strip() for name in VARIABLES]
    if not all(values):
        return None
    return LiveAccount(*values)


def skip_reason(environ: Mapping[str, str]) -> str:
    if environ.get("CI"):
        return "CI is set: the live B2 tests never run in CI"
    missing = [name for name in VARIABLES if not environ.get(name, "").strip()]
    return (
        f"live B2 tests: {', '.join(missing)} not set; set all of {', '.join(VARIABLES)} "
        "(a key that may write to and delete from a scratch bucket) to run them"
    )
