"""Bucket CORS rules a browser needs for direct uploads and signed downloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["UPLOAD_HEADERS", "cors_rules"]

UPLOAD_HEADERS = (
    "authorization",
    "content-type",
    "x-bz-file-name",
    "x-bz-content-sha1",
    "x-bz-part-number",
)


def cors_rules(
    origins: Iterable[str], *, name: str = "djangoB2DirectUpload", max_age_seconds: int = 3600
) -> list[dict[str, Any]]:
    """One rule letting ``origins`` upload files and parts and download by name.

    Pass the result as ``cors_rules`` to ``B2Client.create_bucket`` / ``update_bucket``
    (``update_bucket`` replaces the bucket's whole rule list).
    """
    allowed = [origin.rstrip("/") for origin in origins]
    if not allowed:
        raise ValueError("Give at least one origin, such as 'https://www.example.com'.")
    for origin in allowed:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(
                f"CORS origin {origin!r} must be 'https://host[:port]' (or 'http://...' or '*')."
            )
    return [
        {
            "corsRuleName": name,
            "allowedOrigins": allowed,
            "allowedOperations": [
                "b2_upload_file",
                "b2_upload_part",
                "b2_download_file_by_name",
            ],
            "allowedHeaders": list(UPLOAD_HEADERS),
            "exposeHeaders": ["x-bz-content-sha1", "x-bz-file-id", "x-bz-file-name"],
            "maxAgeSeconds": max_age_seconds,
        }
    ]
