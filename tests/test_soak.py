"""Short soak: B2Storage under injected faults loses, corrupts and surfaces nothing.

The full version (2,000 saves, 20 multi-part files, real retry waits) is ``benchmarks/soak.py``;
this one saves 200 small files and 3 multi-part files from 4 threads with a retry policy whose
sleep does nothing, while the emulator answers 20 % of uploads with 503, 5 % of API calls with
503/429, expires the account token every 50 calls and drops connections. Then every file is read
back (faults still on) and compared byte for byte.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.soak import FAULTS, run_soak, storage_adapters
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


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_soak_under_faults_loses_nothing(b2_emulator: Any) -> None:
    setup = B2Client(
        b2_emulator.application_key_id, b2_emulator.application_key, api_url=b2_emulator.url
    )
    setup.create_bucket("soak-test", "allPrivate")
    storage = NoSleepB2Storage(
        bucket_name="soak-test",
        application_key_id=b2_emulator.application_key_id,
        application_key=b2_emulator.application_key,
        api_url=b2_emulator.url,
        file_overwrite=True,
        part_size=PART_SIZE,
        large_file_threshold=2 * PART_SIZE,
        max_workers=2,
    )
    b2_emulator.set_faults(seed=7, **FAULTS)
    save, read = storage_adapters(storage)

    result = run_soak(save, read, saves=200, large=3, part_size=PART_SIZE, threads=4, seed=7)

    counters = b2_emulator.counters()
    assert (result.lost, result.corrupt, result.surfaced, result.read_errors) == (0, 0, 0, 0), (
        result.summary()
    )
    assert result.saved == 203
    # the faults really fired: more upload requests than files, and re-authorizations happened
    uploads = counters["by_endpoint"].get("b2_upload_file", 0)
    assert uploads > 200, counters
    assert counters["by_endpoint"].get("b2_upload_part", 0) > 3 * 3, counters
    assert counters["by_endpoint"].get("b2_authorize_account", 0) > 1, counters
