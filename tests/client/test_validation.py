"""Input checks (no server): each bad value is rejected with a message saying what to change."""

from __future__ import annotations

import string
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_b2.client import KEY_CAPABILITIES, B2ValidationError, percent_decode, percent_encode
from django_b2.client import _validation as v
from django_b2.client._signing import download_url_by_id, download_url_by_name, override_params

# -- file names ----------------------------------------------------------------------------------

legal_chars = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="".join(map(chr, [*range(32), 127]))
)


@given(st.text(legal_chars, min_size=1, max_size=200))
def test_legal_file_names_pass(name: str) -> None:
    if len(name.encode()) <= 1024:
        assert v.validate_file_name(name) == name


@given(
    st.text(legal_chars, max_size=20),
    st.sampled_from([*range(32), 127]),
    st.text(legal_chars, max_size=20),
)
def test_control_characters_are_rejected(before: str, code: int, after: str) -> None:
    with pytest.raises(B2ValidationError, match="control character"):
        v.validate_file_name(before + chr(code) + after)


def test_file_name_length_limits() -> None:
    assert v.validate_file_name("a" * 1024)
    with pytest.raises(B2ValidationError, match="at most 1024 bytes"):
        v.validate_file_name("a" * 1025)
    # 342 three-byte characters = 1026 bytes although only 342 characters
    with pytest.raises(B2ValidationError, match="1026 bytes"):
        v.validate_file_name("\u20ac" * 342)
    with pytest.raises(B2ValidationError, match="empty"):
        v.validate_file_name("")
    with pytest.raises(B2ValidationError, match="must be a str"):
        v.validate_file_name(b"bytes")
    with pytest.raises(B2ValidationError, match="UTF-8"):
        v.validate_file_name("bad\udc80")


# -- percent-encoding ----------------------------------------------------------------------------


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=100))
def test_percent_encoding_round_trips(text: str) -> None:
    encoded = percent_encode(text)
    assert percent_decode(encoded) == text
    assert unquote(encoded) == text
    allowed = set(string.ascii_letters + string.digits + "-._~/%")
    assert set(encoded) <= allowed


def test_percent_encoding_examples() -> None:
    assert percent_encode("a b+c/d~e") == "a%20b%2Bc/d~e"
    assert percent_encode("caf\u00e9") == "caf%C3%A9"
    assert percent_encode("!$'()*;=:@&?#") == "%21%24%27%28%29%2A%3B%3D%3A%40%26%3F%23"
    assert percent_decode("a+b%20c") == "a b c"


def test_download_urls() -> None:
    url = download_url_by_name("https://f001.example/", "my-bucket", "dir/a b.txt")
    assert url == "https://f001.example/file/my-bucket/dir/a%20b.txt"
    signed = download_url_by_name(
        "https://f", "bkt-123", "x", authorization="tok/=", b2_content_disposition="inline; x=1"
    )
    assert signed == (
        "https://f/file/bkt-123/x?Authorization=tok/%3D&b2ContentDisposition=inline%3B%20x%3D1"
    )
    by_id = download_url_by_id("https://f", "4_z id", b2ContentType="text/plain")
    assert by_id == (
        "https://f/b2api/v3/b2_download_file_by_id?fileId=4_z%20id&b2ContentType=text/plain"
    )


def test_override_names() -> None:
    assert override_params({"b2_cache_control": "no-cache", "b2Expires": None}) == {
        "b2CacheControl": "no-cache"
    }
    with pytest.raises(B2ValidationError, match="b2_content_disposition"):
        override_params({"content_disposition": "x"})


# -- buckets, keys, capabilities ------------------------------------------------------------------


@given(st.text(string.ascii_letters + string.digits + "-", min_size=6, max_size=63))
def test_bucket_name_property(name: str) -> None:
    if name.lower().startswith("b2-"):
        with pytest.raises(B2ValidationError, match="b2-"):
            v.validate_bucket_name(name)
    else:
        assert v.validate_bucket_name(name) == name


@pytest.mark.parametrize(
    "name", ["short", "x" * 64, "under_score", "dot.ted", "caf\u00e9-bucket", "B2-bucket"]
)
def test_bad_bucket_names(name: str) -> None:
    with pytest.raises(B2ValidationError, match="Bucket name"):
        v.validate_bucket_name(name)


