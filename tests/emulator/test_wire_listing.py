"""Listings over the wire against a plain model of B2's rules: pages, folders, hide markers, pins.

The emulator answers a listing page from index seeks (a folder is skipped, not read); these tests
pin that every answer still equals the one the rules give when every version is walked in order.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer
from tests.emulator.conftest import Wire, error_of


@pytest.fixture
def bucket_id(wire: Wire) -> str:
    return str(wire.create_bucket()["bucketId"])


@dataclass
class Version:
    name: str
    file_id: str
    action: str  # upload | hide | start
    order: int  # creation order: newer is larger


@dataclass
class Model:
    """Every version of one bucket, kept by the test from what each call answered."""

    versions: list[Version] = field(default_factory=list)
    created: int = 0

    def add(self, answer: dict[str, Any]) -> Version:
        version = Version(answer["fileName"], answer["fileId"], answer["action"], self.created)
        self.created += 1
        self.versions.append(version)
        return version

    def remove(self, file_id: str) -> None:
        self.versions = [v for v in self.versions if v.file_id != file_id]

    def current(self, name: str) -> Version | None:
        finished = [v for v in self.versions if v.name == name and v.action != "start"]
        return max(finished, key=lambda v: v.order, default=None)

    def listing(self, params: dict[str, Any], *, versions: bool) -> dict[str, Any]:
        """The page B2's rules give: every version (or each name's current one) in order."""
        prefix = params.get("prefix", "").encode()
        start = params.get("startFileName", "").encode()
        delimiter = params.get("delimiter", "").encode()
        begin = max(start, prefix)
        pin = None
        if versions and params.get("startFileId") and begin == start:
            pin = next(v.order for v in self.versions if v.file_id == params["startFileId"])
        ordered = sorted(self.versions, key=lambda v: (v.name.encode(), -v.order))
        if not versions:
            ordered = [v for v in ordered if v is self.current(v.name) and v.action != "hide"]
        entries: list[tuple[str, Version | None]] = []
        skip_below = b""
        for version in ordered:
            name = version.name.encode()
            if not name.startswith(prefix) or name < begin or name < skip_below:
                continue
            if name == start and pin is not None and version.order > pin:
                continue
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut < 0:
                entries.append((version.name, version))
                continue
            folder = name[: cut + len(delimiter)]
            entries.append((folder.decode(), None))
            skip_below = folder[:-1] + bytes([folder[-1] + 1])
        count = params.get("maxFileCount") or 100
        page, rest = entries[:count], entries[count:]
        answer: dict[str, Any] = {
            "files": [
                (name, "folder" if v is None else v.action, None if v is None else v.file_id)
                for name, v in page
            ],
            "nextFileName": rest[0][0] if rest else None,
        }
        if versions:
            following = rest[0][1] if rest else None
            answer["nextFileId"] = None if following is None else following.file_id
        return answer


def seen(answer: dict[str, Any], *, versions: bool) -> dict[str, Any]:
    got: dict[str, Any] = {
        "files": [(f["fileName"], f["action"], f["fileId"]) for f in answer["files"]],
        "nextFileName": answer["nextFileName"],
    }
    if versions:
        got["nextFileId"] = answer["nextFileId"]
    return got


def call(versions: bool) -> str:
    return "b2_list_file_versions" if versions else "b2_list_file_names"


def check_walk(wire: Wire, model: Model, params: dict[str, Any], *, versions: bool) -> int:
    """Walk a listing page by page; every page must be the model's. Returns the page count."""
    params = dict(params)
    for pages in range(1, 500):
        answer = wire.ok(call(versions), **params)
        assert seen(answer, versions=versions) == model.listing(params, versions=versions), params
        if answer["nextFileName"] is None:
            return pages
        params["startFileName"] = answer["nextFileName"]
        if versions:
            params["startFileId"] = answer["nextFileId"]
    raise AssertionError(f"the listing never ended: {params}")


def upload(wire: Wire, model: Model, bucket_id: str, name: str) -> Version:
    return model.add(wire.upload_ok(bucket_id, name, name.encode()))


def hide(wire: Wire, model: Model, bucket_id: str, name: str) -> Version:
    return model.add(wire.ok("b2_hide_file", bucketId=bucket_id, fileName=name))


