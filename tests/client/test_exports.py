from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import django_b2.client as client_pkg

MODULES = [
    "django_b2.client",
    "django_b2.client.errors",
    "django_b2.client._types",
    "django_b2.client._retry",
    "django_b2.client._auth",
    "django_b2.client._client",
    "django_b2.client._validation",
    "django_b2.client._signing",
]

#: The public surface of ``django_b2.client``. Changing it is a decision: edit this list with it.
PUBLIC_SURFACE = [
    "AccountAuthorization",
    "ApplicationKey",
    "AuthStore",
    "AuthorizeAccountResponse",
    "B2APIError",
    "B2AuthTokenExpired",
    "B2BadRequest",
    "B2CapExceeded",
    "B2Client",
    "B2Conflict",
    "B2ConnectionError",
    "B2Error",
    "B2Forbidden",
    "B2IntegrityError",
    "B2NotFound",
    "B2RangeNotSatisfiable",
    "B2ServiceError",
    "B2TimeoutError",
    "B2TooManyRequests",
    "B2TransportError",
    "B2Unauthorized",
    "B2ValidationError",
    "BUCKET_TYPES",
    "Bucket",
    "CancelLargeFileResponse",
    "CorsRule",
    "CreatedApplicationKey",
    "DeleteFileVersionResponse",
    "DownloadAuthorization",
    "DownloadedFile",
    "ErrorBody",
    "FileInfoByName",
    "FileLegalHoldResponse",
    "FileRetention",
    "FileRetentionResponse",
    "FileVersion",
    "HttpOptions",
    "InMemoryAuthStore",
    "KEY_CAPABILITIES",
    "LifecycleRule",
    "ListBucketsResponse",
    "ListFileNamesResponse",
    "ListFileVersionsResponse",
    "ListKeysResponse",
    "ListPartsResponse",
    "ListUnfinishedLargeFilesResponse",
    "LoggingProgress",
    "Part",
    "ProgressCallback",
    "RESTRICTED_KEY_FORBIDDEN_CAPABILITIES",
    "RangeArg",
    "RetryPolicy",
    "ServerSideEncryption",
    "StorageApiInfo",
    "TqdmProgress",
    "UploadPartUrl",
    "UploadUrl",
    "combine",
    "default_progress",
    "download_url_by_id",
    "download_url_by_name",
    "error_from_response",
    "expected_sha1",
    "is_retryable",
    "percent_decode",
    "percent_encode",
    "throttle",
    "tqdm_available",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_are_unique(name: str) -> None:
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ lists {attr!r}, which does not exist"


def test_public_surface_is_pinned() -> None:
    assert sorted(client_pkg.__all__) == PUBLIC_SURFACE


def test_client_modules_other_than_errors_are_private() -> None:
    """Implementation modules are ``_``-prefixed; only the package and its error tree are public."""
    package = Path(client_pkg.__file__).parent
    public = sorted(p.name for p in package.glob("*.py") if not p.name.startswith("_"))
    assert public == ["errors.py"]


def test_package_exports_every_public_error_and_helper() -> None:
    from django_b2.client import errors

    for attr in errors.__all__:
        assert attr in client_pkg.__all__, f"django_b2.client does not export {attr}"
    for attr in ("B2Client", "RetryPolicy", "InMemoryAuthStore", "AccountAuthorization"):
        assert attr in client_pkg.__all__
    assert "KEY_CAPABILITIES" in client_pkg.__all__


def test_public_classes_defined_in_package_are_exported() -> None:
    public = {
        name
        for name, value in vars(client_pkg).items()
        if not name.startswith("_") and isinstance(value, type)
    }
    assert public <= set(client_pkg.__all__)


def test_key_capabilities_complete() -> None:
    assert len(client_pkg.KEY_CAPABILITIES) == 26
    assert {"listKeys", "writeFiles", "bypassGovernance", "shareFiles"} <= set(
        client_pkg.KEY_CAPABILITIES
    )


def test_client_does_not_import_django_or_emulator() -> None:
    code = (
        "import sys, django_b2.client;"
        "bad=[m for m in sys.modules"
        " if m=='django' or m.startswith(('django.','django_b2.emulator'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
