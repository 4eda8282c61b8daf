"""EmulatorServer and the pytest fixtures: life cycle, reset, persistence, arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from django_b2.emulator import EmulatorServer, transaction_class
from tests.emulator.conftest import Wire

_TWO_TESTS = """
import requests

from django_b2.emulator import FaultConfig


def _authorize(srv):
    r = requests.get(
        srv.url + "/b2api/v3/b2_authorize_account",
        auth=(srv.application_key_id, srv.application_key),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _call(auth, name, body):
    api = auth["apiInfo"]["storageApi"]["apiUrl"]
    return requests.post(
        f"{api}/b2api/v3/{name}",
        headers={"Authorization": auth["authorizationToken"]},
        json=body,
        timeout=30,
    )


def test_1_leaves_things_behind(b2_emulator):
    auth = _authorize(b2_emulator)
    made = _call(
        auth,
        "b2_create_bucket",
        {"accountId": auth["accountId"], "bucketName": "left-behind", "bucketType": "allPrivate"},
    )
    assert made.status_code == 200, made.text
    b2_emulator.set_faults(api_429_rate=0.0, latency_seconds=0.0, seed=9)
    assert b2_emulator.faults != FaultConfig()
    assert b2_emulator.counters()["by_endpoint"]["b2_create_bucket"] == 1


def test_2_starts_clean(b2_emulator, b2_emulator_server):
    assert b2_emulator is b2_emulator_server
    auth = _authorize(b2_emulator)
    listed = _call(auth, "b2_list_buckets", {"accountId": auth["accountId"]})
    assert listed.json()["buckets"] == []
    assert b2_emulator.faults == FaultConfig()
    assert b2_emulator.counters()["by_endpoint"] == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
    }
    assert auth["apiInfo"]["storageApi"]["absoluteMinimumPartSize"] == 1000
