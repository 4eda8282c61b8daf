"""The emulator as a network service: admin guard, body limits, connection cap, bad JSON."""

from __future__ import annotations

import contextlib
import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer
from tests.emulator.conftest import Wire, error_of

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20


# ------------------------------------------------------------------ admin endpoints


def test_admin_calls_need_the_token(wire: Wire) -> None:
    url = f"{wire.server.url}/_emulator/counters"
    assert error_of(requests.get(url)) == (401, "unauthorized")
    assert error_of(requests.get(url, headers={"X-Emulator-Admin-Token": "guess"})) == (
        401,
        "unauthorized",
    )
    ok = requests.get(url, headers=wire.server.admin_headers)
    assert ok.status_code == 200 and "total" in ok.json()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
        {"Host": "attacker.example"},
        {"Host": "192.168.1.20:8787"},
        {"Content-Type": "text/plain"},
    ],
    ids=["origin", "null-origin", "rebound-host", "lan-host", "form-body"],
)
def test_cross_site_reset_is_refused(wire: Wire, headers: dict[str, str]) -> None:
    """A web page open while the emulator runs cannot wipe the data dir, even with the token."""
    bucket = wire.create_bucket("keep-me")
    sent = {**wire.server.admin_headers, **headers}
    refused = requests.post(f"{wire.server.url}/_emulator/reset", headers=sent, data=b"{}")
    assert refused.status_code in (403, 415), refused.text
    listed = wire.ok("b2_list_buckets", accountId=wire.server.account_id)
    assert [b["bucketId"] for b in listed["buckets"]] == [bucket["bucketId"]]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_emulator/faults", {"latency_seconds": 1e6}),
        ("/_emulator/faults", {"retry_after": 10**12}),
        ("/_emulator/clock", {"advance_seconds": 1e300}),
        ("/_emulator/clock", {"advance_seconds": True}),
    ],
)
def test_admin_numbers_are_bounded(wire: Wire, path: str, body: dict[str, Any]) -> None:
    response = requests.post(
        f"{wire.server.url}{path}", json=body, headers=wire.server.admin_headers
    )
    assert error_of(response) == (400, "bad_request")
    nan = requests.post(
        f"{wire.server.url}/_emulator/faults",
        data=b'{"latency_seconds": NaN}',
        headers={**wire.server.admin_headers, "Content-Type": "application/json"},
    )
    assert error_of(nan) == (400, "bad_request")
    assert wire.server.faults.latency_seconds == 0
    assert wire.ok("b2_list_buckets", accountId=wire.server.account_id)["buckets"] == []


# ------------------------------------------------------------------ JSON


def test_deep_or_malformed_json_is_400(wire: Wire) -> None:
    url = f"{wire.server.url}/b2api/v3/b2_list_buckets"
    headers = {"Authorization": wire.token, "Content-Type": "application/json"}
    for body in (b"[" * 10_000 + b"]" * 10_000, b'{"accountId": ' + b"[" * 100 + b"]" * 100 + b"}"):
        response = requests.post(url, data=body, headers=headers)
        assert error_of(response) == (400, "bad_request")
    for body in (b"{not json", b'{"accountId": NaN}', b"\xff\xfe"):
        assert error_of(requests.post(url, data=body, headers=headers)) == (400, "bad_request")


def test_json_bodies_are_capped(wire: Wire) -> None:
    big = json.dumps({"accountId": wire.server.account_id, "pad": "x" * (2 * MiB)})
    response = requests.post(
        f"{wire.server.url}/b2api/v3/b2_list_buckets",
        data=big,
        headers={"Authorization": wire.token},
    )
    assert error_of(response) == (413, "request_too_large")


# ------------------------------------------------------------------ refusing bodies unread


