"""``Names``: storage names to B2 file names, and picking an available name as Django does."""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation

from django_b2.client._validation import validate_file_name
from django_b2.client.errors import B2ValidationError
from django_b2.unique_names import quote_name, shortened_name

from .bucket import Bucket

__all__ = ["Names"]


class Names(Bucket):
    """Names of :class:`~django_b2.storage.B2Storage`: checked, ``location`` prefixed."""

    def normalize_name(self, name: str) -> str:
        """Normalize a storage name (``/`` separators) and reject traversal or illegal names."""
        if not isinstance(name, str):
            raise TypeError(f"File names must be str, not {type(name).__name__}.")
        cleaned = name.replace("\\", "/")
        if cleaned.startswith("/"):
            raise SuspiciousFileOperation(
                f"Absolute file name {quote_name(name)} is not allowed; give a name relative "
                "to the storage's location, e.g. 'uploads/photo.jpg'."
            )
        parts = [part for part in cleaned.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise SuspiciousFileOperation(
                f"File name {quote_name(name)} contains '..'; give a name without path traversal."
            )
        cleaned = "/".join(parts)
        if not cleaned:
            raise SuspiciousFileOperation(f"File name {name!r} is empty; give a file name.")
        return cleaned

    def b2_name(self, name: str) -> str:
        """The B2 file name for storage name ``name`` (``location`` prefixed), validated."""
        cleaned = self.normalize_name(name)
        full = f"{self.location}/{cleaned}" if self.location else cleaned
        try:
            validate_file_name(full)
        except B2ValidationError as exc:
            raise ValueError(f"Invalid file name {quote_name(name)}: {exc}") from exc
        return full

    @property
    def name_prefix(self) -> str:
        """What every B2 name of this storage's files starts with: ``"<location>/"``, or ``""``."""
        return f"{self.location}/" if self.location else ""

    def _dir_prefix(self, path: str) -> str:
        stripped = path.replace("\\", "/").strip("/")
        if not stripped or stripped == ".":
            return self.name_prefix
        return self.b2_name(stripped) + "/"

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """A name for new content, as Django's storages pick it.

        While the name is not available, try ``<root>_<7 random characters><extensions>``,
        cutting the file root so that the name fits ``max_length``; raise
        :class:`SuspiciousFileOperation` when nothing of the root is left (or, as Django does,
        for a ``..`` directory or an invalid file name). With ``file_overwrite`` every name of a
        fitting length is available.
        """

        def available(candidate: str) -> bool:
            return self.config.file_overwrite or not self.exists(candidate)

        return shortened_name(name, max_length, available, self.get_alternative_name)

    def _fitting_name(self, name: str, max_length: int | None) -> str:
        """``name``, or as :meth:`get_available_name` would shorten it, without looking it up."""
        return shortened_name(name, max_length, lambda _: True, self.get_alternative_name)
