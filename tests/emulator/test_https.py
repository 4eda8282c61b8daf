"""HTTPS: the emulator serves TLS with a certificate given at start (self-signed here)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from django_b2.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost/127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    made = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        timeout=60,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr.decode()[-200:]}")
    return str(cert), str(key)


@pytest.fixture
def tls_server(certificate: tuple[str, str]) -> Iterator[EmulatorServer]:
    cert, key = certificate
    with EmulatorServer(certfile=cert, keyfile=key) as server:
        yield server


def test_round_trip_over_https(tls_server: EmulatorServer, certificate: tuple[str, str]) -> None:
    cert, _ = certificate
    assert tls_server.url.startswith("https://127.0.0.1:")
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides verify
    session.verify = cert
    auth = session.get(
        f"{tls_server.url}/b2api/v3/b2_authorize_account",
        auth=(tls_server.application_key_id, tls_server.application_key),
        timeout=10,
    ).json()
    storage = auth["apiInfo"]["storageApi"]
    assert storage["apiUrl"].startswith("https://")
    assert storage["downloadUrl"].startswith("https://")
    token = {"Authorization": auth["authorizationToken"]}
    bucket = session.post(
        f"{storage['apiUrl']}/b2api/v3/b2_create_bucket",
        json={
            "accountId": auth["accountId"],
            "bucketName": "tls-bucket",
            "bucketType": "allPrivate",
        },
        headers=token,
        timeout=10,
    ).json()
    target = session.post(
        f"{storage['apiUrl']}/b2api/v3/b2_get_upload_url",
        json={"bucketId": bucket["bucketId"]},
        headers=token,
        timeout=10,
    ).json()
    assert target["uploadUrl"].startswith("https://")
    data = b"secret over tls" * 10_000
    stored = session.post(
        target["uploadUrl"],
        data=data,
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": "f.bin",
            "Content-Type": "b2/x-auto",
            "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
        },
        timeout=10,
    )
    assert stored.status_code == 200, stored.text
    got = session.get(f"{storage['downloadUrl']}/file/tls-bucket/f.bin", headers=token, timeout=10)
    assert got.content == data
    # plain HTTP on the TLS port gets no B2 answer
    with pytest.raises(requests.ConnectionError):
        requests.get(tls_server.url.replace("https://", "http://") + "/b2api/v3/x", timeout=5)


def test_b2sdk_over_https(tls_server: EmulatorServer, certificate: tuple[str, str]) -> None:
    from b2sdk.v2 import B2Api, B2HttpApiConfig, InMemoryAccountInfo

    cert, _ = certificate
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides verify
    session.verify = cert
    api = B2Api(
        InMemoryAccountInfo(), api_config=B2HttpApiConfig(http_session_factory=lambda: session)
    )
    api.authorize_account(tls_server.url, tls_server.application_key_id, tls_server.application_key)
    bucket = api.create_bucket("tls-sdk-bucket", "allPrivate")
    bucket.upload_bytes(b"hello", "hello.txt")
    assert [v.file_name for v, _ in bucket.ls()] == ["hello.txt"]


def test_cli_serves_https(certificate: tuple[str, str], tmp_path: Path) -> None:
    cert, key = certificate
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django_b2.emulator",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--certfile",
            cert,
            "--keyfile",
            key,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("https://")
        answer = requests.get(
            f"{info['url']}/b2api/v3/b2_authorize_account",
            auth=(info["application_key_id"], info["application_key"]),
            verify=cert,
            timeout=10,
        )
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_missing_certificate_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    done = subprocess.run(
        [sys.executable, "-m", "django_b2.emulator", "--port", "0", "--certfile", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"no such file: {missing}" in done.stderr
