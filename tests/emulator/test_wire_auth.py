"""Authorization over the wire: the three response shapes, token errors, capabilities, keys."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests

from tests.emulator.conftest import Wire, error_of


def test_authorize_v2_is_flat_with_allowed(wire: Wire) -> None:
    body = wire.authorize(version=2).json()
    assert body["accountId"] == wire.server.account_id
    assert body["apiUrl"] == wire.server.url
    assert body["downloadUrl"] == wire.server.url
    assert body["absoluteMinimumPartSize"] == 1000
    assert body["recommendedPartSize"] == 100_000_000
    assert body["allowed"]["bucketId"] is None
    assert "writeFiles" in body["allowed"]["capabilities"]
    assert "apiInfo" not in body


def test_authorize_v3_is_flat_in_storage_api(wire: Wire) -> None:
    body = wire.authorize(version=3).json()
    storage = body["apiInfo"]["storageApi"]
    assert storage["infoType"] == "storageApi"
    assert storage["apiUrl"] == wire.server.url
    assert storage["bucketId"] is None and storage["namePrefix"] is None
    assert "listBuckets" in storage["capabilities"]
    assert "allowed" not in storage


def test_authorize_v4_has_allowed_buckets(wire: Wire) -> None:
    body = wire.authorize(version=4).json()
    storage = body["apiInfo"]["storageApi"]
    assert storage["allowed"]["buckets"] is None
    assert "bucketId" not in storage
    assert body["applicationKeyExpirationTimestamp"] is None


def test_authorize_by_post_and_with_account_id(wire: Wire) -> None:
    url = f"{wire.server.url}/b2api/v3/b2_authorize_account"
    key = wire.server.application_key
    response = requests.post(url, auth=(wire.server.application_key_id, key), json={})
    assert response.status_code == 200
    by_account = requests.get(url, auth=(wire.server.account_id, key))
    assert by_account.status_code == 200
    assert by_account.json()["accountId"] == wire.server.account_id


def test_authorize_errors(wire: Wire) -> None:
    url = f"{wire.server.url}/b2api/v3/b2_authorize_account"
    assert error_of(requests.get(url, auth=("nope", "wrong"))) == (401, "unauthorized")
    wrong_key = requests.get(url, auth=(wire.server.application_key_id, "wrong"))
    assert error_of(wrong_key) == (401, "unauthorized")
    assert error_of(requests.get(url)) == (401, "missing_auth_token")
    garbage = requests.get(url, headers={"Authorization": "Basic !!!"})
    assert error_of(garbage) == (400, "bad_request")
    no_colon = base64.b64encode(b"justone").decode()
    assert error_of(requests.get(url, headers={"Authorization": f"Basic {no_colon}"}))[0] == 400


def test_json_and_date_headers(wire: Wire) -> None:
    response = wire.call("b2_list_buckets", accountId=wire.server.account_id)
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert "Date" in response.headers
    assert response.headers["Cache-Control"] == "max-age=0, no-cache, no-store"
    assert int(response.headers["Content-Length"]) == len(response.content)


def test_token_errors(wire: Wire) -> None:
    account = wire.server.account_id
    assert error_of(wire.call("b2_list_buckets", token="", accountId=account)) == (
        401,
        "missing_auth_token",
    )
    assert error_of(wire.call("b2_list_buckets", token="garbage", accountId=account)) == (
        401,
        "bad_auth_token",
    )
    wire.server.advance_clock(86_401)
    assert error_of(wire.call("b2_list_buckets", accountId=account)) == (
        401,
        "expired_auth_token",
    )
    wire.authorize()
    assert wire.call("b2_list_buckets", accountId=account).status_code == 200


def test_upload_token_is_not_an_account_token(wire: Wire) -> None:
    bucket = wire.create_bucket()
    upload = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    response = wire.call(
        "b2_list_buckets", token=upload["authorizationToken"], accountId=wire.server.account_id
    )
    assert error_of(response) == (401, "bad_auth_token")


def test_get_with_query_parameters(wire: Wire) -> None:
    bucket = wire.create_bucket()
    for i in range(3):
        wire.upload_ok(bucket["bucketId"], f"f{i}", b"x")
    response = wire.call(
        "b2_list_file_names", method="GET", bucketId=bucket["bucketId"], maxFileCount=2
    )
    assert response.status_code == 200
    assert [f["fileName"] for f in response.json()["files"]] == ["f0", "f1"]
    listed = wire.call(
        "b2_list_buckets", method="GET", accountId=wire.server.account_id, bucketTypes='["all"]'
    )
    assert [b["bucketName"] for b in listed.json()["buckets"]] == ["test-bucket"]
    bad = wire.call("b2_list_file_names", method="GET", bucketId="x", maxFileCount="many")
    assert error_of(bad) == (400, "bad_request")


def test_unknown_call_and_wrong_method(wire: Wire) -> None:
    assert error_of(wire.call("b2_no_such_call")) == (404, "not_found")
    url = f"{wire.server.url}/b2api/v3/b2_list_buckets"
    response = requests.put(url, headers={"Authorization": wire.token}, json={})
    assert error_of(response) == (405, "method_not_allowed")
    assert error_of(requests.get(f"{wire.server.url}/nothing/here")) == (404, "not_found")


def _key(wire: Wire, **params: object) -> dict[str, object]:
    return wire.ok("b2_create_key", accountId=wire.server.account_id, **params)


def test_missing_capability_is_unauthorized(wire: Wire) -> None:
    bucket = wire.create_bucket()
    key = _key(wire, keyName="reader", capabilities=["listFiles", "readFiles"])
    reader = Wire(wire.server, requests.Session())
    assert reader.authorize(str(key["applicationKeyId"]), str(key["applicationKey"])).ok
    listing = reader.call("b2_list_file_names", bucketId=bucket["bucketId"])
    assert listing.status_code == 200
    denied = reader.call("b2_get_upload_url", bucketId=bucket["bucketId"])
    assert error_of(denied) == (401, "unauthorized")
    assert error_of(reader.call("b2_list_buckets", accountId=wire.server.account_id)) == (
        401,
        "unauthorized",
    )
    assert error_of(reader.call("b2_create_key", accountId=wire.server.account_id)) == (
        401,
        "unauthorized",
    )


def test_bucket_and_prefix_restricted_key(wire: Wire) -> None:
    mine = wire.create_bucket("mine-bucket")
    other = wire.create_bucket("other-bucket")
    key = _key(
        wire,
        keyName="restricted",
        capabilities=["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"],
        bucketId=mine["bucketId"],
        namePrefix="public/",
    )
    user = Wire(wire.server, requests.Session())
    body = user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"])).json()
    storage = body["apiInfo"]["storageApi"]
    assert storage["bucketId"] == mine["bucketId"]
    assert storage["bucketName"] == "mine-bucket"
    assert storage["namePrefix"] == "public/"
    v4 = user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"]), version=4)
    allowed = v4.json()["apiInfo"]["storageApi"]["allowed"]
    assert allowed["buckets"] == [{"id": mine["bucketId"], "name": "mine-bucket"}]
    user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"]))
    account = wire.server.account_id
    # list_buckets must name the allowed bucket
    assert error_of(user.call("b2_list_buckets", accountId=account)) == (401, "unauthorized")
    named = user.ok("b2_list_buckets", accountId=account, bucketName="mine-bucket")
    assert [b["bucketId"] for b in named["buckets"]] == [mine["bucketId"]]
    denied = user.call("b2_list_buckets", accountId=account, bucketId=other["bucketId"])
    assert error_of(denied) == (401, "unauthorized")
    # another bucket
    other_upload = user.call("b2_get_upload_url", bucketId=other["bucketId"])
    assert error_of(other_upload) == (401, "unauthorized")
    # names outside the prefix
    assert error_of(user.upload(mine["bucketId"], "secret/x", b"x")) == (401, "unauthorized")
    inside = user.upload_ok(mine["bucketId"], "public/x", b"x")
    assert inside["fileName"] == "public/x"
    # listing must pass a prefix inside namePrefix
    no_prefix = user.call("b2_list_file_names", bucketId=mine["bucketId"])
    assert error_of(no_prefix) == (401, "unauthorized")
    listed = user.ok("b2_list_file_names", bucketId=mine["bucketId"], prefix="public/")
    assert [f["fileName"] for f in listed["files"]] == ["public/x"]
    wire.upload_ok(mine["bucketId"], "secret/y", b"y")
    hidden = user.call("b2_hide_file", bucketId=mine["bucketId"], fileName="secret/y")
    assert error_of(hidden) == (401, "unauthorized")
    download = requests.get(
        f"{wire.server.url}/file/mine-bucket/secret/y", headers={"Authorization": user.token}
    )
    assert error_of(download) == (401, "unauthorized")


def test_multi_bucket_key_needs_v4(wire: Wire) -> None:
    wire.version = 4
    first = wire.create_bucket("first-bucket")
    second = wire.create_bucket("second-bucket")
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="two",
        capabilities=["listFiles"],
        bucketIds=[first["bucketId"], second["bucketId"]],
    )
    assert key["bucketIds"] == [first["bucketId"], second["bucketId"]]
    user = Wire(wire.server, requests.Session())
    old = user.authorize(key["applicationKeyId"], key["applicationKey"], version=3)
    assert error_of(old) == (401, "unsupported")
    new = user.authorize(key["applicationKeyId"], key["applicationKey"], version=4)
    assert new.status_code == 200
    assert len(new.json()["apiInfo"]["storageApi"]["allowed"]["buckets"]) == 2


def test_deleted_key_tokens_stop_working(wire: Wire) -> None:
    key = _key(wire, keyName="temp", capabilities=["listBuckets"])
    user = Wire(wire.server, requests.Session())
    user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"]))
    assert user.call("b2_list_buckets", accountId=wire.server.account_id).status_code == 200
    wire.ok("b2_delete_key", applicationKeyId=key["applicationKeyId"])
    response = user.call("b2_list_buckets", accountId=wire.server.account_id)
    assert error_of(response) == (401, "bad_auth_token")


def test_key_expiry(wire: Wire) -> None:
    key = _key(wire, keyName="short", capabilities=["listBuckets"], validDurationInSeconds=60)
    assert isinstance(key["expirationTimestamp"], int)
    user = Wire(wire.server, requests.Session())
    assert user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"])).ok
    wire.server.advance_clock(61)
    response = user.call("b2_list_buckets", accountId=wire.server.account_id)
    assert error_of(response) == (401, "expired_auth_token")
    again = user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"]))
    assert error_of(again) == (401, "unauthorized")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"keyName": "bad name!", "capabilities": ["listFiles"]}, "bad_request"),
        ({"keyName": "ok", "capabilities": []}, "bad_request"),
        ({"keyName": "ok", "capabilities": ["flyToTheMoon"]}, "bad_request"),
        (
            {"keyName": "ok", "capabilities": ["listFiles"], "validDurationInSeconds": 0},
            "bad_request",
        ),
        ({"keyName": "ok", "capabilities": ["listFiles"], "bucketId": "nope"}, "bad_bucket_id"),
    ],
)
def test_create_key_validation(wire: Wire, params: dict[str, object], code: str) -> None:
    response = wire.call("b2_create_key", accountId=wire.server.account_id, **params)
    assert error_of(response) == (400, code)


def test_bucket_key_may_not_hold_account_capabilities(wire: Wire) -> None:
    bucket = wire.create_bucket()
    response = wire.call(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="x",
        capabilities=["writeKeys"],
        bucketId=bucket["bucketId"],
    )
    assert error_of(response) == (400, "bad_request")


def test_list_keys_pages_and_hides_secrets(wire: Wire) -> None:
    made = [_key(wire, keyName=f"k{i}", capabilities=["listFiles"]) for i in range(5)]
    seen: list[str] = []
    start = None
    pages = 0
    while True:
        params: dict[str, object] = {"accountId": wire.server.account_id, "maxKeyCount": 2}
        if start:
            params["startApplicationKeyId"] = start
        body = wire.ok("b2_list_keys", **params)
        pages += 1
        for key in body["keys"]:
            assert "applicationKey" not in key
            seen.append(key["applicationKeyId"])
        start = body["nextApplicationKeyId"]
        if start is None:
            break
    assert pages == 3
    assert seen == sorted(str(k["applicationKeyId"]) for k in made)
    assert wire.server.application_key_id not in seen
    too_many = wire.call("b2_list_keys", accountId=wire.server.account_id, maxKeyCount=10_001)
    assert error_of(too_many) == (400, "bad_request")
    deleted = wire.ok("b2_delete_key", applicationKeyId=made[0]["applicationKeyId"])
    assert deleted["keyName"] == "k0" and "applicationKey" not in deleted
    again = wire.call("b2_delete_key", applicationKeyId=made[0]["applicationKeyId"])
    assert error_of(again) == (400, "bad_request")


def test_wrong_account_id(wire: Wire) -> None:
    response = wire.call("b2_list_buckets", accountId="000000000000")
    assert error_of(response) == (401, "unauthorized")
    assert error_of(wire.call("b2_list_buckets")) == (400, "bad_request")


def test_prefix_restricted_key_upload_and_part_tokens(wire: Wire) -> None:
    """A ``namePrefix`` key's upload tokens write only inside the prefix; its large files too.

    B2 checks the name when the upload arrives (``b2_get_upload_url`` names only the bucket),
    and answers ``401 unauthorized`` for a name outside the prefix; ``b2_start_large_file``
    outside the prefix is refused the same way, so every part token of such a key is bound to a
    file inside the prefix.
    """
    bucket = wire.create_bucket("staging-bucket")
    key = _key(
        wire,
        keyName="stager",
        capabilities=["writeFiles"],
        bucketId=bucket["bucketId"],
        namePrefix="staging/",
    )
    user = Wire(wire.server, requests.Session())
    user.authorize(str(key["applicationKeyId"]), str(key["applicationKey"]))
    target = user.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    for name in ("final/a.txt", "stagin", "static/js/app.js", "Staging/a"):
        refused = user.upload(bucket["bucketId"], name, b"x", upload=target)
        assert error_of(refused) == (401, "unauthorized"), name
    # a refused upload does not spend the token
    assert user.upload_ok(bucket["bucketId"], "staging/a.txt", b"x", upload=target)
    outside = user.call(
        "b2_start_large_file",
        bucketId=bucket["bucketId"],
        fileName="final/big",
        contentType="b2/x-auto",
    )
    assert error_of(outside) == (401, "unauthorized")
    inside = user.ok(
        "b2_start_large_file",
        bucketId=bucket["bucketId"],
        fileName="staging/big",
        contentType="b2/x-auto",
    )
    other = wire.ok(
        "b2_start_large_file",
        bucketId=bucket["bucketId"],
        fileName="final/big",
        contentType="b2/x-auto",
    )
    part_target = user.ok("b2_get_upload_part_url", fileId=inside["fileId"])
    # a part token is bound to its file: it cannot write parts of another large file
    wrong_file = requests.post(
        part_target["uploadUrl"].replace(inside["fileId"], other["fileId"]),
        headers={
            "Authorization": part_target["authorizationToken"],
            "X-Bz-Part-Number": "1",
            "X-Bz-Content-Sha1": hashlib.sha1(b"p").hexdigest(),
        },
        data=b"p",
    )
    assert wrong_file.status_code == 401
    assert error_of(user.call("b2_get_upload_part_url", fileId=other["fileId"])) == (
        401,
        "unauthorized",
    )
