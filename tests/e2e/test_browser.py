"""The example site in real headless Chromium, files in a private bucket on the emulator."""

from __future__ import annotations

import hashlib
import io
import os
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from django_b2.direct_upload import cors_rules
from tests.e2e.conftest import ARTIFACTS, LARGE_THRESHOLD, MAX_UPLOAD_SIZE, PART_SIZE, Site

pytestmark = pytest.mark.browser


def png(width: int, height: int, seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (30 + seed * 40 % 200, 120, 200))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 12):
        draw.rectangle([i, 0, i + 5, height], fill=(240, 200 - seed * 30 % 150, 40))
    draw.ellipse([width // 4, height // 4, width * 3 // 4, height * 3 // 4], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def card(page: Any, title: str) -> Any:
    return page.locator(
        "li.card", has=page.locator("h3", has_text=re.compile(f"^{re.escape(title)}$"))
    )


def loaded_width(page: Any, img: Any) -> int:
    """Wait until the <img> finished loading and return its natural width (0 = broken)."""
    handle = img.element_handle()
    page.wait_for_function("img => img.complete", arg=handle)
    return int(page.evaluate("img => img.naturalWidth", handle))


def upload_calls(site: Site) -> dict[str, int]:
    return dict(site.emulator.counters()["by_endpoint"])


def test_form_upload_shows_the_picture_and_the_signed_link_returns_the_bytes(
    page: Any, site: Site, tmp_path: Any
) -> None:
    picture = tmp_path / "sunset.png"
    picture.write_bytes(png(160, 100, 1))
    page.click("text=Upload")
    page.fill("#id_title", "Sunset via form")
    page.set_input_files("#id_image", str(picture))
    page.click("form.upload button[type=submit]")
    page.wait_for_url(site.url + "/")
    assert "Uploaded “Sunset via form” to B2." in page.inner_text(".message")

    entry = card(page, "Sunset via form")
    img = entry.locator("img")
    src = img.get_attribute("src")
    assert src.startswith(site.emulator.url + f"/file/{site.bucket}/gallery/photos/")
    assert "Authorization=" in src
    assert loaded_width(page, img) == 160

    link = entry.locator("a.image-link").get_attribute("href")
    response = page.request.get(link)
    assert response.status == 200
    assert response.body() == picture.read_bytes()
    # The bucket is private: the same URL without its signature is refused.
    unsigned = page.request.get(link.split("?", 1)[0])
    assert unsigned.status == 401


def test_admin_upload_lands_in_the_gallery(page: Any, site: Site, tmp_path: Any) -> None:
    picture = tmp_path / "admin shot.png"
    picture.write_bytes(png(90, 60, 2))
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"uploaded through the Django admin\n" * 20)
    page.goto(site.url + "/admin/gallery/photo/add/")
    page.fill("#id_title", "Added in admin")
    page.set_input_files("#id_image", str(picture))
    page.set_input_files("#id_attachment", str(notes))
    page.click("input[name=_save]")
    assert "was added successfully" in page.inner_text(".messagelist")

    page.goto(site.url + "/")
    entry = card(page, "Added in admin")
    assert "admin" in entry.locator(".meta").inner_text()
    assert loaded_width(page, entry.locator("img")) == 90
    # The download view redirects to a signed URL; the browser follows it to the same bytes.
    pk = entry.get_attribute("data-photo")
    response = page.goto(f"{site.url}/photos/{pk}/attachment/")
    assert response.status == 200
    assert response.url.startswith(site.emulator.url + "/file/")
    assert response.body() == notes.read_bytes()


def test_download_view_refuses_what_it_cannot_sign(page: Any, browser: Any, site: Site) -> None:
    pk = page.locator("li.card").first.get_attribute("data-photo") or "1"
    assert page.request.get(f"{site.url}/photos/999999/image/").status == 404
    assert page.request.get(f"{site.url}/photos/{pk}/secret/").status == 404
    anonymous = browser.new_context()
    try:
        answer = anonymous.request.get(f"{site.url}/photos/{pk}/image/", max_redirects=0)
        assert answer.status == 302
        assert answer.headers["location"].startswith("/admin/login/")
    finally:
        anonymous.close()


def direct_upload(page: Any, name: str, mime: str, data: bytes) -> None:
    page.set_input_files(
        "form[data-b2-direct-upload] input[type=file]",
        files=[{"name": name, "mimeType": mime, "buffer": data}],
    )
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_navigation():  # the form reloads the gallery once the file is confirmed
            page.click("form[data-b2-direct-upload] button[type=submit]")
    except PlaywrightTimeout:
        pytest.fail("the direct upload did not finish: " + page.inner_text("[data-b2-status]"))


def test_direct_upload_of_a_multipart_file(page: Any, site: Site) -> None:
    data = os.urandom(4 * PART_SIZE + 321)
    assert len(data) > LARGE_THRESHOLD
    before = upload_calls(site)
    direct_upload(page, "archive.bin", "application/octet-stream", data)

    entry = card(page, "archive.bin")
    assert "direct browser upload" in entry.locator(".meta").inner_text()
    after = upload_calls(site)
    calls = {name: count - before.get(name, 0) for name, count in after.items()}
    assert calls.get("b2_upload_part") == 5
    # finished in staging, then copied part by part to its final name and finished there
    assert (calls.get("b2_finish_large_file"), calls.get("b2_copy_part")) == (2, 5)
    assert calls.get("b2_cancel_large_file", 0) == 0

    link = entry.locator("a.file-link").get_attribute("href")
    assert f"/file/{site.bucket}/gallery/direct/" in link
    response = page.request.get(link)
    assert response.status == 200
    assert response.body() == data


def test_direct_upload_of_a_picture_in_one_request(page: Any, site: Site) -> None:
    data = png(120, 90, 3)
    assert len(data) <= LARGE_THRESHOLD
    before = upload_calls(site)
    direct_upload(page, "straße ☀.png", "image/png", data)

    entry = card(page, "straße ☀.png")
    after = upload_calls(site)
    assert after.get("b2_upload_file", 0) - before.get("b2_upload_file", 0) == 1
    assert after.get("b2_copy_file", 0) - before.get("b2_copy_file", 0) == 1  # out of staging
    with site.client() as client:
        bucket_id = client.get_bucket(bucket_name=site.bucket)["bucketId"]
        staged = client.list_file_versions(bucket_id, prefix="gallery/_staging/")["files"]
    assert staged == []
    assert loaded_width(page, entry.locator("img")) == 120
    link = entry.locator("a.image-link").get_attribute("href")
    assert "/gallery/direct/" in link and link.split("?")[0].endswith("/stra%C3%9Fe_.png")
    assert page.request.get(link).body() == data


def test_script_helpers_match_python(page: Any) -> None:
    name = "dir/a b+ü(1)*!.txt"
    encoded = page.evaluate("n => window.djangoB2DirectUpload.encodeName(n)", name)
    assert encoded == "dir/" + quote("a b+ü(1)*!.txt", safe="")
    payload = "direct upload ✓"
    digest = page.evaluate(
        "s => window.djangoB2DirectUpload.sha1Hex(new TextEncoder().encode(s))", payload
    )
    assert digest == hashlib.sha1(payload.encode()).hexdigest()


def test_direct_upload_survives_failing_upload_urls(page: Any, site: Site) -> None:
    """Upload URLs answering 503 are replaced through the renew endpoint, as B2 asks."""
    data = os.urandom(3 * PART_SIZE + 10)
    before = upload_calls(site)
    # With this seed the 2nd and 3rd upload requests answer 503 (the draws are deterministic).
    site.emulator.set_faults(seed=9, upload_503_rate=0.3)
    try:
        direct_upload(page, "flaky.bin", "application/octet-stream", data)
    finally:
        site.emulator.set_faults()
    entry = card(page, "flaky.bin")
    after = upload_calls(site)
    parts = after.get("b2_upload_part", 0) - before.get("b2_upload_part", 0)
    renewed = after.get("b2_get_upload_part_url", 0) - before.get("b2_get_upload_part_url", 0)
    assert parts == 4 + 2  # two part uploads failed and were sent again...
    assert renewed == 3 + 2  # ...each on a fresh URL (3 were handed out at the start)
    link = entry.locator("a.file-link").get_attribute("href")
    assert page.request.get(link).body() == data


def test_direct_upload_over_the_limit_is_refused_before_any_upload(page: Any, site: Site) -> None:
    before = upload_calls(site)
    page.set_input_files(
        "form[data-b2-direct-upload] input[type=file]",
        files=[{"name": "too-big.bin", "mimeType": "", "buffer": b"z" * (MAX_UPLOAD_SIZE + 1)}],
    )
    page.click("form[data-b2-direct-upload] button[type=submit]")
    page.wait_for_selector("form[data-b2-direct-upload][data-b2-state=failed]")
    assert f"the limit is {MAX_UPLOAD_SIZE} bytes" in page.inner_text("[data-b2-status]")
    after = upload_calls(site)
    for endpoint in ("b2_get_upload_url", "b2_start_large_file", "b2_upload_file"):
        assert after.get(endpoint, 0) == before.get(endpoint, 0), endpoint
    page.reload()
    assert not card(page, "too-big.bin").count()


def test_direct_upload_needs_the_bucket_cors_rules(page: Any, site: Site) -> None:
    """Without a CORS rule for the site's origin the browser itself blocks the upload."""
    client = site.client()
    bucket = client.get_bucket(bucket_name=site.bucket)
    client.update_bucket(
        bucket["bucketId"], cors_rules=cors_rules(["https://somewhere-else.example"])
    )
    try:
        before = upload_calls(site)
        page.set_input_files(
            "form[data-b2-direct-upload] input[type=file]",
            files=[{"name": "blocked.txt", "mimeType": "text/plain", "buffer": b"no cors"}],
        )
        page.click("form[data-b2-direct-upload] button[type=submit]")
        page.wait_for_selector("form[data-b2-direct-upload][data-b2-state=failed]")
        assert "B2 refused the upload (0)" in page.inner_text("[data-b2-status]")
        assert upload_calls(site).get("b2_upload_file", 0) == before.get("b2_upload_file", 0)
    finally:
        client.update_bucket(bucket["bucketId"], cors_rules=bucket["corsRules"])
        client.close()
    page.reload()
    assert not card(page, "blocked.txt").count()


def test_an_expired_link_is_refused(page: Any, site: Site, tmp_path: Any) -> None:
    notes = tmp_path / "short-lived.txt"
    notes.write_bytes(b"only for a second")
    page.goto(site.url + "/upload/")
    page.fill("#id_title", "Short-lived")
    page.set_input_files("#id_attachment", str(notes))
    page.click("form.upload button[type=submit]")
    pk = card(page, "Short-lived").get_attribute("data-photo")

    redirect = page.request.get(f"{site.url}/photos/{pk}/attachment/?expires=1", max_redirects=0)
    assert redirect.status == 302
    signed = redirect.headers["location"]
    assert urlsplit(signed).netloc == urlsplit(site.emulator.url).netloc
    fresh = page.goto(signed)
    assert fresh.status == 200 and fresh.body() == notes.read_bytes()

    site.emulator.advance_clock(5)  # the emulator's clock, not a sleep
    expired = page.goto(signed)
    assert expired.status == 401
    assert "expired" in expired.text().lower()


def test_gallery_screenshot(page: Any, site: Site, tmp_path: Any) -> None:
    if not card(page, "Sunset via form").count():  # run alone: put one picture in first
        picture = tmp_path / "one.png"
        picture.write_bytes(png(160, 100, 4))
        page.goto(site.url + "/upload/")
        page.fill("#id_title", "Sunset via form")
        page.set_input_files("#id_image", str(picture))
        page.click("form.upload button[type=submit]")
    page.goto(site.url + "/")
    images = page.locator("li.card img")
    assert images.count() >= 1
    for i in range(images.count()):
        assert loaded_width(page, images.nth(i)) > 0
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "gallery.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
