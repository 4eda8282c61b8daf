"""Tokens survive a restart with the same data dir, until they expire (as B2's do)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests

from django_b2.emulator import EmulatorServer
from tests.emulator.conftest import Wire


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=str(tmp_path)) as first:
        wire = Wire(first, requests.Session())
        wire.authorize()
        bucket = wire.create_bucket("kept-bucket")
        upload = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
        wire.upload_ok(bucket["bucketId"], "doc.txt", b"kept")
        download = wire.ok(
            "b2_get_download_authorization",
            bucketId=bucket["bucketId"],
            fileNamePrefix="doc",
            validDurationInSeconds=3600,
        )
        account_token, old_url = wire.token, first.url
    with EmulatorServer(data_dir=str(tmp_path)) as second:
        session = requests.Session()
        url = second.url
        listed = session.post(
            f"{url}/b2api/v3/b2_list_buckets",
            json={"accountId": second.account_id},
            headers={"Authorization": account_token},
        )
        assert listed.status_code == 200, listed.text
        assert [b["bucketName"] for b in listed.json()["buckets"]] == ["kept-bucket"]
        data = b"after the restart"
        stored = session.post(
            upload["uploadUrl"].replace(old_url, url),
            data=data,
            headers={
                "Authorization": upload["authorizationToken"],
                "X-Bz-File-Name": "after.txt",
                "Content-Type": "text/plain",
                "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
            },
        )
        assert stored.status_code == 200, stored.text
        fetched = session.get(
            f"{url}/file/kept-bucket/doc.txt",
            headers={"Authorization": download["authorizationToken"]},
        )
        assert fetched.status_code == 200 and fetched.content == b"kept"
        # they still expire: a day later the account token is refused
        second.advance_clock(86_401)
        expired = session.post(
            f"{url}/b2api/v3/b2_list_buckets",
            json={"accountId": second.account_id},
            headers={"Authorization": account_token},
        )
        assert expired.status_code == 401
        assert expired.json()["code"] == "expired_auth_token"


def test_reset_forgets_saved_tokens(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=str(tmp_path)) as first:
        wire = Wire(first, requests.Session())
        wire.authorize()
        token = wire.token
        first.reset()
    with EmulatorServer(data_dir=str(tmp_path)) as second:
        refused = requests.post(
            f"{second.url}/b2api/v3/b2_list_buckets",
            json={"accountId": second.account_id},
            headers={"Authorization": token},
        )
        assert refused.status_code == 401
        assert refused.json()["code"] == "bad_auth_token"
