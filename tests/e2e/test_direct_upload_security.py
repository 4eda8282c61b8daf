"""What a browser holding direct-upload tokens and tickets cannot do (real HTTP, emulator).

Each test replays one attack or leak that worked before the staging area, the ticket table and the
cleanup existed; the "browser" is the real client using exactly the URLs and tokens handed out.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from django_b2.client.errors import B2Unauthorized
from django_b2.direct_upload import ConfirmedUpload, DirectUpload, UploadPolicy
from django_b2.direct_upload.cleanup import clean_direct_uploads
from django_b2.direct_upload.models import UploadTicket
from django_b2.storage import B2Storage

from .test_direct_upload_api import (  # noqa: F401 (fixtures)
    ALICE,
    BOB,
    STAGING,
    Call,
    browser_parts,
    browser_upload,
    call,
    final_versions,
    recorded,
    sha1,
    storage,
    upload_key,
    uploads,
    versions,
)

pytestmark = pytest.mark.django_db


def endpoint_caller(views: DirectUpload) -> Call:
    patterns = {p.name: p.callback for p in views.urls[0]}

    def run(endpoint: str, body: Any = None, user: Any = ALICE) -> tuple[int, dict[str, Any]]:
        request = RequestFactory().post(
            f"/{endpoint}/", data=json.dumps(body or {}), content_type="application/json"
        )
        request.user = user
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        response = patterns[endpoint](request)
        return response.status_code, json.loads(response.content)

    return run


# -- tokens cannot write outside staging ---------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["final", "site/direct/someone-else/avatar.png", "static/js/app.js", "site/_stagingX/a"],
)
def test_upload_token_is_refused_outside_staging(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    target: str,
) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    name = "site/" + answer["name"] if target == "final" else target
    with pytest.raises(B2Unauthorized) as refused:
        browser_upload(storage, answer, b"abc", file_name=name)
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    assert versions(storage, name) == []


def test_part_token_is_bound_to_its_staged_large_file(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
) -> None:
    _, mine = call("start", {"name": "mine.bin", "size": 3000})
    _, theirs = call("start", {"name": "theirs.bin", "size": 3000}, user=BOB)
    assert mine["fileName"].startswith(STAGING) and mine["fileId"]
    target = mine["uploadUrls"][0]
    response = requests.post(
        target["uploadUrl"].replace(mine["fileId"], theirs["fileId"]),
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-Part-Number": "1",
            "X-Bz-Content-Sha1": sha1(b"p" * 1000),
        },
        data=b"p" * 1000,
        timeout=10,
    )
    assert response.status_code == 401
    assert storage.client.list_parts(theirs["fileId"])["parts"] == []


def test_a_record_keeps_its_bytes_when_the_browser_uploads_again(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    recorded: list[ConfirmedUpload],  # noqa: F811
) -> None:
    data = b"the real avatar"
    _, answer = call("start", {"name": "avatar.png", "size": len(data), "contentType": "image/png"})
    browser_upload(storage, answer, data)
    status, confirmed = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(data)})
    assert status == 200, confirmed
    # the same token, after confirm: to the staging name (allowed: it is staging) ...
    browser_upload(storage, answer, b"<script>evil</script>", content_type="image/png")
    # ... and to the final name (refused by B2)
    with pytest.raises(B2Unauthorized):
        browser_upload(storage, answer, b"evil", file_name="site/" + answer["name"])
    (kept,) = final_versions(storage, answer)
    assert kept["fileId"] == confirmed["fileId"] == recorded[0].file_id
    with storage.open(answer["name"]) as fh:
        assert fh.read() == data


# -- tickets ---------------------------------------------------------------------------------


def test_a_ticket_is_refused_by_another_endpoint(
    storage: B2Storage,  # noqa: F811
    upload_key: dict[str, str],  # noqa: F811
) -> None:
    strict_records: list[ConfirmedUpload] = []
    permissive = DirectUpload(
        storage=storage,
        policy=UploadPolicy(prefix="direct/", max_size=50_000),
        namespace="permissive",
        **upload_key,
    )
    strict = DirectUpload(
        storage=storage,
        policy=UploadPolicy(prefix="direct/", max_size=100, content_types=["image/*"]),
        on_confirm=lambda request, upload: strict_records.append(upload) and None,
        namespace="strict",
        **upload_key,
    )
    page = b"<html>" + b"x" * 300
    status, answer = endpoint_caller(permissive)(
        "start", {"name": "page.html", "size": len(page), "contentType": "text/html"}
    )
    assert status == 200, answer
    browser_upload(storage, answer, page)
    status, refused = endpoint_caller(strict)(
        "confirm", {"ticket": answer["ticket"], "sha1": sha1(page)}
    )
    assert status == 403 and "another upload endpoint" in refused["error"]
    assert strict_records == []
    assert final_versions(storage, answer) == []


def test_a_ticket_is_refused_once_its_endpoint_policy_changed(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    upload_key: dict[str, str],  # noqa: F811
) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"abc")
    tightened = DirectUpload(
        storage=storage,
        policy=UploadPolicy(prefix="direct/", max_size=2),
        namespace="test_uploads",
        **upload_key,
    )
    status, refused = endpoint_caller(tightened)(
        "confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")}
    )
    assert status == 403, refused


def test_a_second_confirm_does_not_run_on_confirm_again(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    recorded: list[ConfirmedUpload],  # noqa: F811
) -> None:
    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"abc")
    answers = [call("confirm", {"ticket": answer["ticket"], "sha1": sha1(b"abc")}) for _ in "1234"]
    assert all(status == 200 for status, _ in answers), answers
    assert all(body == answers[0][1] for _, body in answers)
    assert len(recorded) == 1
    (kept,) = final_versions(storage, answer)
    assert kept["fileId"] == answers[0][1]["fileId"]


def test_an_upload_with_file_info_the_server_did_not_set_is_deleted(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    recorded: list[ConfirmedUpload],  # noqa: F811
) -> None:
    data = b"%PDF-1.4 not really"
    _, answer = call(
        "start", {"name": "invoice.pdf", "size": len(data), "contentType": "application/pdf"}
    )
    browser_upload(
        storage,
        answer,
        data,
        file_info={
            "b2-content-disposition": 'attachment; filename="invoice.pdf.exe"',
            "b2-content-encoding": "gzip",
            "b2-cache-control": "max-age=31536000",
        },
    )
    status, refused = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(data)})
    assert status == 400 and "file info the server did not set" in refused["error"]
    assert versions(storage, answer["fileName"]) == []
    assert final_versions(storage, answer) == []
    assert recorded == []
    # the ticket is spent: confirming again does not bring the file back
    status, again = call("confirm", {"ticket": answer["ticket"], "sha1": sha1(data)})
    assert status == 410, again


def test_parts_beyond_the_declared_size_are_refused_and_cancelled(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    recorded: list[ConfirmedUpload],  # noqa: F811
) -> None:
    declared = b"d" * 3000
    _, answer = call("start", {"name": "big.bin", "size": len(declared)})
    sha1s = browser_parts(storage, answer, declared)
    target = answer["uploadUrls"][0]
    for number in range(4, 11):  # 7 kB more than declared
        storage.client.upload_part(
            answer["fileId"],
            number,
            b"e" * 1000,
            upload_url=target["uploadUrl"],
            authorization_token=target["authorizationToken"],
        )
    status, refused = call("confirm", {"ticket": answer["ticket"], "partSha1": sha1s})
    assert status == 400 and "cancelled" in refused["error"], refused
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []
    assert final_versions(storage, answer) == []
    assert recorded == []


# -- nothing unconfirmed lives forever -------------------------------------------------------


def test_cleanup_removes_expired_and_stray_staging_uploads(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    uploads: DirectUpload,  # noqa: F811
) -> None:
    # never confirmed: a simple upload, and a large file pushed beyond its declared size
    _, simple = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, simple, b"abc")
    _, large = call("start", {"name": "big.bin", "size": 3000})
    target = large["uploadUrls"][0]
    for number in range(1, 11):
        storage.client.upload_part(
            large["fileId"],
            number,
            b"e" * 1000,
            upload_url=target["uploadUrl"],
            authorization_token=target["authorizationToken"],
        )
    # confirmed, then written again with the old token; and a name no ticket promised
    _, done = call("start", {"name": "done.txt", "size": 3})
    browser_upload(storage, done, b"abc")
    assert call("confirm", {"ticket": done["ticket"], "sha1": sha1(b"abc")})[0] == 200
    browser_upload(storage, done, b"again")
    browser_upload(storage, simple, b"junk", file_name=STAGING + "no-ticket/junk.bin")

    # Within the tickets' lifetime: only what no live ticket owns goes.
    report = clean_direct_uploads(uploads=[uploads])
    assert report.stray_removed == 2
    assert versions(storage, simple["fileName"])
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"]
    assert versions(storage, done["fileName"]) == []

    # After it: everything in staging goes, the confirmed file stays.
    later = timezone.now() + timedelta(seconds=uploads.policy.ticket_max_age + 1)
    report = clean_direct_uploads(now=later, uploads=[uploads])
    assert report.expired_tickets == 3
    assert report.staging_removed == 2  # the simple upload, the large file
    assert storage.client.list_file_versions(storage.bucket_id, prefix=STAGING)["files"] == []
    assert storage.client.list_unfinished_large_files(storage.bucket_id)["files"] == []
    assert len(final_versions(storage, done)) == 1
    assert UploadTicket.objects.count() == 0
    status, gone = call("confirm", {"ticket": simple["ticket"], "sha1": sha1(b"abc")})
    assert status == 410, gone


def test_cleanup_command_runs_the_same_cleanup(
    call: Call,  # noqa: F811
    storage: B2Storage,  # noqa: F811
    uploads: DirectUpload,  # noqa: F811
    settings: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.ROOT_URLCONF = "tests.e2e.default_urls"  # its endpoint's storage is not B2: skipped
    _, answer = call("start", {"name": "a.txt", "size": 3})
    browser_upload(storage, answer, b"abc", file_name=STAGING + "no-ticket/junk.bin")
    # An endpoint whose upload key B2 refuses (kept alive: the registry holds weak references)
    # does not stop the others' cleanup.
    _broken = DirectUpload(
        storage=storage,
        namespace="broken-key",
        upload_key_id="005notakey",
        upload_key="K005-not-a-key",
    )
    call_command("b2_direct_uploads", "clean", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["stray_removed"] == 1
    assert any(line.startswith("broken-key: ") for line in report["skipped"]), report
    assert versions(storage, STAGING + "no-ticket/junk.bin") == []


def test_open_tickets_per_user_are_limited(
    storage: B2Storage,  # noqa: F811
    upload_key: dict[str, str],  # noqa: F811
) -> None:
    views = DirectUpload(
        storage=storage,
        policy=UploadPolicy(prefix="direct/"),
        namespace="limited",
        max_open_tickets=2,
        **upload_key,
    )
    run = endpoint_caller(views)
    first = run("start", {"name": "1.txt", "size": 3})[1]
    assert run("start", {"name": "2.txt", "size": 3})[0] == 200
    status, refused = run("start", {"name": "3.txt", "size": 3})
    assert status == 429 and "2 uploads in progress" in refused["error"]
    assert run("start", {"name": "b.txt", "size": 3}, user=BOB)[0] == 200
    browser_upload(storage, first, b"abc")
    assert run("confirm", {"ticket": first["ticket"], "sha1": sha1(b"abc")})[0] == 200
    assert run("start", {"name": "3.txt", "size": 3})[0] == 200


# -- the server refuses to hand out unrestricted tokens --------------------------------------


@pytest.mark.parametrize("restriction", ["none", "main key", "overlapping prefix", "no prefix"])
def test_start_refuses_a_key_that_is_not_restricted_to_staging(
    storage: B2Storage,  # noqa: F811
    b2_emulator: Any,
    caplog: pytest.LogCaptureFixture,
    restriction: str,
) -> None:
    keys: dict[str, Any] = {}
    if restriction == "main key":
        keys = {
            "upload_key_id": b2_emulator.application_key_id,
            "upload_key": b2_emulator.application_key,
        }
    elif restriction != "none":
        prefix = "site/" if restriction == "overlapping prefix" else None
        key = storage.client.create_key(
            "uploads", ["writeFiles"], bucket_id=storage.bucket_id, name_prefix=prefix
        )
        keys = {"upload_key_id": key["applicationKeyId"], "upload_key": key["applicationKey"]}
    views = DirectUpload(storage=storage, namespace="unsafe", **keys)
    caplog.set_level(logging.ERROR, logger="django_b2.direct_upload")
    status, answer = endpoint_caller(views)("start", {"name": "a.txt", "size": 3})
    assert status == 503 and "uploadUrls" not in answer
    logged = caplog.text
    assert "python manage.py b2_keys create" in logged and "--name-prefix" in logged
    assert UploadTicket.objects.count() == 0  # refused before a ticket was recorded


def test_system_check_warns_about_a_missing_or_unrestricted_upload_key(
    storage: B2Storage,  # noqa: F811
    b2_emulator: Any,
    settings: Any,
) -> None:
    from django_b2.direct_upload.checks import check_upload_keys

    settings.ROOT_URLCONF = "tests.e2e.default_urls"
    missing = DirectUpload(storage=storage, namespace="check-missing")
    main = DirectUpload(
        storage=storage,
        namespace="check-main",
        upload_key_id=storage.config.application_key_id,
        upload_key="not-used",
    )
    found = {(m.id, m.obj) for m in check_upload_keys()}
    assert ("django_b2_direct_upload.W001", missing) in found
    assert ("django_b2_direct_upload.W002", main) in found
    assert all("--name-prefix" in (m.hint or "") for m in check_upload_keys() if m.obj is main)


def test_start_counts_and_records_under_a_per_user_lock(
    storage: B2Storage,  # noqa: F811
    upload_key: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While another worker holds the user's lock (between its count and its insert), a
    ``start`` of the same user waits, then answers 429 rather than count stale rows."""
    from django_b2.direct_upload import ledger

    monkeypatch.setattr(ledger, "USER_LOCK_WAIT", 0.2)
    views = DirectUpload(
        storage=storage, policy=UploadPolicy(prefix="direct/"), namespace="locked", **upload_key
    )
    run = endpoint_caller(views)
    assert storage.cache.add(ledger.user_lock_key(str(ALICE.pk)), "another worker", timeout=30)
    status, refused = run("start", {"name": "a.txt", "size": 3})
    assert status == 429 and "starting at once" in refused["error"]
    assert UploadTicket.objects.count() == 0
    assert run("start", {"name": "b.txt", "size": 3}, user=BOB)[0] == 200  # other users go on
    storage.cache.delete(ledger.user_lock_key(str(ALICE.pk)))
    assert run("start", {"name": "a.txt", "size": 3})[0] == 200
