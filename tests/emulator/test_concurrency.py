"""Many threads at once: uploads, parts, downloads and listings stay consistent."""

from __future__ import annotations

import hashlib
import os
import random
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.emulator.conftest import Wire


def test_parallel_uploads_and_downloads(wire: Wire) -> None:
    bucket = wire.create_bucket()
    bucket_id = bucket["bucketId"]

    def worker(n: int) -> dict[str, bytes]:
        own = Wire(wire.server, requests.Session())
        own.authorize()
        target = own.ok("b2_get_upload_url", bucketId=bucket_id)  # one URL per thread
        rnd = random.Random(n)
        written: dict[str, bytes] = {}
        for i in range(12):
            data = os.urandom(rnd.choice([0, 10, 5000, 70_000, 200_000]))
            name = f"t{n}/f{i}"
            own.upload_ok(bucket_id, name, data, upload=target)
            written[name] = data
            back = own.session.get(
                f"{wire.server.url}/file/test-bucket/{name}", headers={"Authorization": own.token}
            )
            assert back.content == data
        return written

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(worker, range(12)))
    expected = {name: data for result in results for name, data in result.items()}
    listed = []
    start = None
    while True:
        params: dict[str, object] = {"bucketId": bucket_id, "maxFileCount": 50}
        if start is not None:
            params["startFileName"] = start
        page = wire.ok("b2_list_file_names", **params)
        listed += page["files"]
        start = page["nextFileName"]
        if start is None:
            break
    assert sorted(f["fileName"] for f in listed) == sorted(expected)
    for entry in listed:
        assert entry["contentSha1"] == hashlib.sha1(expected[entry["fileName"]]).hexdigest()


def test_parallel_parts_of_one_large_file(wire: Wire) -> None:
    bucket = wire.create_bucket()
    started = wire.ok(
        "b2_start_large_file", bucketId=bucket["bucketId"], fileName="big", contentType="a/b"
    )
    parts = [os.urandom(70_000 if i % 2 else 2_000) for i in range(16)]

    def send(numbers: list[int]) -> None:
        session = requests.Session()
        target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
        for number in numbers:
            data = parts[number - 1]
            response = wire.upload_part(target, number, data, session=session)
            assert response.status_code == 200, response.text

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, [list(range(k, 17, 4)) for k in range(1, 5)]))
    wire.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[hashlib.sha1(p).hexdigest() for p in parts],
    )
    whole = wire.session.get(
        f"{wire.server.url}/file/test-bucket/big", headers={"Authorization": wire.token}
    )
    assert whole.content == b"".join(parts)


def test_downloads_hold_one_part_at_a_time(wire: Wire) -> None:
    import tracemalloc

    bucket = wire.create_bucket()
    started = wire.ok(
        "b2_start_large_file", bucketId=bucket["bucketId"], fileName="many", contentType="a/b"
    )
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    part = os.urandom(20_000)  # inline parts (kept in SQLite)
    sha = hashlib.sha1(part).hexdigest()
    for number in range(1, 101):
        response = wire.upload_part(target, number, part, sha)
        assert response.status_code == 200
    wire.ok("b2_finish_large_file", fileId=started["fileId"], partSha1Array=[sha] * 100)
    tracemalloc.start()
    try:
        response = wire.session.get(
            f"{wire.server.url}/file/test-bucket/many",
            headers={"Authorization": wire.token},
            stream=True,
        )
        total = sum(len(chunk) for chunk in response.iter_content(16_384))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 2_000_000
    assert peak < 500_000, peak  # the file is 2 MB; a part is 20 kB
