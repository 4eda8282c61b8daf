"""Helpers for the emulator's own tests: raw HTTP calls against ``b2_emulator``."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer


@dataclass
class Wire:
    """A raw B2 session over ``requests``: authorize once, then call endpoints."""

    server: EmulatorServer
    session: requests.Session
    version: int = 3
    token: str = ""
    auth: dict[str, Any] | None = None

    def authorize(
        self, key_id: str | None = None, key: str | None = None, version: int | None = None
    ) -> requests.Response:
        version = version or self.version
        response = self.session.get(
            f"{self.server.url}/b2api/v{version}/b2_authorize_account",
            auth=(key_id or self.server.application_key_id, key or self.server.application_key),
        )
        if response.status_code == 200:
            self.auth = response.json()
            self.token = self.auth["authorizationToken"]
        return response

    def call(
        self, endpoint: str, token: str | None = None, method: str = "POST", **params: Any
    ) -> requests.Response:
        url = f"{self.server.url}/b2api/v{self.version}/{endpoint}"
        headers = {"Authorization": self.token if token is None else token}
        if not headers["Authorization"]:
            headers = {}
        if method == "GET":
            return self.session.get(url, headers=headers, params=params)
        return self.session.post(url, headers=headers, json=params)

    def ok(self, endpoint: str, **params: Any) -> dict[str, Any]:
        response = self.call(endpoint, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def create_bucket(
        self, name: str = "test-bucket", bucket_type: str = "allPrivate", **kw: Any
    ) -> dict[str, Any]:
        return self.ok(
            "b2_create_bucket",
            accountId=self.server.account_id,
            bucketName=name,
            bucketType=bucket_type,
            **kw,
        )

    def upload(
        self,
        bucket_id: str,
        name: str,
        data: bytes,
        *,
        headers: dict[str, str] | None = None,
        upload: dict[str, Any] | None = None,
    ) -> requests.Response:
        target = upload or self.ok("b2_get_upload_url", bucketId=bucket_id)
        sent = {
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": requests.utils.quote(name, safe="/"),
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
        }
        sent.update(headers or {})
        return self.session.post(target["uploadUrl"], headers=sent, data=data)

    def upload_ok(self, bucket_id: str, name: str, data: bytes, **kw: Any) -> dict[str, Any]:
        response = self.upload(bucket_id, name, data, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def upload_part(
        self,
        target: dict[str, Any],
        number: int,
        data: bytes,
        sha1: str | None = None,
        *,
        session: requests.Session | None = None,
    ) -> requests.Response:
        """Send part ``number`` to the URL of a ``b2_get_upload_part_url`` answer."""
        return (session or self.session).post(
            target["uploadUrl"],
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": sha1 or hashlib.sha1(data).hexdigest(),
            },
            data=data,
        )


def sse_c_headers(secret: bytes) -> dict[str, str]:
    """The upload/download headers that give ``secret`` as an SSE-C key."""
    return {
        "X-Bz-Server-Side-Encryption-Customer-Algorithm": "AES256",
        "X-Bz-Server-Side-Encryption-Customer-Key": base64.b64encode(secret).decode(),
        "X-Bz-Server-Side-Encryption-Customer-Key-Md5": base64.b64encode(
            hashlib.md5(secret).digest()
        ).decode(),
    }


@pytest.fixture
def wire(b2_emulator: EmulatorServer) -> Wire:
    session = requests.Session()
    client = Wire(b2_emulator, session)
    client.authorize()
    return client


def error_of(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["message"], str)
    return response.status_code, body["code"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A hung emulator test should fail fast, not after the suite-wide 300 s."""
    for item in items:
        if "tests/emulator/" in str(item.path).replace("\\", "/") and not item.get_closest_marker(
            "timeout"
        ):
            item.add_marker(pytest.mark.timeout(60))
