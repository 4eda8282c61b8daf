"""Short soak: B2Storage under injected faults loses, corrupts and surfaces nothing.

The full version (2,000 saves, 20 multi-part files, real retry waits) is ``benchmarks/soak.py``;
this one saves 200 small files and 3 multi-part files from 4 threads with a retry policy whose
sleep does nothing, while the emulator answers 20 % of uploads with 503, 5 % of API calls with
503/429, drops connections, carries out 5 % of calls without answering them, and (second test)
expires the account token every 50 calls. Then every file is read back (faults still on) and
compared byte for byte, and no name may be left with a duplicate version.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches

from benchmarks.soak import FAULTS, SoakResult, count_duplicates, run_soak, storage_adapters
from django_b2.client import B2Client, RetryPolicy
from django_b2.storage import B2Storage

PART_SIZE = 12_000  # small saves (<= 20,000 bytes) stay below the 2-part threshold

# With ~22 % of upload attempts failing, the default 5 attempts leave ~5e-4 of uploads
# failing for good (0.22 ** 5); 10 attempts make that ~3e-7, so a surfaced error is a real bug.
NO_SLEEP_RETRY = RetryPolicy(attempts=10, sleep=lambda _seconds: None)


class NoSleepB2Storage(B2Storage):
    """B2Storage whose client retries without really waiting (through ``client_kwargs``)."""

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "retry": NO_SLEEP_RETRY}


def soak(emulator: Any, faults: dict[str, Any]) -> tuple[SoakResult, dict[str, Any]]:
    # The emulator was reset; the shared test cache may still hold an earlier test's token and
    # bucket id for the same credentials and bucket name.
    caches["default"].clear()
    B2Client(
        emulator.application_key_id, emulator.application_key, api_url=emulator.url
    ).create_bucket("soak-test", "allPrivate")
    emulator.reset_counters()  # count only the storage's requests
    storage = NoSleepB2Storage(
        bucket_name="soak-test",
        application_key_id=emulator.application_key_id,
        application_key=emulator.application_key,
        api_url=emulator.url,
        file_overwrite=True,
        part_size=PART_SIZE,
        large_file_threshold=2 * PART_SIZE,
        max_workers=2,
    )
    emulator.set_faults(seed=7, **faults)
    save, read = storage_adapters(storage)
    result = run_soak(save, read, saves=200, large=3, part_size=PART_SIZE, threads=4, seed=7)
    counters: dict[str, Any] = emulator.counters()["by_endpoint"]
    emulator.set_faults()
    result.duplicates = count_duplicates(storage.client, storage.bucket_id)
    return result, counters


def assert_faults_fired(counters: dict[str, Any]) -> None:
    # 200 small files + 3 files of 4 parts: more upload requests than that means retries happened
    uploads = counters.get("b2_upload_file", 0) + counters.get("b2_upload_part", 0)
    assert uploads > 200 + 3 * 4, counters
    assert counters.get("b2_upload_part", 0) >= 3 * 4, counters


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_soak_without_token_expiry_loses_nothing(b2_emulator: Any) -> None:
    faults = {k: v for k, v in FAULTS.items() if k != "expire_tokens_after_calls"}

    result, counters = soak(b2_emulator, faults)

    assert (result.lost, result.corrupt, result.surfaced, result.read_errors) == (0, 0, 0, 0), (
        result.summary()
    )
    assert result.duplicates == 0, result.summary()
    assert counters.get("b2_list_file_versions", 0) > 0, counters  # late answers were cleaned up
    assert result.saved == 203
    assert_faults_fired(counters)
    assert counters.get("b2_authorize_account", 0) == 1, counters


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_soak_with_token_expiry_loses_nothing(b2_emulator: Any) -> None:
    result, counters = soak(b2_emulator, FAULTS)

    assert (result.lost, result.corrupt) == (0, 0), result.summary()
    assert_faults_fired(counters)
    assert counters.get("b2_authorize_account", 0) > 1, counters  # tokens really expired
    assert (result.surfaced, result.read_errors) == (0, 0), result.summary()
    assert result.duplicates == 0, result.summary()
    assert result.saved == 203
