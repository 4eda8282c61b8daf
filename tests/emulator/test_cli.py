"""The command line: JSON line on stdout, serving, SIGTERM exit 0, persistence across restarts."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from django_b2.emulator.__main__ import build_parser


@contextmanager
def running(*args: str) -> Iterator[dict[str, Any]]:
    with subprocess.Popen(
        [sys.executable, "-m", "django_b2.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
            assert line, "the emulator printed nothing"
            yield json.loads(line)
        finally:
            process.send_signal(signal.SIGTERM)
            rest, errors = process.communicate(timeout=10)
        assert process.returncode == 0, errors
        assert rest == ""  # exactly one line on stdout


def authorize(info: dict[str, Any]) -> dict[str, Any]:
    response = requests.get(
        f"{info['url']}/b2api/v3/b2_authorize_account",
        auth=(info["application_key_id"], info["application_key"]),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_cli_serves_and_stops_on_sigterm() -> None:
    with running("--key-id", "my-key-id", "--key", "my-secret", "--min-part-size", "1000") as info:
        assert set(info) == {"url", "application_key_id", "application_key", "admin_token"}
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["application_key_id"] == "my-key-id"
        assert info["application_key"] == "my-secret"
        body = authorize(info)
        assert body["apiInfo"]["storageApi"]["absoluteMinimumPartSize"] == 1000


def test_cli_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    with running("--data-dir", data_dir) as info:
        auth = authorize(info)
        api = auth["apiInfo"]["storageApi"]["apiUrl"]
        token = auth["authorizationToken"]
        bucket = requests.post(
            f"{api}/b2api/v3/b2_create_bucket",
            headers={"Authorization": token},
            json={
                "accountId": auth["accountId"],
                "bucketName": "kept-bucket",
                "bucketType": "allPrivate",
            },
        ).json()
        target = requests.post(
            f"{api}/b2api/v3/b2_get_upload_url",
            headers={"Authorization": token},
            json={"bucketId": bucket["bucketId"]},
        ).json()
        uploaded = requests.post(
            target["uploadUrl"],
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-File-Name": "kept.txt",
                "Content-Type": "text/plain",
                "X-Bz-Content-Sha1": hashlib.sha1(b"still here").hexdigest(),
            },
            data=b"still here",
        )
        assert uploaded.status_code == 200
        key = requests.post(
            f"{api}/b2api/v3/b2_create_key",
            headers={"Authorization": token},
            json={"accountId": auth["accountId"], "keyName": "kept", "capabilities": ["readFiles"]},
        ).json()
    with running("--data-dir", data_dir) as again:
        # generated master credentials are kept in the data dir too
        assert again["application_key_id"] == info["application_key_id"]
        assert again["application_key"] == info["application_key"]
        auth2 = authorize(again)
        assert auth2["accountId"] == auth["accountId"]
        api2 = auth2["apiInfo"]["storageApi"]["apiUrl"]
        old_token = requests.post(
            f"{api2}/b2api/v3/b2_list_buckets",
            headers={"Authorization": token},
            json={"accountId": auth["accountId"]},
        )
        assert old_token.status_code == 200  # tokens are kept until they expire, as on B2
        download = requests.get(
            f"{api2}/file/kept-bucket/kept.txt",
            headers={"Authorization": auth2["authorizationToken"]},
        )
        assert download.content == b"still here"
        keyed = requests.get(
            f"{api2}/b2api/v3/b2_authorize_account",
            auth=(key["applicationKeyId"], key["applicationKey"]),
        )
        assert keyed.status_code == 200


def test_cli_rejects_bad_arguments() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--api-503-rate", "2"])
    result = subprocess.run(
        [sys.executable, "-m", "django_b2.emulator", "--port", "0", "--key-id", "only-id"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--key-id and --key" in result.stderr
    assert result.stdout == ""


def test_cli_fault_flags_are_applied() -> None:
    with running("--api-429-rate", "1", "--retry-after", "4") as info:
        auth = authorize(info)
        response = requests.post(
            f"{info['url']}/b2api/v3/b2_list_buckets",
            headers={"Authorization": auth["authorizationToken"]},
            json={"accountId": auth["accountId"]},
        )
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "4"


def test_cli_reports_a_busy_port() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "django_b2.emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "try --port 0" in result.stderr
    assert result.stdout == ""


def test_every_fault_flag_reaches_the_config() -> None:
    from django_b2.emulator import FaultConfig
    from django_b2.emulator.__main__ import faults_from_args

    args = build_parser().parse_args(
        [
            "--seed", "3",
            "--upload-503-rate", "0.1",
            "--api-503-rate", "0.2",
            "--api-429-rate", "0.3",
            "--retry-after", "5",
            "--expire-tokens-after", "7",
            "--drop-connection-rate", "0.4",
            "--latency", "0.01",
            "--fail-some-uploads-rate", "0.6",
        ]
    )  # fmt: skip
    assert faults_from_args(args) == FaultConfig(
        seed=3,
        upload_503_rate=0.1,
        api_503_rate=0.2,
        api_429_rate=0.3,
        retry_after=5,
        expire_tokens_after_calls=7,
        drop_connection_rate=0.4,
        latency_seconds=0.01,
        fail_some_uploads_rate=0.6,
    )
    assert faults_from_args(build_parser().parse_args([])) == FaultConfig()