def start(wire: Wire, model: Model, bucket_id: str, name: str) -> Version:
    started = wire.ok(
        "b2_start_large_file", bucketId=bucket_id, fileName=name, contentType="b2/x-auto"
    )
    return model.add(started)


def finish(wire: Wire, model: Model, version: Version) -> None:
    target = wire.ok("b2_get_upload_part_url", fileId=version.file_id)
    sha1s = []
    for number, data in enumerate([b"p" * 1000, b"q"], start=1):
        sha1s.append(hashlib.sha1(data).hexdigest())
        sent = wire.upload_part(target, number, data, sha1s[-1])
        assert sent.status_code == 200, sent.text
    wire.ok("b2_finish_large_file", fileId=version.file_id, partSha1Array=sha1s)
    version.action = "upload"


ALPHABET = ["a", "b", "/", "-", " ", "é", "日", "😀", "z"]


def random_bucket(wire: Wire, bucket_id: str, seed: int) -> Model:
    """Names from a small alphabet (multi-byte ones too), several versions, hide markers,
    unfinished and finished large files, deleted versions."""
    rng = random.Random(seed)
    model = Model()
    pool = sorted({"".join(rng.choices(ALPHABET, k=rng.randint(1, 4))) for _ in range(40)})
    for _ in range(70):
        upload(wire, model, bucket_id, rng.choice(pool))
    started = [start(wire, model, bucket_id, rng.choice(pool)) for _ in range(5)]
    started.append(start(wire, model, bucket_id, "a/only-unfinished"))
    for _ in range(6):
        upload(wire, model, bucket_id, rng.choice(pool))
    finish(wire, model, started[0])
    wire.ok("b2_cancel_large_file", fileId=started[1].file_id)
    model.remove(started[1].file_id)
    names = sorted({v.name for v in model.versions if v.action != "start"})
    for name in rng.sample(names, 8):
        current = model.current(name)
        if current is not None and current.action != "hide":
            hide(wire, model, bucket_id, name)
    for version in rng.sample([v for v in model.versions if v.action != "start"], 8):
        wire.ok("b2_delete_file_version", fileName=version.name, fileId=version.file_id)
        model.remove(version.file_id)
    return model


@pytest.mark.parametrize("seed", [1, 2])
def test_every_page_matches_the_rules(wire: Wire, bucket_id: str, seed: int) -> None:
    model = random_bucket(wire, bucket_id, seed)
    for versions in (False, True):
        for prefix in ("", "a", "a/", "é", "z"):
            for delimiter in (None, "/", "é", "-a"):
                params: dict[str, Any] = {"bucketId": bucket_id, "prefix": prefix}
                if delimiter:
                    params["delimiter"] = delimiter
                for count in (3, 10_000):
                    check_walk(wire, model, {**params, "maxFileCount": count}, versions=versions)
        # pages of one entry, no prefix: every boundary is a page boundary
        check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": 1}, versions=versions)
        check_walk(
            wire,
            model,
            {"bucketId": bucket_id, "maxFileCount": 1, "delimiter": "/"},
            versions=versions,
        )


@pytest.mark.parametrize("seed", [3])
def test_pages_from_arbitrary_starts_match_the_rules(wire: Wire, bucket_id: str, seed: int) -> None:
    model = random_bucket(wire, bucket_id, seed)
    rng = random.Random(seed)
    names = sorted({v.name for v in model.versions}, key=str.encode)
    starts = [*names, "a/", "a0", "é", "zzzz", "\U0010ffff", " "]
    for _ in range(60):
        params: dict[str, Any] = {
            "bucketId": bucket_id,
            "startFileName": rng.choice(starts),
            "maxFileCount": rng.choice([1, 2, 5, 100]),
            "prefix": rng.choice(["", "", "a", "b/", "é"]),
        }
        if rng.random() < 0.5:
            params["delimiter"] = rng.choice(["/", "é"])
        versions = rng.random() < 0.5
        if versions and rng.random() < 0.7:
            pinned = [v for v in model.versions if v.name == params["startFileName"]]
            if pinned:
                params["startFileId"] = rng.choice(pinned).file_id
        answer = wire.ok(call(versions), **params)
        assert seen(answer, versions=versions) == model.listing(params, versions=versions), params


