"""The storage when B2 carries a call out but the answer is lost: nothing is left twice."""

from __future__ import annotations

from django.core.files.base import ContentFile

from .conftest import B2Env


def test_save_with_a_lost_upload_answer_leaves_one_version(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True)
    storage.listdir("")  # authorized, bucket known
    b2.server.set_faults(
        late_answer_rate=1.0, late_answer_endpoints=["b2_upload_file"], late_answer_limit=1
    )
    name = storage.save("report.txt", ContentFile(b"quarterly"))
    b2.server.set_faults()
    versions = b2.client.list_file_versions(b2.private_bucket_id, prefix="report.txt")["files"]
    assert len(versions) == 1
    with storage.open(name) as fh:
        assert fh.read() == b"quarterly"
