"""The staging area: a B2 name prefix that browsers' upload tokens are restricted to.

Upload URLs for simple uploads are minted with a second application key whose ``namePrefix`` is
the staging prefix, so B2 itself refuses (``401 unauthorized``) any name outside it. This module
builds that key's client and checks, from its authorization, that the key really is restricted
to the storage's bucket and to a prefix apart from the final names. Nothing is handed out
otherwise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django_b2.client import B2Client
from django_b2.conf import B2ConfigurationError, DirectUploadSettings

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = ["StagingArea", "StagingKeys", "create_key_command", "final_prefix_of"]

_CHECK_ID = "django_b2_direct_upload.E001"


@dataclass(frozen=True)
class StagingArea:
    """The restricted key's client and the prefix every staging name starts with."""

    client: B2Client
    prefix: str


def final_prefix_of(storage: B2Storage, prefix: str) -> str:
    """The B2 name prefix of final names: the storage's ``location`` joined to ``prefix``."""
    location = str(getattr(storage, "location", "") or "").strip("/")
    return f"{location}/{prefix}" if location else prefix


def create_key_command(bucket: str, staging_prefix: str) -> str:
    return (
        f"python manage.py b2_keys create direct-uploads --capabilities writeFiles "
        f"--bucket {bucket} --name-prefix {staging_prefix}"
    )


def _refuse(problem: str, storage: B2Storage, final_prefix: str) -> B2ConfigurationError:
    location = str(getattr(storage, "location", "") or "").strip("/")
    suggested = f"{location}/_staging/" if location else "_staging/"
    if final_prefix.startswith(suggested):
        suggested = "_staging/"
    return B2ConfigurationError(
        f"Direct uploads are refused: {problem} Browsers must only receive upload tokens that "
        "cannot write outside a staging prefix. Create a key restricted to the bucket and to a "
        f"staging prefix apart from the final names ({final_prefix!r}), e.g. "
        f"`{create_key_command(storage.bucket_name, suggested)}`, and set "
        "B2_DIRECT_UPLOAD_KEY_ID and B2_DIRECT_UPLOAD_KEY to its id and secret (or pass "
        "upload_key_id= and upload_key= to DirectUpload).",
        check_id=_CHECK_ID,
    )


class StagingKeys:
    """One client per restricted key, checked once per authorization."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], B2Client] = {}

    def area(
        self, storage: B2Storage, settings: DirectUploadSettings, *, final_prefix: str
    ) -> StagingArea:
        """The staging area for ``storage``; raises :class:`B2ConfigurationError` if unsafe."""
        if settings.key_id is None or settings.key is None:
            raise _refuse("no restricted upload key is configured.", storage, final_prefix)
        main_key_id = getattr(getattr(storage, "config", None), "application_key_id", None)
        if settings.key_id == main_key_id:
            raise _refuse(
                "the upload key is the storage's own key, which is not restricted.",
                storage,
                final_prefix,
            )
        client = self._client(storage, settings)
        auth = client.authorization
        prefix = auth.name_prefix or ""
        if not prefix:
            raise _refuse(
                f"the upload key {settings.key_id!r} is not restricted to a name prefix (its "
                "tokens could write any file).",
                storage,
                final_prefix,
            )
        if auth.bucket_id != storage.bucket_id:
            raise _refuse(
                f"the upload key {settings.key_id!r} is not restricted to the bucket "
                f"{storage.bucket_name!r}.",
                storage,
                final_prefix,
            )
        if final_prefix.startswith(prefix) or prefix.startswith(final_prefix):
            raise _refuse(
                f"the upload key's prefix {prefix!r} overlaps the final names {final_prefix!r}, "
                "so its tokens could replace recorded files.",
                storage,
                final_prefix,
            )
        if "writeFiles" not in auth.capabilities:
            raise _refuse(
                f"the upload key {settings.key_id!r} lacks the writeFiles capability.",
                storage,
                final_prefix,
            )
        return StagingArea(client=client, prefix=prefix)

    def _client(self, storage: B2Storage, settings: DirectUploadSettings) -> B2Client:
        """One client per key id and API URL (the key stays inside ``settings``)."""
        assert settings.key_id is not None and settings.key is not None
        kwargs = storage.client_kwargs()
        place = (settings.key_id, str(kwargs.get("api_url") or ""))
        with self._lock:
            found = self._clients.get(place)
            if found is None:
                found = B2Client(settings.key_id, settings.key, **kwargs)
                self._clients[place] = found
            return found

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