def test_a_folder_of_many_files_is_one_entry_at_any_page_boundary(
    wire: Wire, bucket_id: str
) -> None:
    model = Model()
    upload(wire, model, bucket_id, "a")
    target = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    for index in range(1_200):  # more than any batch a listing reads at once
        wire.upload_ok(bucket_id, f"big/{index:05d}", b"", upload=target)
    upload(wire, model, bucket_id, "c")
    for versions in (False, True):
        whole = wire.ok(call(versions), bucketId=bucket_id, delimiter="/")
        assert [f["fileName"] for f in whole["files"]] == ["a", "big/", "c"]
        first = wire.ok(call(versions), bucketId=bucket_id, delimiter="/", maxFileCount=1)
        assert [f["fileName"] for f in first["files"]] == ["a"]
        assert first["nextFileName"] == "big/"
        second = wire.ok(
            call(versions), bucketId=bucket_id, delimiter="/", maxFileCount=1, startFileName="big/"
        )
        assert [f["action"] for f in second["files"]] == ["folder"]
        assert second["nextFileName"] == "c"
        if versions:
            assert second["nextFileId"] == model.versions[-1].file_id
        inside = wire.ok(
            call(versions), bucketId=bucket_id, delimiter="/", startFileName="big/00600"
        )
        assert [f["fileName"] for f in inside["files"]] == ["big/", "c"]


def test_hide_markers_at_page_boundaries(wire: Wire, bucket_id: str) -> None:
    model = Model()
    for name in ["a", "b", "c", "d", "e", "f"]:
        upload(wire, model, bucket_id, name)
    for name in ["b", "c", "e"]:
        hide(wire, model, bucket_id, name)
    upload(wire, model, bucket_id, "c")  # visible again
    for count in (1, 2, 3):
        pages = check_walk(
            wire, model, {"bucketId": bucket_id, "maxFileCount": count}, versions=False
        )
        assert pages == -(-4 // count)
        check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": count}, versions=True)
    first = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=1)
    assert first["nextFileName"] == "c"  # not the hidden b
    after_c = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=1, startFileName="d")
    assert after_c["nextFileName"] == "f"  # not the hidden e
    listed = [f["fileName"] for f in wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]]
    assert listed == ["a", "c", "d", "f"]


def test_many_versions_of_one_name_across_page_boundaries(wire: Wire, bucket_id: str) -> None:
    model = Model()
    upload(wire, model, bucket_id, "a")
    made = [upload(wire, model, bucket_id, "many") for _ in range(7)]
    hide(wire, model, bucket_id, "many")
    upload(wire, model, bucket_id, "z")
    page = wire.ok("b2_list_file_versions", bucketId=bucket_id, maxFileCount=4)
    assert page["nextFileName"] == "many"
    assert page["nextFileId"] == made[-3].file_id
    assert check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": 4}, versions=True) == 3
    names = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=1)
    assert names["nextFileName"] == "z"  # "many" is hidden, whatever its older versions
    # unhide: the newest upload is "many"'s current version, listed once
    wire.ok("b2_delete_file_version", fileName="many", fileId=model.versions[-2].file_id)
    model.remove(model.versions[-2].file_id)
    listed = wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]
    assert [(f["fileName"], f["fileId"]) for f in listed][1] == ("many", made[-1].file_id)
    check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": 1}, versions=False)


