"""Parts of a file on disk are read once: hashed while sent, ending with ``hex_digits_at_end``.

Covers the body itself (trailer, rewind, no partial rewinds), uploads from a path through dropped
connections (a resend must re-read and re-hash from the part's start), ``partSha1Array`` and
resume (parts that may be on B2 already are hashed first to compare).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from django_b2.client import B2Client
from django_b2.client._body import Payload
from django_b2.client._streams import FileRange
from django_b2.client.errors import B2AuthTokenExpired, B2ServiceError, B2ValidationError
from tests.helpers import endpoint_calls, fetch, pattern

PART = 1000
THRESHOLD = 3000


def _read_all(body: Any, size: int) -> bytes:
    out = bytearray()
    while True:
        block = body.read(size)
        if not len(block):
            return bytes(out)
        out += block


def test_hashing_body_ends_with_the_hex_sha1_and_rewinds(tmp_path: Path) -> None:
    data = pattern(3 * 1024 * 1024 + 17, seed=1)
    path = tmp_path / "f.bin"
    path.write_bytes(b"head" + data + b"tail")
    fd = os.open(path, os.O_RDONLY)
    try:
        part = FileRange(fd, 4, len(data))
        payload = Payload(part, len(data), None, None, hash_while_sending=True)  # type: ignore[arg-type]
        digest = hashlib.sha1(data).hexdigest()
        assert payload.wire_length == len(data) + 40
        assert payload.sha1 == "hex_digits_at_end"
        with pytest.raises(Exception, match="not sent to its end"):
            payload.sent_sha1  # noqa: B018
        body = payload.open()
        assert len(body) == len(data) + 40
        assert _read_all(body, 700_000) == data + digest.encode()
        assert payload.sent_sha1 == digest
        # Half sent, then sent again (a retry on a fresh URL): the file range rewinds and the
        # hash starts again.
        assert bytes(payload.open().read(1000)) == data[:1000]
        assert _read_all(payload.open(), 13) == data + digest.encode()
        assert payload.sent_sha1 == digest
        part.close()
        plain = FileRange(fd, 4, len(data))
        assert len(plain) == len(data)
        assert _read_all(plain, 1 << 20) == data
    finally:
        os.close(fd)


def test_upload_part_accepts_data_already_ending_with_its_sha1(
    client: B2Client, bucket: dict[str, Any]
) -> None:
    started = client.start_large_file(bucket["bucketId"], "trailer.bin")
    data = pattern(PART, seed=2)
    seen: list[tuple[int, int | None]] = []
    body = data + hashlib.sha1(data).hexdigest().encode()
    part = client.upload_part(
        started["fileId"],
        1,
        io.BytesIO(body),
        content_length=len(body),
        content_sha1="hex_digits_at_end",
        progress=lambda sent, total: seen.append((sent, total)),
    )
    assert part["contentSha1"] == hashlib.sha1(data).hexdigest()
    assert part["contentLength"] == len(data)
    assert seen[-1] == (len(data), len(data))  # progress counts the content, not the digits
    with pytest.raises(B2ValidationError, match="40 hex"):
        client.upload_part(started["fileId"], 2, b"short", content_sha1="hex_digits_at_end")
    client.cancel_large_file(started["fileId"])


def test_path_parts_go_up_with_hex_digits_at_end_through_dropped_connections(
    client: B2Client,
    bucket: dict[str, Any],
    b2_emulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = pattern(9500, seed=3)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    real = client.upload_part
    headers: list[str | None] = []
    finished: list[list[str]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        # The engine hands over a ready body; its ``sha1`` is the X-Bz-Content-Sha1 it sends.
        body = args[2]
        headers.append(body.sha1 if isinstance(body, Payload) else kwargs.get("content_sha1"))
        return real(*args, **kwargs)

    real_finish = client.finish_large_file

    def spy_finish(file_id: str, digests: Any, **kwargs: Any) -> Any:
        finished.append(list(digests))
        return real_finish(file_id, digests, **kwargs)

    monkeypatch.setattr(client, "upload_part", spy)
    monkeypatch.setattr(client, "finish_large_file", spy_finish)
    b2_emulator.reset_counters()
    b2_emulator.set_faults(seed=5, drop_connection_rate=0.3)
    result = client.upload(
        bucket["bucketId"],
        "big.bin",
        path,
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=2,
    )
    b2_emulator.set_faults(drop_connection_rate=0.0)
    assert endpoint_calls(b2_emulator, "b2_upload_part") > 10  # some bodies were cut off and resent
    assert headers == ["hex_digits_at_end"] * 10
    expected = [hashlib.sha1(data[i : i + PART]).hexdigest() for i in range(0, len(data), PART)]
    assert finished == [expected]
    assert result["contentLength"] == len(data)
    assert fetch(client, bucket, "big.bin") == data


def test_resume_from_a_path_hashes_parts_that_may_be_there(
    client: B2Client,
    bucket: dict[str, Any],
    b2_emulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = pattern(7000, seed=4)
    path = tmp_path / "resume.bin"
    path.write_bytes(data)
    options: dict[str, Any] = {
        "large_file_threshold": THRESHOLD,
        "part_size": PART,
        "max_workers": 1,
        "large_file_sha1": True,
    }
    real = client.upload_part
    sent: list[int] = []

    def break_after_three(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        sent.append(args[1])
        if len(sent) == 3:
            b2_emulator.set_faults(upload_503_rate=1.0)
        return result

    monkeypatch.setattr(client, "upload_part", break_after_three)
    with pytest.raises(B2ServiceError):
        client.upload(bucket["bucketId"], "resume.bin", path, cancel_on_failure=False, **options)
    monkeypatch.undo()
    b2_emulator.set_faults(upload_503_rate=0.0)

    # Part 2 on B2 is replaced by other bytes of the same size: it must be sent again.
    (unfinished,) = client.list_unfinished_large_files(bucket["bucketId"])["files"]
    client.upload_part(unfinished["fileId"], 2, pattern(PART, seed=99))
    b2_emulator.reset_counters()
    result = client.upload(bucket["bucketId"], "resume.bin", path, **options)
    assert result["fileId"] == unfinished["fileId"]
    assert endpoint_calls(b2_emulator, "b2_upload_part") == 1 + 4  # part 2 again, then parts 4..7
    with client.download_file_by_id(result["fileId"]) as f:
        assert f.read() == data


def test_a_path_part_whose_token_expired_after_it_was_sent_goes_up_whole_again(
    client: B2Client,
    bucket: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part read straight from a file, sent once and refused with an expired token (B2's
    ``expire_some_account_authorization_tokens`` after the client's own re-authorization), is
    sent again from its first byte."""
    data = pattern(3000, seed=6)
    path = tmp_path / "expired.bin"
    path.write_bytes(data)
    real = client.upload_part
    refused: list[int] = []

    def expire_once(file_id: str, number: int, body: Any, **kwargs: Any) -> Any:
        if number == 2 and not refused:
            reader = body.open()
            refused.append(sum(len(block) for block in iter(reader.read, b"")))  # sent whole ...
            raise B2AuthTokenExpired(401, "expired_auth_token", "Authorization token expired")
        return real(file_id, number, body, **kwargs)  # ... and goes out again, whole

    monkeypatch.setattr(client, "upload_part", expire_once)
    client.upload(
        bucket["bucketId"],
        "expired.bin",
        path,
        large_file_threshold=THRESHOLD,
        part_size=PART,
        max_workers=1,
    )
    assert refused == [PART + 40]  # the part and its hex SHA-1 at the end
    assert fetch(client, bucket, "expired.bin") == data