"""


def test_fixture_resets_between_tests(tmp_path: Path) -> None:
    """What one test leaves in the session emulator (a bucket, faults, counters) is gone in the
    next: two tests run in their own pytest session, in a fixed order, whatever order this
    suite runs in."""
    (tmp_path / "test_two.py").write_text(_TWO_TESTS)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "django_b2.emulator.pytest_plugin",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "test_two.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout


def test_reset_keeps_the_master_key_and_drops_tokens(b2_emulator: EmulatorServer) -> None:
    wire = Wire(b2_emulator, requests.Session())
    wire.authorize()
    key_id, key = b2_emulator.application_key_id, b2_emulator.application_key
    b2_emulator.reset()
    assert (b2_emulator.application_key_id, b2_emulator.application_key) == (key_id, key)
    response = wire.call("b2_list_buckets", accountId=b2_emulator.account_id)
    assert response.status_code == 401
    assert wire.authorize().status_code == 200


def test_custom_credentials_and_restart_with_data_dir(tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    with EmulatorServer(
        data_dir=data_dir, application_key_id="id-1", application_key="secret-1"
    ) as server:
        assert server.data_dir == data_dir
        wire = Wire(server, requests.Session())
        assert wire.authorize().status_code == 200
        bucket = wire.create_bucket("persisted")
        wire.upload_ok(bucket["bucketId"], "a/b.txt", b"body")
        account = server.account_id
    assert (tmp_path / "emulator.sqlite3").exists()
    with EmulatorServer(data_dir=data_dir) as again:
        assert again.application_key_id == "id-1"
        assert again.account_id == account
        wire = Wire(again, requests.Session())
        wire.authorize()
        files = wire.ok("b2_list_file_names", bucketId=bucket["bucketId"])["files"]
        assert [f["fileName"] for f in files] == ["a/b.txt"]
    with EmulatorServer(
        data_dir=data_dir, application_key_id="id-2", application_key="secret-2"
    ) as changed:
        wire = Wire(changed, requests.Session())
        assert wire.authorize().status_code == 200
        assert wire.authorize("id-1", "secret-1").status_code == 401


def test_temp_dir_is_removed_at_stop() -> None:
    server = EmulatorServer().start()
    data_dir = Path(server.data_dir)
    assert data_dir.is_dir()
    assert "running=True" in repr(server)
    server.stop()
    assert not data_dir.exists()
    assert "running=False" in repr(server)
    with pytest.raises(RuntimeError, match="start"):
        _ = server.url
    server.stop()  # stopping twice is harmless


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="both"):
        EmulatorServer(application_key_id="only")
    with pytest.raises(ValueError, match="absolute_minimum_part_size"):
        EmulatorServer(absolute_minimum_part_size=10, recommended_part_size=5)


def test_repr_never_shows_the_key(b2_emulator: EmulatorServer) -> None:
    assert b2_emulator.application_key not in repr(b2_emulator)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("b2_upload_file", "A"),
        ("b2_delete_key", "A"),
        ("b2_get_upload_part_url", "A"),
        ("b2_download_file_by_id", "B"),
        ("b2_get_file_info", "B"),
        ("b2_list_file_names", "C"),
        ("b2_authorize_account", "C"),
        ("b2_copy_file", "C"),
        ("b2_list_parts", "C"),
    ],
)
def test_transaction_classes(endpoint: str, expected: str) -> None:
    assert transaction_class(endpoint) == expected


def test_data_dir_from_before_inline_bodies_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    with EmulatorServer(data_dir=str(tmp_path)) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        bucket = wire.create_bucket()
        big = wire.upload_ok(bucket["bucketId"], "big", b"b" * 70_000)  # a blob file
    db = sqlite3.connect(tmp_path / "emulator.sqlite3")
    db.execute("ALTER TABLE files DROP COLUMN data")
    db.execute("ALTER TABLE parts DROP COLUMN data")
    db.commit()
    db.close()
    with EmulatorServer(data_dir=str(tmp_path)) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        small = wire.upload_ok(bucket["bucketId"], "small", b"s" * 10)  # inline
        for stored, body in ((big, b"b" * 70_000), (small, b"s" * 10)):
            response = wire.session.get(
                f"{server.url}/b2api/v3/b2_download_file_by_id",
                params={"fileId": stored["fileId"]},
                headers={"Authorization": wire.token},
            )
            assert response.content == body


def test_inline_and_file_bodies_mix_in_one_large_file(b2_emulator: EmulatorServer) -> None:
    import hashlib

    wire = Wire(b2_emulator, requests.Session())
    wire.authorize()
    bucket = wire.create_bucket()
    started = wire.ok(
        "b2_start_large_file", bucketId=bucket["bucketId"], fileName="mixed", contentType="a/b"
    )
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    parts = [b"1" * 100_000, b"2" * 1_000, b"3" * 70_000]  # file, inline, file
    for number, data in enumerate(parts, start=1):
        response = wire.upload_part(target, number, data)
        assert response.status_code == 200
    done = wire.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[hashlib.sha1(p).hexdigest() for p in parts],
    )
    whole = b"".join(parts)
    url = f"{b2_emulator.url}/file/test-bucket/mixed"
    got = wire.session.get(
        url, headers={"Authorization": wire.token, "Range": "bytes=99990-101009"}
    )
    assert got.content == whole[99_990:101_010]
    copied = wire.ok(
        "b2_copy_file", sourceFileId=done["fileId"], fileName="slice", range="bytes=99000-101999"
    )
    sliced = wire.session.get(
        f"{b2_emulator.url}/file/test-bucket/slice", headers={"Authorization": wire.token}
    )
    assert sliced.content == whole[99_000:102_000]
    assert copied["contentSha1"] == hashlib.sha1(whole[99_000:102_000]).hexdigest()


def test_public_names() -> None:
    import django_b2.emulator as emulator

    assert sorted(emulator.__all__) == ["EmulatorServer", "FaultConfig", "transaction_class"]
    for name in emulator.__all__:
        assert getattr(emulator, name).__module__.startswith("django_b2.emulator.")
    public = {n for n in vars(emulator) if not n.startswith("_") and n != "annotations"}
    modules = {n for n in public if type(getattr(emulator, n)).__name__ == "module"}
    assert public - modules == set(emulator.__all__)


def test_emulator_imports_no_django_and_no_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys, django_b2.emulator, django_b2.emulator.__main__;"
        "bad = [m for m in sys.modules if m.startswith(('django.', 'django_b2.client', 'requests'))"
        " or m == 'django'];"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_a_stalled_upload_gets_408_and_idle_connections_close() -> None:
    import socket
    import urllib.parse

    with EmulatorServer(request_timeout_seconds=0.3, header_timeout_seconds=0.3) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        bucket = wire.create_bucket()
        target = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
        url = urllib.parse.urlsplit(target["uploadUrl"])
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            head = (
                f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 100\r\n"
                f"Authorization: {target['authorizationToken']}\r\nX-Bz-File-Name: slow\r\n"
                "Content-Type: text/plain\r\nX-Bz-Content-Sha1: do_not_verify\r\n\r\n"
            )
            sock.sendall(head.encode() + b"x" * 10)  # then stall
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 408")
        assert b'"request_timeout"' in reply
        with socket.create_connection((url.hostname, url.port), timeout=10) as idle:
            assert idle.recv(1) == b""  # closed by the server after 0.3 s of silence
        with socket.create_connection((url.hostname, url.port), timeout=10) as slow:
            slow.sendall(b"GET /b2api/v3/b2_authorize_account HTTP/1.1\r\nHo")  # then stall
            assert slow.recv(1) == b""  # headers get header_timeout_seconds too
