"""Direct-upload endpoints over real HTTP to the emulator, the real client playing the browser.

The views run in-process (``RequestFactory``); the "browser" uploads with ``B2Client.upload_file``
/ ``upload_part`` to exactly the URL and token the server handed out, like the JS does. Tokens
come from a key restricted to ``site/_staging/``; confirmed files are copied to ``site/direct/``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import caches
from django.http import HttpResponse
from django.test import RequestFactory

from django_b2.client import B2Client
from django_b2.direct_upload import ConfirmedUpload, DirectUpload, UploadPolicy
from django_b2.direct_upload.signals import upload_confirmed
from django_b2.storage import B2Storage
from tests.helpers import endpoint_calls, pattern

pytestmark = pytest.mark.django_db

BUCKET = "direct-api-tests"
STAGING = "site/_staging/"
ALICE = User(pk=1, username="alice")
BOB = User(pk=2, username="bob")

Call = Callable[..., tuple[int, dict[str, Any]]]


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def storage(b2_emulator: Any) -> Iterator[B2Storage]:
    admin = B2Client(
        b2_emulator.application_key_id, b2_emulator.application_key, api_url=b2_emulator.url
    )
    admin.create_bucket(BUCKET, "allPrivate")
    admin.close()
    caches["default"].clear()  # the storage caches the bucket id and token; the emulator was reset
    st = B2Storage(
        application_key_id=b2_emulator.application_key_id,
        application_key=b2_emulator.application_key,
        api_url=b2_emulator.url,
        bucket_name=BUCKET,
        location="site",
    )
    yield st
    st.client.close()


@pytest.fixture
def recorded() -> list[ConfirmedUpload]:
    return []


@pytest.fixture
def upload_key(storage: B2Storage) -> dict[str, str]:
    """A key restricted to the bucket and the staging prefix, as the docs tell users to make."""
    key = storage.client.create_key(
        "direct-uploads", ["writeFiles"], bucket_id=storage.bucket_id, name_prefix=STAGING
    )
    return {"upload_key_id": key["applicationKeyId"], "upload_key": key["applicationKey"]}


@pytest.fixture
def uploads(
    storage: B2Storage, recorded: list[ConfirmedUpload], upload_key: dict[str, str]
) -> DirectUpload:
    def record(request: Any, upload: ConfirmedUpload) -> dict[str, Any]:
        recorded.append(upload)
        return {"recorded": len(recorded)}

    return DirectUpload(
        storage=storage,
        policy=UploadPolicy(
            prefix="direct/", max_size=10_000, part_size=1000, large_file_threshold=2500
        ),
        on_confirm=record,
        namespace="test_uploads",
        **upload_key,
    )


@pytest.fixture
def call(uploads: DirectUpload) -> Call:
    patterns = {p.name: p.callback for p in uploads.urls[0]}
    factory = RequestFactory()

    def run(
        endpoint: str, body: Any = None, user: Any = ALICE, method: str = "post", csrf: bool = True
    ) -> tuple[int, dict[str, Any]]:
        raw = body if isinstance(body, bytes) else json.dumps(body or {})
        if method == "get":
            request = factory.get(f"/{endpoint}/")
        else:
            request = factory.post(f"/{endpoint}/", data=raw, content_type="application/json")
        request.user = user
        # What a valid CSRF token achieves; csrf=False sends none.
        request._dont_enforce_csrf_checks = csrf  # type: ignore[attr-defined]
        response: HttpResponse = patterns[endpoint](request)
        if response["Content-Type"] != "application/json":
            return response.status_code, {"html": response.content.decode()}
        return response.status_code, json.loads(response.content)

    return run


def browser_upload(storage: B2Storage, answer: dict[str, Any], data: bytes, **kw: Any) -> Any:
    """What the JS does for a single-request upload."""
    target = answer["uploadUrls"][0]
    return storage.client.upload_file(
        storage.bucket_id,
        kw.pop("file_name", answer["fileName"]),
        data,
        content_type=kw.pop("content_type", answer["contentType"]),
        upload_url=target["uploadUrl"],
        authorization_token=target["authorizationToken"],
        **kw,
    )


def browser_parts(storage: B2Storage, answer: dict[str, Any], data: bytes) -> list[str]:
    """What the JS does for a large file: SHA-1 and upload each part."""
    size = answer["partSize"]
    target = answer["uploadUrls"][0]
    sha1s = []
    for number in range(1, answer["partCount"] + 1):
        chunk = data[(number - 1) * size : number * size]
        storage.client.upload_part(
            answer["fileId"],
            number,
            chunk,
            upload_url=target["uploadUrl"],
            authorization_token=target["authorizationToken"],
        )
        sha1s.append(sha1(chunk))
    return sha1s


def versions(storage: B2Storage, b2_name: str) -> list[dict[str, Any]]:
    found = storage.client.list_file_versions(
        storage.bucket_id, prefix=b2_name, start_file_name=b2_name
    )
    return [f for f in found["files"] if f["fileName"] == b2_name]


# -- the normal paths --------------------------------------------------------------------------


def test_small_file_start_upload_confirm(
    call: Call, storage: B2Storage, recorded: list[ConfirmedUpload]
) -> None:
    data = b"hello direct upload" * 10
    status, answer = call(
        "start", {"name": "../../notes.txt", "size": len(data), "contentType": "text/plain"}
    )
    assert status == 200, answer
    assert answer["mode"] == "simple"
    assert answer["name"].startswith("direct/") and answer["name"].endswith("/notes.txt")
    assert answer["fileName"].startswith(STAGING) and answer["fileName"].endswith("/notes.txt")
    browser_upload(storage, answer, data)

    status, confirmed = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(data)})
    assert status == 200, confirmed
    assert confirmed["name"] == answer["name"]
    assert confirmed["recorded"] == 1
    (upload,) = recorded
    assert (upload.size, upload.content_sha1, upload.original_name) == (
        len(data),
        sha1(data),
        "../../notes.txt",
    )
    with storage.open(upload.name) as fh:
        assert fh.read() == data
    assert versions(storage, answer["fileName"]) == []  # nothing left in staging


def test_large_file_in_parts_is_finished_by_the_server(
    call: Call, storage: B2Storage, recorded: list[ConfirmedUpload]
) -> None:
    data = bytes(range(256)) * 14  # 3584 bytes: parts of 1000, 1000, 1000, 584
    status, answer = call("start", {"name": "big.bin", "size": len(data)})
    assert status == 200, answer
    assert (answer["mode"], answer["partSize"], answer["partCount"]) == ("large", 1000, 4)
    assert len(answer["uploadUrls"]) == 3  # the policy's default concurrency
    sha1s = browser_parts(storage, answer, data)

    status, confirmed = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert status == 200, confirmed
    assert recorded[0].part_count == 4
    with storage.open(answer["name"]) as fh:
        assert fh.read() == data
    assert versions(storage, answer["fileName"]) == []  # the staged file is gone
    # Confirming again answers the same, without recording the file twice.
    status, again = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert (status, again) == (200, confirmed)
    assert len(recorded) == 1


@pytest.mark.parametrize(("size", "parts"), [(2499, 0), (2500, 3), (3001, 4), (10_000, 10)])
def test_browsers_get_the_part_plan_of_the_storages_own_uploads(
    call: Call, storage: B2Storage, b2_emulator: Any, size: int, parts: int
) -> None:
    # One part plan (django_b2.client._plan): given the policy's part size and threshold, the
    # storage's client sends a file in as many parts as a browser is told to use for it.
    status, answer = call("start", {"name": "same.bin", "size": size})
    assert status == 200, answer
    assert answer["partCount"] == parts
    before = endpoint_calls(b2_emulator, "b2_upload_part")
    storage.client.upload(
        storage.bucket_id,
        "site/plain.bin",
        pattern(size),
        part_size=1000,
        large_file_threshold=2500,
    )
    assert endpoint_calls(b2_emulator, "b2_upload_part") - before == parts


def test_signal_is_sent_after_confirm(call: Call, storage: B2Storage) -> None:
    seen: list[str] = []

    def receiver(sender: Any, request: Any, upload: ConfirmedUpload, **kw: Any) -> None:
        seen.append(upload.name)

    upload_confirmed.connect(receiver)
    try:
        _, answer = call("start", {"name": "a.txt", "size": 3})
        browser_upload(storage, answer, b"abc")
        assert call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})[0] == 200
    finally:
        upload_confirmed.disconnect(receiver)
    assert seen == [answer["name"]]


def test_renew_hands_out_a_working_url(call: Call, storage: B2Storage) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    status, fresh = call("renew", {"ticket": answer["ticket"]})
    assert status == 200, fresh
    assert set(fresh) == {"uploadUrl", "authorizationToken"}
    browser_upload(storage, {**answer, "uploadUrls": [fresh]}, b"abc")
    assert call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})[0] == 200


# -- refusals before any B2 call ---------------------------------------------------------------


def test_anonymous_users_and_wrong_methods_are_refused(call: Call, b2_emulator: Any) -> None:
    b2_emulator.reset_counters()
    status, answer = call("start", {"name": "a.txt", "size": 3}, user=AnonymousUser())
    assert status == 403 and "Log in" in answer["error"]
    assert call("start", method="get")[0] == 405
    status, answer = call("start", {"name": "a.txt", "size": 3}, csrf=False)
    assert status == 403 and "CSRF" in answer["html"]
    assert b2_emulator.counters()["total"] == 0


def test_oversized_and_malformed_requests_make_no_b2_call(call: Call, b2_emulator: Any) -> None:
    call("start", {"name": "warm-up.txt", "size": 1})  # authorizes and finds the bucket
    b2_emulator.reset_counters()
    status, answer = call("start", {"name": "huge.bin", "size": 10_001})
    assert status == 413 and "limit is 10000 bytes" in answer["error"]
    assert call("start", b"{not json")[0] == 400
    assert call("start", {"name": "", "size": 1})[0] == 400
    assert b2_emulator.counters()["total"] == 0


def final_versions(storage: B2Storage, answer: dict[str, Any]) -> list[dict[str, Any]]:
    return versions(storage, "site/" + answer["name"])


def test_tickets_are_bound_to_their_user_and_signed(call: Call) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    status, refused = call("confirm", {"ticket": answer["ticket"], "sha1": "0" * 40}, user=BOB)
    assert status == 403 and "another user" in refused["error"]
    assert call("renew", {"ticket": answer["ticket"]}, user=BOB)[0] == 403
    tampered = answer["ticket"][:-2] + ("AA" if not answer["ticket"].endswith("AA") else "BB")
    status, refused = call("confirm", {"ticket": tampered, "sha1": "0" * 40})
    assert status == 400 and "not valid" in refused["error"]


# -- what arrived is checked -------------------------------------------------------------------


def test_confirm_before_upload_is_refused(call: Call) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    status, refused = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})
    assert status == 409 and "No file has arrived" in refused["error"]


@pytest.mark.parametrize(
    ("sent", "claimed", "content_type", "reason"),
    [
        (b"abcd", b"abc", None, "4 bytes but 3 were declared"),
        (b"abd", b"abc", None, "SHA-1"),
        (b"abc", b"abc", "text/html", "content type"),
    ],
)
def test_a_file_that_is_not_what_was_declared_is_deleted(
    call: Call,
    storage: B2Storage,
    recorded: list[ConfirmedUpload],
    sent: bytes,
    claimed: bytes,
    content_type: str | None,
    reason: str,
) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3, "contentType": "text/plain"})
    extra = {"content_type": content_type} if content_type else {}
    browser_upload(storage, answer, sent, **extra)
    assert versions(storage, answer["fileName"])

    status, refused = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(claimed)})
    assert status == 400
    assert "deleted" in refused["error"] and reason in refused["error"]
    assert versions(storage, answer["fileName"]) == []
    assert final_versions(storage, answer) == []
    assert recorded == []


def test_only_the_newest_upload_is_moved_and_staging_is_emptied(
    call: Call, storage: B2Storage
) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"xyz")
    browser_upload(storage, answer, b"abc")
    assert len(versions(storage, answer["fileName"])) == 2
    assert call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})[0] == 200
    (kept,) = final_versions(storage, answer)
    assert kept["contentSha1"] == sha1(b"abc")
    assert versions(storage, answer["fileName"]) == []


def test_large_file_with_a_wrong_part_is_cancelled(
    call: Call, storage: B2Storage, recorded: list[ConfirmedUpload]
) -> None:
    data = b"x" * 3000
    _, answer = call("start", {"name": "big.bin", "size": len(data)})
    sha1s = browser_parts(storage, answer, data)
    sha1s[1] = sha1(b"something else")
    status, refused = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert status == 400 and "part 2" in refused["error"] and "cancelled" in refused["error"]
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []
    assert versions(storage, answer["fileName"]) == []
    assert recorded == []


def test_large_file_with_a_missing_part_is_cancelled(call: Call, storage: B2Storage) -> None:
    data = b"y" * 3000
    _, answer = call("start", {"name": "big.bin", "size": len(data)})
    target = answer["uploadUrls"][0]
    file_id = answer["fileId"]
    for number in (1, 3):
        storage.client.upload_part(
            file_id,
            number,
            data[:1000],
            upload_url=target["uploadUrl"],
            authorization_token=target["authorizationToken"],
        )
    sha1s = [sha1(data[:1000])] * 3
    status, refused = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert status == 400 and "expected 1 to 3" in refused["error"]
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []


def test_large_confirm_needs_one_sha1_per_part(call: Call) -> None:
    _, answer = call("start", {"name": "big.bin", "size": 3000})
    status, refused = call("confirm", {"ticket": answer["ticket"], "partSha1": ["0" * 40]})
    assert status == 400 and "3 parts" in refused["error"]


def test_abort_cancels_an_unfinished_large_file(call: Call, storage: B2Storage) -> None:
    _, answer = call("start", {"name": "big.bin", "size": 3000})
    browser_parts(storage, {**answer, "partCount": 1}, b"q" * 1000)
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"]
    status, body = call("abort", {"ticket": answer["ticket"]})
    assert (status, body) == (200, {"name": answer["name"], "cancelled": True})
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []


def test_abort_never_deletes_a_confirmed_file(call: Call, storage: B2Storage) -> None:
    """A ticket may already be confirmed (and its file recorded) when abort arrives."""
    _, small = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, small, b"abc")
    assert call("confirm", {"ticket": small["ticket"], "sha1": sha1(b"abc")})[0] == 200
    data = b"w" * 2600
    _, large = call("start", {"name": "big.bin", "size": len(data)})
    sha1s = browser_parts(storage, large, data)
    assert call("confirm", {"ticket": large["ticket"], "partSha1": sha1s})[0] == 200
    for answer in (small, large):
        status, body = call("abort", {"ticket": answer["ticket"]})
        assert (status, body["cancelled"]) == (200, False)
        assert len(final_versions(storage, answer)) == 1


def test_abort_deletes_an_unconfirmed_simple_upload(call: Call, storage: B2Storage) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"abc")
    status, body = call("abort", {"ticket": answer["ticket"]})
    assert (status, body["cancelled"]) == (200, True)
    assert versions(storage, answer["fileName"]) == []
    status, refused = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})
    assert status == 410 and "start the upload again" in refused["error"]


def test_default_urls_module_mounts_the_four_endpoints(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.e2e.default_urls"
    from django.urls import reverse

    for name in ("start", "renew", "confirm", "abort"):
        assert reverse(f"b2_direct_upload:{name}") == f"/b2-uploads/{name}/"


def test_public_names_are_exported() -> None:
    import django_b2.direct_upload as package

    for name in package.__all__:
        assert hasattr(package, name), name
    public = {
        n
        for n, v in vars(package).items()
        if not n.startswith("_") and not _is_module(v) and n != "annotations"
    }
    assert public == set(package.__all__)


def _is_module(value: object) -> bool:
    import types

    return isinstance(value, types.ModuleType)


def test_a_storage_that_is_not_b2_is_a_configuration_error(tmp_path: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.core.files.storage import FileSystemStorage

    views = DirectUpload(storage=FileSystemStorage(location=str(tmp_path)))
    with pytest.raises(ImproperlyConfigured, match="needs a B2Storage"):
        views.get_storage()


def test_an_empty_file_goes_in_one_request(call: Call, storage: B2Storage) -> None:
    status, answer = call("start", {"name": "empty.txt", "size": 0})
    assert (status, answer["mode"]) == (200, "simple")
    browser_upload(storage, answer, b"")
    status, confirmed = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"")})
    assert (status, confirmed["size"]) == (200, 0)


def test_a_confirm_that_died_half_way_is_finished_by_the_next(
    call: Call, storage: B2Storage, recorded: list[ConfirmedUpload]
) -> None:
    """The state a killed confirm leaves (ticket claimed long ago, a half-made large file at the
    final name) is taken over by the next confirm: the file is moved once, nothing is left."""
    from datetime import timedelta

    from django.utils import timezone

    from django_b2.direct_upload.models import UploadTicket

    data = b"z" * 2600
    _, answer = call("start", {"name": "big.bin", "size": len(data)})
    sha1s = browser_parts(storage, answer, data)
    final = "site/" + answer["name"]
    storage.client.start_large_file(
        storage.bucket_id, final, content_type="application/octet-stream"
    )
    UploadTicket.objects.update(
        state=UploadTicket.State.CONFIRMING, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    status, confirmed = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert status == 200, confirmed
    assert len(recorded) == 1
    assert [v["action"] for v in final_versions(storage, answer)] == ["upload"]
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []
    with storage.open(answer["name"]) as fh:
        assert fh.read() == data


def test_a_confirm_being_run_elsewhere_is_not_run_twice(call: Call, storage: B2Storage) -> None:
    from django.utils import timezone

    from django_b2.direct_upload.models import UploadTicket

    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"abc")
    UploadTicket.objects.update(state=UploadTicket.State.CONFIRMING, claimed_at=timezone.now())
    status, busy = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})
    assert status == 409 and "being confirmed" in busy["error"]
    assert final_versions(storage, answer) == []


def test_on_confirm_failing_leaves_the_ticket_confirmable(
    storage: B2Storage, upload_key: dict[str, str]
) -> None:
    calls: list[str] = []

    def flaky(request: Any, upload: ConfirmedUpload) -> dict[str, Any]:
        calls.append(upload.name)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return {"recorded": True}

    views = DirectUpload(
        storage=storage,
        policy=UploadPolicy(prefix="direct/"),
        on_confirm=flaky,
        namespace="flaky",
        **upload_key,
    )
    patterns = {p.name: p.callback for p in views.urls[0]}

    def post(endpoint: str, body: dict[str, Any]) -> HttpResponse:
        request = RequestFactory().post(
            f"/{endpoint}/", data=json.dumps(body), content_type="application/json"
        )
        request.user = ALICE
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return patterns[endpoint](request)

    answer = json.loads(post("start", {"name": "a.txt", "size": 3}).content)
    browser_upload(storage, answer, b"abc")
    with pytest.raises(RuntimeError):
        post("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})
    again = post("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")})
    assert again.status_code == 200 and json.loads(again.content)["recorded"] is True
    assert len(calls) == 2
    assert len(final_versions(storage, answer)) == 1
    assert versions(storage, answer["fileName"]) == []
