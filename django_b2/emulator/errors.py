"""The one exception the emulator raises for a B2 error response."""

from __future__ import annotations


class ApiError(Exception):
    """A B2 error: rendered by the handler as ``{"status", "code", "message"}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        *,
        retry_after: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail or message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        #: An explanation for the emulator's log only (B2's answer stays terse).
        self.detail = detail

    def body(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message)


def denied(detail: str) -> ApiError:
    """A missing capability or a key restriction: B2 answers a terse ``401 unauthorized`` (empty
    message; clients add their own explanation). ``detail`` goes to the emulator's log only."""
    return ApiError(401, "unauthorized", "", detail=detail)


#: B2's answer for a version Object Lock protects from deletion.
def lock_denied(detail: str) -> ApiError:
    return ApiError(401, "access_denied", "Access Denied", detail=detail)


BUCKET_MISSING_FILE_LOCK = "The bucket is not file lock enabled"


def bucket_missing_file_lock() -> ApiError:
    return ApiError(400, "bucket_missing_file_lock", BUCKET_MISSING_FILE_LOCK)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)
