"""Worker processes sharing a real Redis cache: one authorization, one bucket-id lookup and one
download token between them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary

from .conftest import PRIVATE_BUCKET, B2Env

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[2]
WORKERS = 4

WORKER = r"""
import json, os, sys, time
import django
from django.conf import settings

config = json.loads(sys.argv[1])
settings.configure(
    USE_TZ=True,
    INSTALLED_APPS=["django_b2"],
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": config["redis"]}},
)
django.setup()
from django.core.files.base import ContentFile
from django_b2.storage import B2Storage

storage = B2Storage(**config["options"])
go = config["go"]
open(config["ready"], "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go):  # start together, so that every worker races to authorize
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.005)
name = storage.save(f"worker-{config['index']}.txt", ContentFile(b"hello"))
print(json.dumps({"name": name, "url": storage.url(name)}))
"""


URL_WORKER = r"""
import json, os, sys, time
import django
from django.conf import settings

config = json.loads(sys.argv[1])
settings.configure(
    USE_TZ=True,
    INSTALLED_APPS=["django_b2"],
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": config["redis"]}},
)
django.setup()
from django_b2.storage import B2Storage

storage = B2Storage(**config["options"])
storage.client.authorization  # authorized (or read from Redis) before the race starts
go = config["go"]
open(config["ready"], "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go):  # then every worker asks for URLs at the same moment
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.002)
print(json.dumps({"urls": [storage.url(name) for name in config["names"]]}))
"""


def run_workers(script: str, configs: list[dict[str, object]], tmp_path: Path) -> list[Any]:
    """Start one process per config, release them together, return each one's JSON output."""
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    readies = [tmp_path / f"ready-{index}" for index in range(len(configs))]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                json.dumps({**config, "go": str(go), "ready": str(ready), "index": index}),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for index, (config, ready) in enumerate(zip(configs, readies, strict=True))
    ]
    try:
        # Wait until every worker is set up, then start them at once.
        deadline = time.monotonic() + 60
        while not all(ready.exists() for ready in readies):
            assert time.monotonic() < deadline, "workers did not start"
            for process in processes:
                if process.poll() is not None:
                    _, err = process.communicate()
                    pytest.fail(f"a worker died while starting: {err}")
            time.sleep(0.01)
        go.write_text("go")
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private redis-server on a Unix socket (no TCP port that another process could take)."""
    binary = require_binary("redis-server", "the shared-cache tests need a real Redis")
    import redis

    # A short directory: Unix socket paths are limited to about 100 bytes.
    with tempfile.TemporaryDirectory(prefix="b2redis-") as directory:
        socket_path = os.path.join(directory, "redis.sock")
        process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                socket_path,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=socket_path)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.02)
            yield f"unix://{socket_path}?db=0"
        finally:
            client.close()
            process.terminate()
            process.wait(10)


def test_workers_share_one_authorization(b2: B2Env, redis_url: str, tmp_path: Path) -> None:
    config: dict[str, object] = {"redis": redis_url, "options": b2.options(location="workers")}
    results = run_workers(WORKER, [config] * WORKERS, tmp_path)

    counts = b2.counts()
    assert counts["b2_authorize_account"] == 1
    assert counts["b2_upload_file"] == WORKERS
    names = sorted(f["fileName"] for f in b2.client.iter_file_names(b2.private_bucket_id))
    assert names == [f"workers/worker-{i}.txt" for i in range(WORKERS)]
    # Every worker signed with the token it found in (or put into) the shared cache.
    import requests

    for result in results:
        assert requests.get(result["url"], timeout=10).content == b"hello"
    assert PRIVATE_BUCKET in results[0]["url"]


def test_workers_mint_one_download_token_and_look_the_bucket_up_once(
    b2: B2Env, redis_url: str, tmp_path: Path
) -> None:
    names = ["a.txt", "b.txt", "c/d.txt"]
    for name in names:
        b2.client.upload_file(b2.private_bucket_id, f"signed/{name}", name.encode())
    b2.server.reset_counters()
    config: dict[str, object] = {
        "redis": redis_url,
        "names": names,
        "options": b2.options(location="signed"),
    }
    results = run_workers(URL_WORKER, [config] * WORKERS, tmp_path)

    counts = b2.counts()
    assert counts == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
        "b2_get_download_authorization": len(names),  # one token per file, for all workers
    }
    # Every worker signed with the same tokens: the same URLs, and they work.
    import requests

    assert all(result["urls"] == results[0]["urls"] for result in results)
    for name, url in zip(names, results[0]["urls"], strict=True):
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, response.text
        assert response.content == name.encode()
