"""The live tests' guard (runs everywhere; never contacts B2)."""

from __future__ import annotations

import pytest

from ._guard import REAL_API_URL, VARIABLES, LiveAccount, live_account, skip_reason

ALL = {
    "B2_TEST_APPLICATION_KEY_ID": "0012345",
    "B2_TEST_APPLICATION_KEY": "K00secret-live-key",
    "B2_TEST_BUCKET_NAME": "scratch",
}


def test_all_three_variables_give_the_real_api() -> None:
    account = live_account(ALL)
    assert account == LiveAccount("0012345", "K00secret-live-key", "scratch")
    assert account is not None and account.api_url == REAL_API_URL
    assert "K00secret-live-key" not in repr(account)


@pytest.mark.parametrize("missing", VARIABLES)
def test_any_missing_or_blank_variable_means_no_live_tests(missing: str) -> None:
    without = {k: v for k, v in ALL.items() if k != missing}
    assert live_account(without) is None
    assert live_account({**ALL, missing: "  "}) is None
    reason = skip_reason(without)
    assert missing in reason
    assert all(name in reason for name in VARIABLES)


def test_ci_never_runs_them() -> None:
    assert live_account({**ALL, "CI": "true"}) is None
    assert "CI" in skip_reason({**ALL, "CI": "true"})