def _send_headers(host: str, port: int, head: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.sendall(head.encode("latin-1"))
    return sock


def _status_of(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_oversized_upload_is_refused_from_content_length() -> None:
    """The answer comes before any body byte is sent (the old emulator waited for the body)."""
    with EmulatorServer(max_simple_file_size=1000) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        bucket = wire.create_bucket("big-bucket")
        target = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
        host, port = server.url.removeprefix("http://").split(":")
        path = target["uploadUrl"].removeprefix(server.url)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {target['authorizationToken']}\r\nX-Bz-File-Name: big\r\n"
            "Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: do_not_verify\r\n"
            "Content-Length: 1000000000\r\n\r\n"
        )
        with _send_headers(host, int(port), head) as sock:
            assert _status_of(sock) == 400


def _vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _start_emulator(data_dir: Path, fd_limit: int | None = None) -> subprocess.Popen[str]:
    def limit_fds() -> None:
        if fd_limit is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, hard))

    return subprocess.Popen(
        [sys.executable, "-m", "django_b2.emulator", "--port", "0", "--data-dir", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=limit_fds,
    )


@contextlib.contextmanager
def emulator_process(
    data_dir: Path, fd_limit: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc = _start_emulator(data_dir, fd_limit)
    try:
        assert proc.stdout is not None
        yield proc, json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _stream_unauthenticated(url: str, head: str, total: int) -> int:
    """Send ``head`` then up to ``total`` zero bytes in 1 MiB chunks; the answer's status."""
    host, port = url.removeprefix("http://").split(":")
    chunk = bytes(MiB)
    with _send_headers(host, int(port), head, timeout=30) as sock:
        sent = 0
        try:
            while sent < total:
                sent += sock.send(chunk[: min(MiB, total - sent)])
        except OSError:
            pass  # the emulator answered and closed: the rest of the body was never read
        return _status_of(sock)


def test_unauthenticated_400_mb_bodies_do_not_grow_memory(tmp_path: Path) -> None:
    """Peak memory (VmHWM) of an emulator process while 400 MB bodies arrive with no valid
    credentials: the old emulator read each JSON/admin/unknown-path body whole (+400 MB)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the emulator's peak memory")
    with emulator_process(tmp_path) as (proc, info):
        url = info["url"]
        host = url.removeprefix("http://")
        total = 400 * 1000 * 1000
        requests.get(f"{url}/b2api/v3/b2_authorize_account", timeout=10)  # warm up
        before = _vm_kib(proc.pid, "VmHWM")
        targets = {
            "/b2api/v3/b2_list_buckets": 401,  # authenticated before the body is read
            "/b2api/v3/b2_upload_file/0123456789abcdef01234567/c001": 401,
            "/_emulator/reset": 401,
            "/no/such/path": 404,
        }
        statuses = {}
        for path in targets:
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: nope\r\n"
                f"X-Bz-File-Name: f\r\nX-Bz-Content-Sha1: do_not_verify\r\n"
                f"Content-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
            )
            statuses[path] = _stream_unauthenticated(url, head, total)
        growth_mib = (_vm_kib(proc.pid, "VmHWM") - before) / 1024
        assert growth_mib < 32, f"peak memory grew by {growth_mib:.0f} MiB"
        assert statuses == targets
        # the emulator still serves
        assert requests.get(f"{url}/b2api/v3/b2_authorize_account", timeout=10).status_code == 401


# ------------------------------------------------------------------ connections


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"needs {needed} file descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def test_idle_connections_do_not_starve_a_normal_call(tmp_path: Path) -> None:
    """1,100 connections that send nothing (or half a request) against an emulator with the
    usual 1,024 file descriptors: the old one could not accept() any more connections (EMFILE)
    and a normal call waited behind them for minutes."""
    _raise_fd_limit(1100 + 256)
    with emulator_process(tmp_path, fd_limit=1024) as (_, info):
        url = info["url"]
        host, port = url.removeprefix("http://").split(":")
        idle: list[socket.socket] = []
        try:
            for number in range(1100):
                sock = socket.create_connection((host, int(port)), timeout=5)
                if number % 2:
                    sock.sendall(b"POST /b2api/v3/b2_list_buckets HTTP/1.1\r\nHost: ")
                idle.append(sock)
            started = time.monotonic()
            response = requests.get(f"{url}/b2api/v3/b2_authorize_account", timeout=5)
            elapsed = time.monotonic() - started
        finally:
            for sock in idle:
                sock.close()
        assert response.status_code == 401  # answered (no credentials sent)
        # The old emulator kept it waiting for minutes; a loaded machine may take a second or two.
        assert elapsed < 3.0, f"a normal call took {elapsed:.2f} s behind 1,100 idle connections"
