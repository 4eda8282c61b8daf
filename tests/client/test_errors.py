from __future__ import annotations

import pickle

import pytest

from django_b2.client import errors as e
from django_b2.client.errors import error_from_response

TABLE = [
    (400, "bad_request", e.B2BadRequest),
    (400, "duplicate_bucket_name", e.B2BadRequest),
    (400, "cannot_delete_non_empty_bucket", e.B2BadRequest),
    (400, "no_such_file", e.B2NotFound),
    (400, "file_not_present", e.B2NotFound),
    (401, "unauthorized", e.B2Unauthorized),
    (401, "unsupported", e.B2Unauthorized),
    (401, "missing_auth_token", e.B2Unauthorized),
    (401, "bad_auth_token", e.B2AuthTokenExpired),
    (401, "expired_auth_token", e.B2AuthTokenExpired),
    (401, "access_denied", e.B2Forbidden),
    (401, "", e.B2Unauthorized),
    (403, "access_denied", e.B2Forbidden),
    (403, "transaction_cap_exceeded", e.B2CapExceeded),
    (403, "storage_cap_exceeded", e.B2CapExceeded),
    (403, "download_cap_exceeded", e.B2CapExceeded),
    (403, "cap_exceeded", e.B2CapExceeded),
    (404, "not_found", e.B2NotFound),
    (404, "", e.B2NotFound),
    (405, "method_not_allowed", e.B2APIError),
    (408, "request_timeout", e.B2ServiceError),
    (409, "conflict", e.B2Conflict),
    (416, "range_not_satisfiable", e.B2RangeNotSatisfiable),
    (429, "too_many_requests", e.B2TooManyRequests),
    (500, "internal_error", e.B2ServiceError),
    (503, "service_unavailable", e.B2ServiceError),
    (599, "whatever", e.B2ServiceError),
]


@pytest.mark.parametrize(("status", "code", "cls"), TABLE)
def test_table(status: int, code: str, cls: type[e.B2APIError]) -> None:
    error = error_from_response(status, code, "some text", None)
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, "some text")


@pytest.mark.parametrize("message", ["expired", "bad_auth_token", "not found", "cap_exceeded"])
def test_message_text_never_decides(message: str) -> None:
    assert type(error_from_response(400, "bad_request", message)) is e.B2BadRequest


@pytest.mark.parametrize(("status", "code", "cls"), TABLE)
def test_pickle_round_trip(status: int, code: str, cls: type[e.B2APIError]) -> None:
    error = error_from_response(status, code, "msg", 7.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert (copy.status, copy.code, copy.message, copy.retry_after) == (status, code, "msg", 7.0)
    assert str(copy) == str(error)


def test_other_errors_pickle() -> None:
    for error in (
        e.B2ConnectionError("reset"),
        e.B2TimeoutError("slow"),
        e.B2IntegrityError("sha1"),
        e.B2ValidationError("bad name"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)


def test_str_has_status_code_message() -> None:
    text = str(error_from_response(429, "too_many_requests", "slow down", 3))
    assert "429" in text
    assert "too_many_requests" in text
    assert "slow down" in text
    assert "3" in text
    assert "(no code)" in str(error_from_response(401, "", ""))


def test_retryable_flags() -> None:
    retryable = {e.B2TransportError, e.B2ConnectionError, e.B2TimeoutError}
    retryable |= {e.B2TooManyRequests, e.B2ServiceError}
    for cls in (e.B2ConnectionError, e.B2TimeoutError, e.B2TooManyRequests, e.B2ServiceError):
        assert cls.retryable
    for cls in (
        e.B2BadRequest,
        e.B2Unauthorized,
        e.B2AuthTokenExpired,
        e.B2Forbidden,
        e.B2CapExceeded,
        e.B2NotFound,
        e.B2IntegrityError,
        e.B2ValidationError,
    ):
        assert not cls.retryable, cls
        assert cls not in retryable


def test_hierarchy() -> None:
    assert issubclass(e.B2ValidationError, ValueError)
    assert issubclass(e.B2ValidationError, e.B2Error)
    assert issubclass(e.B2CapExceeded, e.B2Forbidden)
    assert issubclass(e.B2AuthTokenExpired, e.B2Unauthorized)
    assert issubclass(e.B2ConnectionError, e.B2TransportError)
    assert not issubclass(e.B2IntegrityError, e.B2APIError)
