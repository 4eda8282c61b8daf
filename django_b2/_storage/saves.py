"""``Saves``: ``save()`` under a name of one's own, safe against concurrent saves of that name.

How a save settles a race for its name is told in :meth:`Saves.save` (the rule is
:func:`django_b2.unique_names.lost_race`). Content opened from a B2 storage of the same account
is saved by a server-side copy instead of an upload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from django.core.files.base import File
from django.core.files.utils import validate_file_name as django_validate_file_name

from django_b2 import conf
from django_b2.client._limits import MAX_COPY_SIZE
from django_b2.client.errors import B2NotFound
from django_b2.files import B2File
from django_b2.unique_names import lost_race, quote_name

from .uploads import Uploads

__all__ = ["MAX_MOVES", "RACE_PAGE_SIZE", "Saves"]

#: Versions asked for in one listing when a save checks for concurrent saves of its name.
RACE_PAGE_SIZE: Final = 100
#: Times a save that lost a race moves on to another name before giving up.
MAX_MOVES: Final = 8


class Saves(Uploads):
    """``save()`` of :class:`~django_b2.storage.B2Storage`."""

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        """Save ``content`` and return the name it was stored under.

        With ``file_overwrite`` this is Django's ``Storage.save``. Without it (the default), the
        name is not looked up first: the content is uploaded, then one listing of the name's
        versions shows whether another save of the same name ran at the same time (or the name
        was taken). A save that finds an earlier version than its own moves its bytes to a free
        name by a server-side copy and removes its version from the contested name, so every
        caller ends up with its own name and its own bytes (see ``docs/storage-behaviour.md``
        for the moment in which a reader may see the other version).
        """
        if self.config.file_overwrite:
            return str(super().save(name, content, max_length=max_length))
        if name is None:
            name = content.name
        if not hasattr(content, "chunks"):
            content = File(content, name)
        django_validate_file_name(name, allow_relative_path=True)
        if self._memo_says_exists(name):
            name = self.get_available_name(name, max_length)
        else:
            name = self._fitting_name(name, max_length)
        django_validate_file_name(name, allow_relative_path=True)
        name = self._save_unique(name, content, max_length)
        django_validate_file_name(name, allow_relative_path=True)
        return name

    def _save(self, name: str, content: File[Any]) -> str:
        if not self.config.file_overwrite:
            return self._save_unique(name, content, None)
        key = self.b2_name(name)
        self._write(name, key, content)
        return name

    def _write(self, name: str, key: str, content: Any) -> dict[str, Any]:
        """Store ``content`` under ``key`` (server-side copy of a B2 file, else upload)."""
        self._forget(key)
        try:
            copied = self._copy_from_b2(name, key, content)
            return copied if copied is not None else self.upload(name, key, content)
        finally:
            self._forget(key)

    def _save_unique(self, name: str, content: Any, max_length: int | None) -> str:
        """Upload under ``name``, then settle a race for it (see :meth:`save`)."""
        key = self.b2_name(name)
        version = self._write(name, key, content)
        for _ in range(MAX_MOVES):
            if not lost_race(self._versions(key, page_size=RACE_PAGE_SIZE), version):
                return name
            name, key, version = self._move(name, key, version, content, max_length)
        raise conf.B2ConfigurationError(
            f"Could not find a free name for {quote_name(name)} after {MAX_MOVES} attempts: "
            "other saves took every name tried. Retry the save."
        )

    def _move(
        self, name: str, key: str, version: Mapping[str, Any], content: Any, max_length: int | None
    ) -> tuple[str, str, dict[str, Any]]:
        """Put the bytes of ``version`` under a free name, then take it off ``key``."""
        new_name = self.get_available_name(name, max_length)
        new_key = self.b2_name(new_name)
        self._forget(new_key)
        file_id = str(version["fileId"])
        try:
            if int(version.get("contentLength") or 0) <= MAX_COPY_SIZE:
                moved = dict(self.client.copy_file(file_id, new_key))
            else:  # b2_copy_file stops at 5 GB: send the bytes again
                _rewind(content)
                moved = self.upload(new_name, new_key, content)
        finally:
            # The contested name goes back to the winner even if the copy failed.
            with contextlib.suppress(B2NotFound):
                self.client.delete_file_version(key, file_id)
            self._forget(key)
            self._forget(new_key)
        return new_name, new_key, moved

    def _copy_from_b2(self, name: str, key: str, content: Any) -> dict[str, Any] | None:
        """Save a file opened from a B2 storage of the same account by a server-side copy.

        One ``b2_copy_file`` instead of downloading and uploading the bytes (files up to 5 GB;
        the copy gets this storage's content type and file info). ``None`` when not possible.
        """
        source = _find_b2_file(content)
        version = source.version() if source is not None else None
        if version is None:
            return None
        source_storage, file_id, size = version
        same_account = (
            source_storage.config.api_url,
            source_storage.config.application_key_id,
        ) == (
            self.config.api_url,
            self.config.application_key_id,
        )
        if not same_account or size > MAX_COPY_SIZE:
            return None
        return dict(
            self.client.copy_file(
                file_id,
                key,
                destination_bucket_id=self.bucket_id,
                metadata_directive="REPLACE",
                content_type=self.guess_content_type(name, content),
                file_info=self.file_info_for(name),
            )
        )


def _rewind(content: Any) -> None:
    seek = getattr(content, "seek", None)
    if not callable(seek):
        raise ValueError("The content cannot be read again to save it under another name.")
    seek(0)


def _find_b2_file(content: Any) -> B2File | None:
    """The :class:`B2File` behind ``content`` (a FieldFile, a File wrapping one, ...), if any."""
    for _ in range(4):
        if isinstance(content, B2File):
            return content
        content = getattr(content, "file", None)
        if content is None:
            return None
    return None
