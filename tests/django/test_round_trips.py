"""Fewer requests on the paths Django calls most, counted by the emulator (real HTTP)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.base import ContentFile

from django_b2 import head_memo

from .conftest import B2Env

HEAD = "b2_download_file_by_name"  # the emulator counts a HEAD by name under this endpoint


def test_exists_then_size_and_times_share_one_head(b2: B2Env) -> None:
    """Before: one HEAD each (3 here)."""
    storage = b2.storage()
    storage.save("memo.txt", ContentFile(b"12345"))
    b2.server.reset_counters()
    assert storage.exists("memo.txt")
    assert storage.size("memo.txt") == 5
    storage.get_modified_time("memo.txt")
    assert b2.counts() == {HEAD: 1}
    # A missing name is remembered too.
    assert not storage.exists("nothing.txt")
    assert not storage.exists("nothing.txt")
    assert b2.counts() == {HEAD: 2}


def test_own_writes_and_deletes_drop_the_memo(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True)
    storage.save("memo.txt", ContentFile(b"12345"))
    assert storage.size("memo.txt") == 5
    storage.save("memo.txt", ContentFile(b"123"))
    assert storage.size("memo.txt") == 3
    with storage.open("memo.txt", "wb") as handle:
        handle.write(b"1")
    assert storage.size("memo.txt") == 1
    storage.delete("memo.txt")
    assert not storage.exists("memo.txt")
    storage.save("memo.txt", ContentFile(b"12"))
    assert storage.exists("memo.txt") and storage.size("memo.txt") == 2


def test_memo_expires_after_about_a_second(b2: B2Env, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = b2.storage()
    writer = b2.storage()  # another worker's writes are seen once the memo has expired
    assert not storage.exists("late.txt")
    writer.save("late.txt", ContentFile(b"now"))
    assert not storage.exists("late.txt")  # within the memo's second
    real = head_memo.time.monotonic
    monkeypatch.setattr(
        head_memo.time, "monotonic", lambda: real() + head_memo.HEAD_MEMO_SECONDS + 0.1
    )
    assert storage.exists("late.txt")


def test_listdir_lists_up_to_10000_names_per_call(b2: B2Env) -> None:
    """Before: one listing per 1,000 names (2 here)."""
    storage = b2.storage(location="many")
    count = 1200
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: b2.client.upload(b2.private_bucket_id, f"many/f{i:05d}.txt", b"x"),
                range(count),
            )
        )
    storage.bucket_id  # noqa: B018 - authorization and bucket id out of the count
    b2.server.reset_counters()
    directories, files = storage.listdir("")
    assert (len(directories), len(files)) == (0, count)
    assert b2.counts() == {"b2_list_file_names": 1}


def test_sequential_read_grows_its_blocks(b2: B2Env) -> None:
    """Before: one ranged GET per read_block_size (80 here)."""
    block = 64 * 1024
    data = hashlib.sha256(b"seq").digest() * (5 * 1024 * 1024 // 32)
    storage = b2.storage(read_block_size=block)
    storage.save("seq.bin", ContentFile(data))
    with storage.open("seq.bin") as handle:
        digest = hashlib.sha256()
        for chunk in handle.chunks(chunk_size=block):
            digest.update(chunk)
        # 64 KiB, 256 KiB, 1 MiB, 4 MiB (clipped to the end of the file).
        assert handle.requests == 4
    assert digest.digest() == hashlib.sha256(data).digest()
