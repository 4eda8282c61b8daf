"""Downloads: DownloadedFile (headers, chunks, checks, resume) and B2Client.download.

Most tests run over real HTTP against the emulator. A corrupt or short body is something the
emulator never serves, so those checks use hand-built ``requests.Response`` objects.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from django_b2.client import B2Client
from django_b2.client._download import DownloadedFile
from django_b2.client._download_headers import expected_sha1
from django_b2.client.errors import B2ConnectionError, B2IntegrityError, B2ValidationError
from tests.helpers import pattern

# -- helpers ----------------------------------------------------------------------------------


def _response(
    body: bytes,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    raw: Any = None,
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update({"Content-Length": str(len(body))})
    response.headers.update(headers or {})
    response.raw = raw if raw is not None else io.BytesIO(body)
    return response


class _BreakingRaw(io.RawIOBase):
    """A body that raises a connection error after ``fail_after`` bytes."""

    def __init__(self, body: bytes, fail_after: int) -> None:
        self._data = io.BytesIO(body[:fail_after])

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._data.readinto(buffer)
        if n == 0:
            raise requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead")
        return n


# -- header parsing (no network) --------------------------------------------------------------


def test_headers_are_parsed_and_decoded() -> None:
    body = b"x" * 10
    response = _response(
        body,
        headers={
            "X-Bz-File-Id": "4_zabc_f1",
            "X-Bz-File-Name": "dir/na%20me+%2B%C3%A9.txt",
            "X-Bz-Content-Sha1": hashlib.sha1(body).hexdigest(),
            "X-Bz-Upload-Timestamp": "1700000000123",
            "X-Bz-Info-Author": "J%C3%BCrgen%20S",
            "x-bz-info-src_last_modified_millis": "42",
            "Content-Type": "text/plain",
        },
    )
    with DownloadedFile(response) as f:
        assert f.file_id == "4_zabc_f1"
        assert f.file_name == "dir/na me +é.txt"
        assert f.file_info == {"author": "Jürgen S", "src_last_modified_millis": "42"}
        assert f.upload_timestamp == 1700000000123
        assert f.content_type == "text/plain"
        assert f.content_length == 10
        assert f.total_length == 10
        assert f.range is None
        assert f.status_code == 200
        assert f.expected_sha1 == hashlib.sha1(body).hexdigest()
        assert f.read() == body


def test_partial_response_reads_content_range() -> None:
    response = _response(
        b"abcd",
        status=206,
        headers={"Content-Range": "bytes 10-13/100", "X-Bz-Content-Sha1": "a" * 40},
    )
    f = DownloadedFile(response)
    assert f.range == (10, 13)
    assert f.total_length == 100
    assert f.content_length == 4
    assert f.expected_sha1 is None  # a range can't be checked against the whole-file SHA-1
    assert f.read() == b"abcd"
    assert f.as_dict()["range"] == [10, 13]
    assert f.as_dict()["contentLength"] == 100


@pytest.mark.parametrize(
    ("header", "info", "expected"),
    [
        ("none", {}, None),
        ("unverified:" + "AB" * 20, {}, "ab" * 20),
        ("cd" * 20, {}, "cd" * 20),
        ("none", {"large_file_sha1": "EF" * 20}, "ef" * 20),
        ("none", {"large_file_sha1": "not-a-sha1"}, None),
        (None, {}, None),
    ],
)
def test_expected_sha1(header: str | None, info: dict[str, str], expected: str | None) -> None:
    assert expected_sha1(header, info) == expected


def test_unverified_prefix_is_stripped_and_checked() -> None:
    body = pattern(3000)
    good = "unverified:" + hashlib.sha1(body).hexdigest()
    assert DownloadedFile(_response(body, headers={"X-Bz-Content-Sha1": good})).read() == body
    bad = "unverified:" + hashlib.sha1(b"other").hexdigest()
    with pytest.raises(B2IntegrityError, match="SHA-1 mismatch"):
        DownloadedFile(_response(body, headers={"X-Bz-Content-Sha1": bad})).read()


# -- integrity (hand-built responses: the emulator never serves a bad body) -------------------


def test_sha1_mismatch_is_raised_before_the_last_chunk() -> None:
    body = pattern(5000)
    response = _response(body, headers={"X-Bz-Content-Sha1": hashlib.sha1(b"x").hexdigest()})
    delivered: list[bytes] = []
    f = DownloadedFile(response, chunk_size=1000)
    with pytest.raises(B2IntegrityError, match="SHA-1 mismatch"):
        for chunk in f:
            delivered.append(chunk)
    assert 0 < sum(map(len, delivered)) < len(body)
    assert b"".join(delivered) == body[: sum(map(len, delivered))]


def test_verify_false_skips_the_sha1_check() -> None:
    body = pattern(2000)
    response = _response(body, headers={"X-Bz-Content-Sha1": "0" * 40})
    f = DownloadedFile(response, verify=False)
    assert f.expected_sha1 is None
    assert f.read() == body


def test_short_body_without_reopen_is_an_integrity_error() -> None:
    body = pattern(2000)
    response = _response(body, raw=io.BytesIO(body[:1500]))  # Content-Length says 2000
    with pytest.raises(B2IntegrityError, match="ended early after 1500 of 2000"):
        DownloadedFile(response).read()


def test_broken_stream_without_reopen_is_a_connection_error() -> None:
    body = pattern(2000)
    response = _response(body, raw=_BreakingRaw(body, 700))
    with pytest.raises(B2ConnectionError, match="broke"):
        DownloadedFile(response, chunk_size=256).read()


def test_broken_stream_resumes_with_reopen_and_keeps_hashing() -> None:
    body = pattern(10_000)
    sha1 = hashlib.sha1(body).hexdigest()
    offsets: list[int] = []

    def reopen(offset: int) -> requests.Response:
        offsets.append(offset)
        rest = body[offset:]
        # Each resumed response breaks again after 3000 bytes, except when little is left.
        raw = _BreakingRaw(rest, 3000) if len(rest) > 3000 else io.BytesIO(rest)
        return _response(
            rest,
            status=206,
            headers={
                "Content-Range": f"bytes {offset}-{len(body) - 1}/{len(body)}",
                "X-Bz-File-Id": "id1",
            },
            raw=raw,
        )

    first = _response(
        body,
        headers={"X-Bz-Content-Sha1": sha1, "X-Bz-File-Id": "id1"},
        raw=_BreakingRaw(body, 2500),
    )
    f = DownloadedFile(first, reopen=reopen, chunk_size=512)
    assert f.read() == body
    assert offsets == [2500, 5500, 8500]
    assert f.resumes == 3


def test_resume_detects_a_changed_file() -> None:
    body = pattern(4000)

    def reopen(offset: int) -> requests.Response:
        return _response(
            body[offset:],
            status=206,
            headers={"Content-Range": f"bytes {offset}-3999/4000", "X-Bz-File-Id": "other"},
        )

    first = _response(body, headers={"X-Bz-File-Id": "id1"}, raw=_BreakingRaw(body, 1000))
    with pytest.raises(B2IntegrityError, match="does not continue the same file"):
        DownloadedFile(first, reopen=reopen).read()


def test_resume_gives_up_after_max_resumes() -> None:
    body = pattern(4000)
    calls: list[int] = []

    def reopen(offset: int) -> requests.Response:
        calls.append(offset)
        return _response(
            body[offset:],
            status=206,
            headers={"Content-Range": f"bytes {offset}-3999/4000"},
            raw=_BreakingRaw(body[offset:], 10),
        )

    first = _response(body, raw=_BreakingRaw(body, 100))
    with pytest.raises(B2ConnectionError, match="gave up after 3 resumes"):
        DownloadedFile(first, reopen=reopen, max_resumes=3).read()
    assert len(calls) == 3


def test_failed_save_leaves_no_file(tmp_path: Path) -> None:
    body = pattern(3000)
    response = _response(body, headers={"X-Bz-Content-Sha1": "1" * 40})
    target = tmp_path / "out.bin"
    with pytest.raises(B2IntegrityError):
        DownloadedFile(response, chunk_size=500).save(target)
    assert os.listdir(tmp_path) == []


def test_save_replaces_an_existing_file_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    body = pattern(3000)
    bad = _response(body, headers={"X-Bz-Content-Sha1": "1" * 40})
    with pytest.raises(B2IntegrityError):
        DownloadedFile(bad).save(str(target))
    assert target.read_bytes() == b"old content"
    good = _response(body, headers={"X-Bz-Content-Sha1": hashlib.sha1(body).hexdigest()})
    assert DownloadedFile(good).save(str(target)) == len(body)
    assert target.read_bytes() == body
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]


def test_read_in_pieces_and_mixed_with_iteration() -> None:
    body = pattern(5000)
    f = DownloadedFile(_response(body), chunk_size=700)
    assert f.read(10) == body[:10]
    assert f.read(0) == b""
    assert f.read(1000) == body[10:1010]
    rest = b"".join(f.iter_chunks())
    assert rest == body[1010:]
    assert f.read(5) == b""
    assert f.bytes_read == len(body)


def test_progress_counts_delivered_bytes() -> None:
    body = pattern(4500)
    calls: list[tuple[int, int | None]] = []
    f = DownloadedFile(_response(body), chunk_size=1000, progress=lambda d, t: calls.append((d, t)))
    f.read()
    assert calls == [(1000, 4500), (2000, 4500), (3000, 4500), (4000, 4500), (4500, 4500)]


def test_closed_file_cannot_be_read() -> None:
    f = DownloadedFile(_response(b"abc"))
    f.close()
    with pytest.raises(B2ValidationError, match="closed"):
        f.read()
    with DownloadedFile(_response(b"abcdef"), chunk_size=2) as g:
        assert g.read(3) == b"abc"
    with pytest.raises(B2ValidationError, match="closed"):
        g.read(1)


def test_bad_destination_is_rejected() -> None:
    f = DownloadedFile(_response(b"abc"))
    with pytest.raises(B2ValidationError, match="destination"):
        f.save(42)  # type: ignore[arg-type]


# -- real HTTP against the emulator -----------------------------------------------------------


def test_download_by_name_and_by_id(client: B2Client, bucket: dict[str, Any]) -> None:
    body = pattern(3000)
    uploaded = client.upload(
        bucket["bucketId"],
        "docs/résumé v1.txt",
        body,
        content_type="text/plain",
        file_info={"Author": "Ana María"},
    )
    with client.download_file_by_name(bucket["bucketName"], "docs/résumé v1.txt") as f:
        assert f.file_id == uploaded["fileId"]
        assert f.file_name == "docs/résumé v1.txt"
        assert f.file_info == {"author": "Ana María"}
        assert f.content_type.startswith("text/plain")
        assert f.content_length == len(body)
        assert f.expected_sha1 == hashlib.sha1(body).hexdigest()
        assert f.read() == body
    with client.download_file_by_id(uploaded["fileId"]) as f:
        assert b"".join(f) == body


def test_ranged_downloads(client: B2Client, bucket: dict[str, Any]) -> None:
    body = pattern(5000)
    client.upload(bucket["bucketId"], "ranged.bin", body)
    name = bucket["bucketName"]
    with client.download_file_by_name(name, "ranged.bin", range=(100, 199)) as f:
        assert f.status_code == 206
        assert f.range == (100, 199)
        assert f.total_length == 5000
        assert f.read() == body[100:200]
    with client.download_file_by_name(name, "ranged.bin", range=(4990, None)) as f:
        assert f.read() == body[4990:]
    with client.download_file_by_name(name, "ranged.bin", range="bytes=0-0") as f:
        assert f.read() == body[:1]


def test_large_file_download_is_checked_with_large_file_sha1(
    client: B2Client, bucket: dict[str, Any]
) -> None:
    body = pattern(4500)
    client.upload(
        bucket["bucketId"],
        "big.bin",
        body,
        large_file_threshold=2000,
        part_size=1000,
        large_file_sha1=True,
    )
    with client.download_file_by_name(bucket["bucketName"], "big.bin") as f:
        assert f.content_sha1 == "none"
        assert f.file_info["large_file_sha1"] == hashlib.sha1(body).hexdigest()
        assert f.expected_sha1 == hashlib.sha1(body).hexdigest()
        assert f.read() == body


def test_client_download_to_path_and_file_object(
    client: B2Client, bucket: dict[str, Any], tmp_path: Path
) -> None:
    body = pattern(2500)
    uploaded = client.upload(bucket["bucketId"], "a/b.bin", body)
    target = tmp_path / "b.bin"
    result = client.download(
        bucket_name=bucket["bucketName"], file_name="a/b.bin", destination=target
    )
    assert target.read_bytes() == body
    assert result["fileId"] == uploaded["fileId"]
    assert result["fileName"] == "a/b.bin"
    assert result["contentLength"] == len(body)
    assert result["bytesWritten"] == len(body)
    assert sorted(os.listdir(tmp_path)) == ["b.bin"]

    sink = io.BytesIO()
    seen: list[int] = []
    result = client.download(
        file_id=uploaded["fileId"],
        destination=sink,
        range=(10, 19),
        progress=lambda done, total: seen.append(done),
    )
    assert sink.getvalue() == body[10:20]
    assert result["range"] == [10, 19]
    assert seen[-1] == 10


def test_client_download_rejects_bad_arguments_before_any_request(
    client: B2Client, b2_emulator: Any, tmp_path: Path
) -> None:
    b2_emulator.reset_counters()
    with pytest.raises(B2ValidationError, match="not both"):
        client.download(file_id="x", bucket_name="b", file_name="f", destination=tmp_path / "x")
    with pytest.raises(B2ValidationError, match="say which file"):
        client.download(bucket_name="bucket-name", destination=tmp_path / "x")
    with pytest.raises(B2ValidationError, match="destination"):
        client.download(file_id="x", destination=123)  # type: ignore[arg-type]
    with pytest.raises(B2ValidationError, match="does not exist"):
        client.download(file_id="x", destination=tmp_path / "missing-dir" / "x")
    with pytest.raises(B2ValidationError, match="is a directory"):
        client.download(file_id="x", destination=tmp_path)
    assert b2_emulator.counters()["total"] == 0


def test_missing_file_raises_not_found(client: B2Client, bucket: dict[str, Any]) -> None:
    from django_b2.client.errors import B2NotFound

    with pytest.raises(B2NotFound):
        client.download_file_by_name(bucket["bucketName"], "nope.txt")


@given(
    chunk_size=st.integers(1, 700),
    sizes=st.lists(st.one_of(st.integers(0, 900), st.just(-1)), max_size=30),
)
def test_read_sizes_reassemble_the_body(chunk_size: int, sizes: list[int]) -> None:
    body = pattern(2000)
    f = DownloadedFile(_response(body), chunk_size=chunk_size)
    pieces = []
    for size in sizes:
        piece = f.read(size)
        assert len(piece) <= len(body) if size < 0 else len(piece) <= size
        pieces.append(piece)
    pieces.append(f.read())
    assert b"".join(pieces) == body
