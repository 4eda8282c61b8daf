"""B2Client's download calls: re-authorization on the first response, and resuming a broken
stream through the client's ``reopen`` (same file, same range end)."""

from __future__ import annotations

import hashlib
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_b2.client import B2Client, B2NotFound, Bucket, RetryPolicy
from django_b2.emulator import EmulatorServer
from tests.helpers import endpoint_calls

DATA = bytes(range(256)) * 120  # 30,720 bytes


def test_download_reauthorizes_once_on_expired_token(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    version = client.upload_file(bucket["bucketId"], "r.bin", DATA)
    b2_emulator.advance_clock(86_401)
    b2_emulator.reset_counters()
    with client.download_file_by_name(bucket["bucketName"], "r.bin") as downloaded:
        assert downloaded.read() == DATA
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 1
    b2_emulator.advance_clock(86_401)
    with client.download_file_by_id(version["fileId"] or "", range=(0, 9)) as part:
        assert part.read() == DATA[:10]
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2


def test_broken_download_resumes_through_reopen(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    version = client.upload_file(bucket["bucketId"], "resume.bin", DATA)
    b2_emulator.set_faults(drop_connection_rate=0.5, seed=4)
    b2_emulator.reset_counters()
    resumed = 0
    for _ in range(3):
        with client.download_file_by_name(bucket["bucketName"], "resume.bin") as downloaded:
            body = b"".join(downloaded.iter_chunks(4096))
            resumed += downloaded.resumes
        assert hashlib.sha1(body).hexdigest() == version["contentSha1"]
    with client.download_file_by_id(version["fileId"] or "", range=(100, 20_099)) as ranged:
        assert ranged.read() == DATA[100:20_100]
        resumed += ranged.resumes
    assert resumed > 0  # the faults really broke some streams
    assert (
        endpoint_calls(b2_emulator, "b2_download_file_by_name")
        + endpoint_calls(b2_emulator, "b2_download_file_by_id")
        == 4 + resumed
    )


# Percent-encoding end to end: any legal name survives upload, listing, HEAD and download.
# (Names also avoid the "strict" rules some B2 revisions enforce: no backslash, no leading or
# trailing "/", no "//", no surrounding spaces.)
def _plausible(name: str) -> bool:
    return (
        name.strip() == name
        and "//" not in name
        and "\\" not in name
        and not name.startswith("/")
        and not name.endswith("/")
    )


_legal = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="".join(map(chr, [*range(32), 127]))
)
names = (
    st.text(_legal, min_size=1, max_size=40) | st.text(string.printable.strip(), min_size=1)
).filter(_plausible)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names)
def test_any_name_round_trips_over_http(b2_emulator: EmulatorServer, name: str) -> None:
    srv = b2_emulator
    client = B2Client(
        srv.application_key_id, srv.application_key, api_url=srv.url, retry=RetryPolicy(attempts=1)
    )
    try:
        bucket = client.get_bucket(bucket_name="names-bucket")
    except B2NotFound:  # first example of this test: the emulator was just reset
        bucket = client.create_bucket("names-bucket", "allPrivate")
    payload = name.encode("utf-8")
    version = client.upload_file(bucket["bucketId"], name, payload, file_info={"original": name})
    assert version["fileName"] == name
    listed = client.list_file_names(bucket["bucketId"], start_file_name=name, max_file_count=1)
    assert listed["files"][0]["fileName"] == name
    head = client.get_file_info_by_name("names-bucket", name)
    assert head["fileName"] == name
    assert head["fileInfo"]["original"] == name
    with client.download_file_by_name("names-bucket", name) as downloaded:
        assert downloaded.read() == payload
        assert downloaded.file_name == name
