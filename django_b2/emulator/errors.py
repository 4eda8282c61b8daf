"""The one exception the emulator raises for a B2 error response."""

from __future__ import annotations


class ApiError(Exception):
    """A B2 error: rendered by the handler as ``{"status", "code", "message"}``."""

    def __init__(
        self, status: int, code: str, message: str = "", *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)
