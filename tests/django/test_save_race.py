"""Concurrent saves of one name with ``file_overwrite=False`` lose nothing (real HTTP)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.files.base import ContentFile

from .conftest import B2Env

THREADS = 8
ROUNDS = 50
#: Bound on each round: a barrier that never fills fails the test instead of hanging it.
ROUND_TIMEOUT = 30.0


def test_concurrent_saves_of_one_name_each_keep_their_own_bytes(b2: B2Env) -> None:
    """Before: in most rounds several saves got the same name back and all but one lost their
    bytes (the name then served the last upload)."""
    storage = b2.storage(location="media")
    storage.save("warm.txt", ContentFile(b"w"))  # authorization, bucket id, upload URLs
    barrier = threading.Barrier(THREADS, timeout=ROUND_TIMEOUT)

    def save(round_: int, worker: int) -> tuple[str, bytes]:
        data = f"round {round_} worker {worker}".encode()
        barrier.wait()
        return storage.save(f"race/r{round_}.txt", ContentFile(data)), data

    lost: list[str] = []
    with ThreadPoolExecutor(THREADS) as pool:
        for round_ in range(ROUNDS):
            futures = [pool.submit(save, round_, worker) for worker in range(THREADS)]
            results = [future.result(timeout=ROUND_TIMEOUT) for future in futures]
            names = [name for name, _ in results]
            assert len(set(names)) == THREADS, f"round {round_}: names shared: {names}"
            for name, data in results:
                with storage.open(name) as handle:
                    if handle.read() != data:
                        lost.append(name)
    assert lost == []
    # Every returned name holds exactly one version: the losers' uploads were taken off the
    # contested names.
    versions = [
        str(v["fileName"])
        for v in b2.client.iter_file_versions(b2.private_bucket_id, prefix="media/race/")
    ]
    assert len(versions) == len(set(versions)) == THREADS * ROUNDS


def test_a_save_of_a_new_name_costs_an_upload_and_one_listing(b2: B2Env) -> None:
    """No request is added to the common case: before, 1 HEAD + 1 upload; now 1 upload + 1
    listing of the name's versions."""
    storage = b2.storage()
    storage.save("warm.txt", ContentFile(b"w"))
    b2.server.reset_counters()
    assert storage.save("fresh.txt", ContentFile(b"new")) == "fresh.txt"
    assert b2.counts() == {"b2_upload_file": 1, "b2_list_file_versions": 1}


def test_a_save_onto_a_taken_name_moves_away_and_leaves_the_owner_alone(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("taken.txt", ContentFile(b"owner"))
    other = b2.storage()  # another worker: knows nothing of taken.txt
    moved = other.save("taken.txt", ContentFile(b"newcomer"))
    assert moved != "taken.txt" and moved.startswith("taken_") and moved.endswith(".txt")
    with other.open(moved) as handle:
        assert handle.read() == b"newcomer"
    with other.open("taken.txt") as handle:
        assert handle.read() == b"owner"
    versions = list(b2.client.iter_file_versions(b2.private_bucket_id, prefix="taken.txt"))
    assert [v["fileName"] for v in versions] == ["taken.txt"]
    # When this storage has just seen the name taken (HEAD memo), it picks another name first.
    assert storage.exists("taken.txt")
    b2.server.reset_counters()
    again = storage.save("taken.txt", ContentFile(b"third"))
    assert again not in ("taken.txt", moved)
    assert "b2_copy_file" not in b2.counts()