def test_start_file_id_in_the_middle_of_a_name(wire: Wire, bucket_id: str) -> None:
    model = Model()
    made = [upload(wire, model, bucket_id, "p/same") for _ in range(5)]
    upload(wire, model, bucket_id, "p/tail")
    upload(wire, model, bucket_id, "q")
    middle = made[2]
    for params in [
        {"startFileName": "p/same", "startFileId": middle.file_id},
        {"startFileName": "p/same", "startFileId": middle.file_id, "maxFileCount": 2},
        {"startFileName": "p/same", "startFileId": middle.file_id, "prefix": "p/"},
        {"startFileName": "p/same", "startFileId": middle.file_id, "prefix": "p/same"},
        # a prefix after the start name: the listing starts at the prefix, the pin is moot
        {"startFileName": "p/same", "startFileId": middle.file_id, "prefix": "p/t"},
        # a prefix before the start name that does not contain it: nothing
        {"startFileName": "p/same", "startFileId": middle.file_id, "prefix": "o"},
        {"startFileName": "p/same", "startFileId": middle.file_id, "delimiter": "/"},
    ]:
        full = {"bucketId": bucket_id, **params}
        answer = wire.ok("b2_list_file_versions", **full)
        assert seen(answer, versions=True) == model.listing(full, versions=True), params
    pinned = wire.ok(
        "b2_list_file_versions", bucketId=bucket_id, startFileName="p/same",
        startFileId=middle.file_id, maxFileCount=2,
    )  # fmt: skip
    assert [f["fileId"] for f in pinned["files"]] == [made[2].file_id, made[1].file_id]
    assert (pinned["nextFileName"], pinned["nextFileId"]) == ("p/same", made[0].file_id)
    other = wire.call(
        "b2_list_file_versions", bucketId=bucket_id, startFileName="p/tail",
        startFileId=middle.file_id,
    )  # fmt: skip
    assert error_of(other) == (400, "invalid_file_id")


def test_names_skip_unfinished_large_files(wire: Wire, bucket_id: str) -> None:
    model = Model()
    older = upload(wire, model, bucket_id, "doc")
    start(wire, model, bucket_id, "doc")  # newer, but not a finished version
    start(wire, model, bucket_id, "only-started")
    names = wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]
    assert [(f["fileName"], f["fileId"]) for f in names] == [("doc", older.file_id)]
    versions = wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [f["action"] for f in versions] == ["start", "upload", "start"]
    check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": 1}, versions=False)
    check_walk(wire, model, {"bucketId": bucket_id, "maxFileCount": 1}, versions=True)


def test_unfinished_large_files_pages_oldest_first(wire: Wire, bucket_id: str) -> None:
    model = Model()
    names = ["u/c", "v/a", "u/a", "u/b", "w", "u/d", "u/b"]
    started = [start(wire, model, bucket_id, name) for name in names]
    upload(wire, model, bucket_id, "u/plain")  # finished files are never listed here
    for prefix, count in [("", 2), ("u/", 2), ("u/", 100), ("u/b", 1), ("x", 5), ("", 100)]:
        expected = [v.file_id for v in started if v.name.startswith(prefix)]
        got: list[str] = []
        params: dict[str, Any] = {"bucketId": bucket_id, "maxFileCount": count}
        if prefix:
            params["namePrefix"] = prefix
        for _ in range(20):
            page = wire.ok("b2_list_unfinished_large_files", **params)
            assert len(page["files"]) <= count
            assert all(f["action"] == "start" for f in page["files"])
            got += [f["fileId"] for f in page["files"]]
            if page["nextFileId"] is None:
                break
            params["startFileId"] = page["nextFileId"]
        assert got == expected, prefix
    too_many = wire.call("b2_list_unfinished_large_files", bucketId=bucket_id, maxFileCount=101)
    assert error_of(too_many) == (400, "out_of_range")


def test_an_older_data_dir_gets_the_listing_indexes(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    with EmulatorServer(data_dir=str(data_dir)) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        bucket = str(wire.create_bucket("old-bucket")["bucketId"])
        for name in ["b", "a", "c"]:
            wire.upload_ok(bucket, name, b"x")
    db = sqlite3.connect(data_dir / "emulator.sqlite3")
    db.execute("DROP INDEX files_listing")
    db.execute("DROP INDEX files_unfinished")
    db.execute("CREATE INDEX files_by_name ON files (bucket_id, name, seq DESC)")
    db.commit()
    db.close()
    with EmulatorServer(data_dir=str(data_dir)) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        listed = wire.ok("b2_list_file_names", bucketId=bucket)["files"]
        assert [f["fileName"] for f in listed] == ["a", "b", "c"]
    db = sqlite3.connect(data_dir / "emulator.sqlite3")
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    db.close()
    assert {"files_listing", "files_unfinished"} <= indexes
    assert "files_by_name" not in indexes
