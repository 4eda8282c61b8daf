"""Several worker processes sharing a real Redis cache authorize with B2 once between them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = require_binary("redis-server", "the shared-cache tests need a real Redis")
    import redis

    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
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
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(10)


def test_workers_share_one_authorization(b2: B2Env, redis_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                json.dumps(
                    {
                        "redis": redis_url,
                        "go": str(go),
                        "ready": str(tmp_path / f"ready-{index}"),
                        "index": index,
                        "options": b2.options(location="workers"),
                    }
                ),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for index in range(WORKERS)
    ]
    # Wait until every worker has imported Django and built its storage, then start them at once.
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{i}").exists() for i in range(WORKERS)):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in processes), "a worker died while starting"
        time.sleep(0.01)
    go.write_text("go")
    results = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

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