def test_bucket_types() -> None:
    assert v.validate_bucket_type("allPrivate") == "allPrivate"
    with pytest.raises(B2ValidationError, match="'allPrivate' or 'allPublic'"):
        v.validate_bucket_type("snapshot")


def test_key_names() -> None:
    assert v.validate_key_name("ci-key-1") == "ci-key-1"
    for bad in ["", "has space", "x" * 101, "n\u00e4me"]:
        with pytest.raises(B2ValidationError, match="Key name"):
            v.validate_key_name(bad)


def test_capabilities() -> None:
    assert v.validate_capabilities(list(KEY_CAPABILITIES), bucket_restricted=False)
    with pytest.raises(B2ValidationError, match="Unknown capabilities \\['readFile'\\]"):
        v.validate_capabilities(["readFile"], bucket_restricted=False)
    with pytest.raises(B2ValidationError, match=r"restricted to one bucket.*writeKeys"):
        v.validate_capabilities(["readFiles", "writeKeys"], bucket_restricted=True)
    with pytest.raises(B2ValidationError, match="list of names"):
        v.validate_capabilities("readFiles", bucket_restricted=False)
    with pytest.raises(B2ValidationError, match="empty"):
        v.validate_capabilities([], bucket_restricted=False)
    for cap in ["listKeys", "writeKeys", "deleteKeys", "writeBuckets", "deleteBuckets"]:
        with pytest.raises(B2ValidationError):
            v.validate_capabilities([cap], bucket_restricted=True)


# -- file info, numbers, durations ----------------------------------------------------------------


def test_file_info() -> None:
    assert v.validate_file_info({"src_last_modified_millis": "1", "b2-cache-control": "x"})
    with pytest.raises(B2ValidationError, match="at most 10"):
        v.validate_file_info({f"k{i}": "v" for i in range(11)})
    with pytest.raises(B2ValidationError, match="at most 50"):
        v.validate_file_info({"k" * 51: "v"})
    with pytest.raises(B2ValidationError, match="reserved 'b2-' prefix"):
        v.validate_file_info({"b2-anything": "v"})
    with pytest.raises(B2ValidationError, match="letters, digits"):
        v.validate_file_info({"bad key": "v"})
    with pytest.raises(B2ValidationError, match="str\\(\\)"):
        v.validate_file_info({"size": 3})  # type: ignore[dict-item]


def test_numbers_and_durations() -> None:
    assert v.validate_part_number(1) == 1
    assert v.validate_part_number(10_000) == 10_000
    for bad in (0, 10_001, True, "1"):
        with pytest.raises(B2ValidationError, match=r"[Pp]art number"):
            v.validate_part_number(bad)
    assert v.validate_download_duration(604_800) == 604_800
    for bad in (0, 604_801):
        with pytest.raises(B2ValidationError, match="1 to 604800"):
            v.validate_download_duration(bad)
    assert v.validate_key_duration(86_399_999) == 86_399_999
    with pytest.raises(B2ValidationError, match="less than 1000 days"):
        v.validate_key_duration(86_400_000)


def test_range_header() -> None:
    assert v.range_header(None) is None
    assert v.range_header((0, 99)) == "bytes=0-99"
    assert v.range_header((5, None)) == "bytes=5-"
    assert v.range_header("bytes=-10") == "bytes=-10"
    for bad in [(5, 4), (-1, 3), "0-9", (1, 2, 3)]:
        with pytest.raises(B2ValidationError, match="range"):
            v.range_header(bad)  # type: ignore[arg-type]


def test_retention_and_legal_hold() -> None:
    assert v.validate_file_retention({"mode": "governance", "retainUntilTimestamp": 5})
    assert v.validate_file_retention({"mode": None}) == {"mode": None}
    with pytest.raises(B2ValidationError, match="'governance', 'compliance'"):
        v.validate_file_retention({"mode": "forever", "retainUntilTimestamp": 5})
    with pytest.raises(B2ValidationError, match="milliseconds"):
        v.validate_file_retention({"mode": "compliance"})
    assert v.validate_legal_hold("on") == "on"
    with pytest.raises(B2ValidationError, match="'on' or 'off'"):
        v.validate_legal_hold("yes")
