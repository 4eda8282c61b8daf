"""The npm library ``backblaze-b2`` (a client we did not write) against the emulator.

``tests/emulator/node/conformance.js`` drives the library and prints one JSON object; the
assertions are here. ``npm ci`` runs once if ``node_modules`` is missing (the lock file is
committed). Without ``node``/``npm`` the tests skip, or fail when DJANGO_B2_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from django_b2.emulator import EmulatorServer

NODE_DIR = Path(__file__).parent / "node"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (the backblaze-b2 conformance run needs Node 18+)"
        if os.environ.get("DJANGO_B2_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def node_results() -> dict[str, Any]:
    node, npm = _tool("node"), _tool("npm")
    if not (NODE_DIR / "node_modules" / "backblaze-b2").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if installed.returncode != 0:
            message = f"npm ci failed (no access to the npm registry?): {installed.stderr[-2000:]}"
            if os.environ.get("DJANGO_B2_REQUIRE_SERVICES") == "1":
                pytest.fail(message)
            pytest.skip(message)
    with EmulatorServer(absolute_minimum_part_size=1000) as server:
        run = subprocess.run(
            [node, "conformance.js", server.url],
            cwd=NODE_DIR,
            env={
                **os.environ,
                "B2_APPLICATION_KEY_ID": server.application_key_id,
                "B2_APPLICATION_KEY": server.application_key,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        results: dict[str, Any] = json.loads(run.stdout)
        results["_server"] = {"url": server.url, "account_id": server.account_id}
        return results


def test_authorize_points_at_the_emulator(node_results: dict[str, Any]) -> None:
    auth = node_results["authorize"]
    assert auth["apiUrl"] == node_results["_server"]["url"]
    assert auth["downloadUrl"] == node_results["_server"]["url"]
    assert auth["accountId"] == node_results["_server"]["account_id"]
    assert auth["absoluteMinimumPartSize"] == 1000
    assert auth["hasToken"] is True


def test_bucket_calls(node_results: dict[str, Any]) -> None:
    assert node_results["createBucket"] == {
        "bucketName": "node-bucket",
        "bucketType": "allPrivate",
    }
    assert node_results["listBuckets"] == ["node-bucket"]
    assert node_results["getBucket"] == [True]
    assert node_results["getBucketById"] == ["node-bucket"]
    assert node_results["updateBucket"] == {"bucketType": "allPublic", "revision": 2}
    assert node_results["deleteBucket"] == {"bucketName": "node-bucket"}
    assert node_results["listBucketsAfterDelete"] == []
    missing = node_results["deleteMissingBucket"]["error"]
    assert missing["status"] == 400
    assert missing["body"]["code"] == "bad_bucket_id"


def test_upload_list_and_download(node_results: dict[str, Any]) -> None:
    upload = node_results["uploadFile"]
    assert upload["contentSha1"] == upload["expectedSha1"]
    assert upload["fileName"] == "dir/hello world.txt"
    # the library sends b2/x-auto: the type comes from the extension
    assert upload["contentType"] == "text/plain"
    assert upload["fileInfo"] == {"author": "node"}
    assert upload["size"] == 16
    assert node_results["secondUpload"] == {"contentType": "application/json"}
    assert node_results["listFileNames"] == ["dir/hello world.txt", "top.json"]
    assert node_results["listFileNamesPaged"] == ["dir/hello world.txt", "top.json"]
    # the library always sends delimiter (null unless given) and prefix ""
    assert node_results["listFileNamesDelimited"] == [["dir/", "folder"], ["top.json", "upload"]]
    assert node_results["getFileInfo"] == {
        "fileName": "dir/hello world.txt",
        "fileInfo": {"author": "node"},
    }
    by_name = node_results["downloadFileByName"]
    assert by_name["text"] == "hello from node\n"
    assert by_name["sha1Header"] == hashlib.sha1(b"hello from node\n").hexdigest()
    assert by_name["infoHeader"] == "node"
    assert node_results["downloadFileById"] == {
        "text": "hello from node\n",
        "fileNameHeader": "dir/hello%20world.txt",
    }


def test_large_file(node_results: dict[str, Any]) -> None:
    # listParts sends startPartNumber 0 by default; B2 treats it as "from the start"
    assert node_results["listParts"] == [[1, 1500], [2, 1500], [3, 700]]
    assert node_results["largeFile"] == {"action": "upload", "size": 3700, "downloadMatches": True}
    assert node_results["cancelLargeFile"] == {"fileName": "abandoned.bin"}


def test_hide_and_delete(node_results: dict[str, Any]) -> None:
    assert node_results["hideFile"] == {"action": "hide", "fileName": "top.json"}
    assert node_results["listFileVersions"] == [
        ["dir/hello world.txt", "upload"],
        ["large.bin", "upload"],
        ["top.json", "hide"],
        ["top.json", "upload"],
    ]
    assert node_results["listFileVersionsPaged"] == node_results["listFileVersions"]
    assert node_results["downloadHidden"]["error"]["status"] == 404
    assert node_results["deleteFileVersion"] == {"fileId": True}
    assert node_results["afterDelete"] == ["large.bin"]


def test_download_authorization(node_results: dict[str, Any]) -> None:
    assert node_results["getDownloadAuthorization"] == {
        "fileNamePrefix": "large",
        "bucketId": True,
        "hasToken": True,
    }
    assert node_results["downloadWithAuthorization"] == {"status": 200}


def test_keys(node_results: dict[str, Any]) -> None:
    assert node_results["createKey"] == {
        "keyName": "node-key",
        "capabilities": ["listFiles", "readFiles"],
        "namePrefix": "dir/",
        "hasSecret": True,
    }
    assert node_results["listKeys"] == ["node-key"]
    allowed = node_results["restrictedAuthorize"]
    assert allowed["bucketName"] == "node-bucket"
    assert allowed["namePrefix"] == "dir/"
    assert allowed["capabilities"] == ["listFiles", "readFiles"]
    assert node_results["deleteKey"] == {"keyName": "node-key"}
    assert node_results["listKeysAfterDelete"] == []
