"""CORS for downloads and upload URLs, from each bucket's CORS rules."""

from __future__ import annotations

import urllib.parse
from typing import Any

from .errors import ApiError
from .http_base import API_PATH, HandlerBase
from .records import Bucket


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern.lower() == origin.lower()
    head, tail = pattern.lower().split("*", 1)
    low = origin.lower()
    return len(low) >= len(head) + len(tail) and low.startswith(head) and low.endswith(tail)


def _header_allowed(allowed: list[str], header: str) -> bool:
    low = header.lower()
    for item in allowed:
        item = item.lower()
        if item == "*" or item == low or (item.endswith("*") and low.startswith(item[:-1])):
            return True
    return False


class CorsMixin(HandlerBase):
    """CORS: OPTIONS preflights and Access-Control-* headers from the bucket's rules."""

    def _cors_rule(self, bucket: Bucket, operation: str, origin: str) -> dict[str, Any] | None:
        for rule in bucket.cors_rules:
            if operation in rule["allowedOperations"] and any(
                _origin_matches(pattern, origin) for pattern in rule["allowedOrigins"]
            ):
                return rule
        return None

    def _cors_headers(self, bucket: Bucket | None, operation: str) -> dict[str, str]:
        origin = self.headers.get("Origin")
        if not origin or bucket is None:
            return {}
        rule = self._cors_rule(bucket, operation, origin)
        if rule is None:
            return {}
        headers = {
            "Access-Control-Allow-Origin": "*" if rule["allowedOrigins"] == ["*"] else origin,
            "Vary": "Origin",
        }
        if rule["exposeHeaders"]:
            headers["Access-Control-Expose-Headers"] = ", ".join(rule["exposeHeaders"])
        return headers

    def _cors_for_upload(self, endpoint: str, path_id: str) -> dict[str, str]:
        if not self.headers.get("Origin"):
            return {}
        bucket = self._bucket_for_path(endpoint, path_id)
        return self._cors_headers(bucket, endpoint)

    def _bucket_for_path(self, endpoint: str, path_id: str | None) -> Bucket | None:
        state = self.app.state
        bucket_id: str | None = path_id
        if endpoint in ("b2_upload_part", "b2_download_file_by_id"):
            found = state.get_file(path_id) if path_id else None
            bucket_id = found.bucket_id if found else None
        if bucket_id is None:
            return None
        try:
            return state.get_bucket(bucket_id)
        except ApiError:
            return None

    def _preflight(self, path: str, query: str) -> None:
        self._read_body()
        origin = self.headers.get("Origin") or ""
        wanted = (self.headers.get("Access-Control-Request-Method") or "").upper()
        asked = [
            h.strip()
            for h in (self.headers.get("Access-Control-Request-Headers") or "").split(",")
            if h.strip()
        ]
        bucket: Bucket | None = None
        operation = ""
        methods = ""
        if path.startswith("/file/"):
            bucket = self.app.state.bucket_by_name(path[len("/file/") :].partition("/")[0])
            operation, methods = "b2_download_file_by_name", "GET, HEAD"
        else:
            match = API_PATH.fullmatch(path)
            if match is not None:
                operation = match.group(2)
                path_id = match.group(3)
                if operation == "b2_download_file_by_id":
                    path_id = dict(urllib.parse.parse_qsl(query)).get("fileId")
                    methods = "GET, HEAD, POST"
                elif operation in ("b2_upload_file", "b2_upload_part"):
                    methods = "POST"
                bucket = self._bucket_for_path(operation, path_id) if methods else None
        rule = self._cors_rule(bucket, operation, origin) if bucket and origin else None
        if (
            rule is None
            or wanted not in methods.split(", ")
            or not all(_header_allowed(rule["allowedHeaders"], h) for h in asked)
        ):
            self._send_error(ApiError(403, "access_denied", "CORS preflight not allowed"))
            return
        headers = {
            "Access-Control-Allow-Origin": "*" if rule["allowedOrigins"] == ["*"] else origin,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Max-Age": str(rule["maxAgeSeconds"]),
            "Vary": "Origin",
        }
        if asked:
            headers["Access-Control-Allow-Headers"] = ", ".join(asked)
        self._send(200, b"", headers, content_type="text/plain")
