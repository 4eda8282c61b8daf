from __future__ import annotations

from tests.emulator.conftest import Wire


def test_upload_then_download_by_name(wire: Wire) -> None:
    bucket = wire.create_bucket()
    uploaded = wire.upload_ok(bucket["bucketId"], "dir/hello world.txt", b"hello")
    assert uploaded["action"] == "upload"
    assert uploaded["contentLength"] == 5
    response = wire.session.get(
        f"{wire.server.url}/file/test-bucket/dir/hello%20world.txt",
        headers={"Authorization": wire.token},
    )
    assert response.status_code == 200
    assert response.content == b"hello"
    assert response.headers["X-Bz-File-Id"] == uploaded["fileId"]
