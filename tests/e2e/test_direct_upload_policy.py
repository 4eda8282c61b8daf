"""Direct-upload rules that need no network: names, sizes, part plans, tickets, CORS rules."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from django_b2.direct_upload import cors_rules
from django_b2.direct_upload.policy import (
    MAX_PARTS,
    DirectUploadRefused,
    UploadPlan,
    UploadPolicy,
    UploadRequest,
    clean_basename,
    plan_upload,
)
from django_b2.direct_upload.tickets import (
    dump_ticket,
    load_ticket_id,
    new_ticket_id,
    policy_fingerprint,
)

NAME = re.compile(r"^direct/[0-9a-f]{32}/(?P<base>[^/]+)$")


def plan(policy: UploadPolicy, size: int, name: str = "photo.jpg", **kw: object) -> UploadPlan:
    args: dict[str, object] = {
        "prefix": policy.prefix,
        "location": "site",
        "configured_part_size": None,
        "configured_threshold": None,
        "recommended_part_size": 10_000,
        "minimum_part_size": 1000,
    }
    args.update(kw)
    request = UploadRequest(original_name=name, size=size, content_type="image/jpeg")
    return plan_upload(policy, request, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\My Photo (1).PNG", "My_Photo_1.PNG"),
        ("..", "upload"),
        ("   ", "upload"),
        (".htaccess", "htaccess"),
        ("a/b/", "upload"),
    ],
)
def test_names_are_reduced_to_a_safe_basename(original: str, expected: str) -> None:
    assert clean_basename(original) == expected


def test_long_names_keep_their_extension() -> None:
    cleaned = clean_basename("x" * 300 + ".jpeg")
    assert len(cleaned) == 100
    assert cleaned.endswith(".jpeg")


def test_the_final_name_is_forced_under_the_prefix() -> None:
    policy = UploadPolicy(prefix="direct")
    assert policy.prefix == "direct/"
    got = plan(policy, 10, name="../../../other/secret.txt")
    match = NAME.match(got.name)
    assert match, got.name
    assert match.group("base") == "secret.txt"
    assert plan(policy, 10).name != plan(policy, 10).name  # a fresh random folder each time


@pytest.mark.parametrize("prefix", ["", "/abs/", "a/../b/", "back\\slash/"])
def test_unusable_prefixes_are_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        UploadPolicy(prefix=prefix)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_size", 0),
        ("max_size", True),
        ("concurrency", 0),
        ("part_size", -1),
        ("ticket_max_age", 1.5),
    ],
)
def test_bad_policy_numbers_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        UploadPolicy(**{field: value})  # type: ignore[arg-type]


def test_files_over_the_limit_are_refused_before_any_request() -> None:
    policy = UploadPolicy(max_size=5000)
    assert not plan(policy, 5000).is_large
    with pytest.raises(DirectUploadRefused, match="limit is 5000 bytes") as caught:
        plan(policy, 5001)
    assert caught.value.status == 413


def test_small_files_go_in_one_request_and_big_ones_in_parts() -> None:
    # The client's rule (django_b2.client._plan): the threshold is the smallest size sent in parts.
    policy = UploadPolicy(part_size=1000, large_file_threshold=2500)
    small = plan(policy, 2499)
    assert (small.is_large, small.part_size, small.part_count) == (False, 0, 0)
    at_threshold = plan(policy, 2500)
    assert (at_threshold.is_large, at_threshold.part_size, at_threshold.part_count) == (
        True,
        1000,
        3,
    )
    big = plan(policy, 3500)
    assert (big.is_large, big.part_size, big.part_count) == (True, 1000, 4)


def test_part_size_never_goes_below_the_server_minimum() -> None:
    got = plan(UploadPolicy(part_size=10, large_file_threshold=10), 2500, minimum_part_size=1000)
    assert (got.part_size, got.part_count) == (1000, 3)


def test_part_size_falls_back_to_the_storage_then_the_recommended_size() -> None:
    policy = UploadPolicy(large_file_threshold=1)
    assert plan(policy, 50_000, configured_part_size=2000).part_size == 2000
    assert plan(policy, 50_000).part_size == 10_000
    # B2's recommended 100 MB is too much to hold per browser worker: capped at 25 MB.
    assert plan(policy, 90_000_000, recommended_part_size=100_000_000).part_size == 25_000_000


def test_part_size_grows_so_no_file_needs_more_than_10000_parts() -> None:
    # Grown as the client grows it, to ceil(size / 10,000) (it used to double: 2000 here).
    policy = UploadPolicy(part_size=1000, large_file_threshold=1, max_size=10**12)
    got = plan(policy, 1000 * MAX_PARTS + 1)
    assert (got.part_size, got.part_count) == (1001, 9991)
    assert got.part_count <= MAX_PARTS
    exact = plan(policy, 1000 * MAX_PARTS)
    assert (exact.part_size, exact.part_count) == (1000, MAX_PARTS)


def test_part_size_is_at_most_b2s_largest_part() -> None:
    policy = UploadPolicy(part_size=6_000_000_000, max_size=10**12)
    got = plan(policy, 12_000_000_000)
    assert (got.part_size, got.part_count) == (5_000_000_000, 3)


def test_files_under_twice_the_minimum_part_size_go_in_one_request() -> None:
    # As in the client: a large file needs two parts of at least the minimum (1000 here).
    policy = UploadPolicy(part_size=1000, large_file_threshold=10)
    assert not plan(policy, 1999).is_large
    got = plan(policy, 2000)
    assert (got.is_large, got.part_size, got.part_count) == (True, 1000, 2)


def test_a_file_at_the_threshold_that_fits_one_part_goes_in_two_halves() -> None:
    # The client's plan: a large file has at least two parts (it used to go in one request).
    got = plan(UploadPolicy(part_size=5000, large_file_threshold=10), 4001)
    assert (got.is_large, got.part_size, got.part_count) == (True, 2001, 2)
    assert not plan(UploadPolicy(part_size=5000), 4001).is_large  # default threshold: 10,000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"size": 1}, '"name"'),
        ({"name": "a", "size": -1}, '"size"'),
        ({"name": "a", "size": "12"}, '"size"'),
        ({"name": "a", "size": True}, '"size"'),
        ({"name": "a", "size": 1, "contentType": "text/html; x=<script>"}, "not a MIME type"),
        ({"name": "a", "size": 1, "contentType": 5}, '"contentType"'),
    ],
)
def test_bad_requests_say_what_to_send(body: object, message: str) -> None:
    with pytest.raises(DirectUploadRefused, match=re.escape(message)):
        UploadRequest.from_json(body)


def test_content_type_is_guessed_from_the_name_when_missing() -> None:
    assert UploadRequest.from_json({"name": "a.png", "size": 1}).content_type == "image/png"
    assert UploadRequest.from_json({"name": "a", "size": 1}).content_type == (
        "application/octet-stream"
    )
    assert (
        UploadRequest.from_json({"name": "a", "size": 1, "contentType": "Text/Plain"}).content_type
        == "text/plain"
    )


def test_content_types_can_be_limited() -> None:
    policy = UploadPolicy(content_types=["image/*", "application/pdf"])
    assert policy.accepts_content_type("image/webp")
    assert policy.accepts_content_type("application/pdf")
    assert not policy.accepts_content_type("text/html")
    request = UploadRequest(original_name="x.html", size=1, content_type="text/html")
    with pytest.raises(DirectUploadRefused, match="not accepted"):
        plan_upload(
            policy,
            request,
            prefix=policy.prefix,
            location="",
            configured_part_size=None,
            configured_threshold=None,
            recommended_part_size=1000,
            minimum_part_size=1000,
        )


TICKET = new_ticket_id()


def test_tickets_round_trip_and_refuse_tampering() -> None:
    value = dump_ticket(TICKET)
    assert load_ticket_id(value, max_age=60) == TICKET
    other = dump_ticket(new_ticket_id())
    forged = value.split(":")[0] + ":" + other.split(":", 1)[1]
    with pytest.raises(DirectUploadRefused, match="not valid"):
        load_ticket_id(forged, max_age=60)
    with pytest.raises(DirectUploadRefused, match="missing"):
        load_ticket_id(None, max_age=60)


def test_tickets_expire() -> None:
    value = dump_ticket(TICKET)
    # A negative max_age makes any ticket older than allowed, without waiting.
    with pytest.raises(DirectUploadRefused, match="expired") as caught:
        load_ticket_id(value, max_age=-1)
    assert caught.value.status == 410


def test_policy_fingerprint_covers_prefix_types_and_size() -> None:
    base = UploadPolicy(prefix="a/", max_size=100, content_types=["image/*"])
    seen = {
        policy_fingerprint(base, prefix="a/", location="site"),
        policy_fingerprint(base, prefix="b/", location="site"),
        policy_fingerprint(base, prefix="a/", location="other"),
        policy_fingerprint(replace(base, max_size=101), prefix="a/", location="site"),
        policy_fingerprint(
            replace(base, content_types=("image/*", "text/html")), prefix="a/", location="site"
        ),
    }
    assert len(seen) == 5
    # what does not change what is accepted does not change the fingerprint
    same = replace(base, concurrency=7, content_types=("image/*",))
    assert policy_fingerprint(same, prefix="a/", location="site") in seen


def test_cors_rules_cover_uploads_and_downloads() -> None:
    (rule,) = cors_rules(["http://127.0.0.1:8000/", "https://example.com"])
    assert rule["allowedOrigins"] == ["http://127.0.0.1:8000", "https://example.com"]
    assert set(rule["allowedOperations"]) == {
        "b2_upload_file",
        "b2_upload_part",
        "b2_download_file_by_name",
    }
    assert {"authorization", "x-bz-file-name", "x-bz-content-sha1", "x-bz-part-number"} <= set(
        rule["allowedHeaders"]
    )
    with pytest.raises(ValueError, match="origin"):
        cors_rules([])
    with pytest.raises(ValueError, match="must be"):
        cors_rules(["example.com"])
