"""``B2Client.download``: one file (by id, or by bucket and file name) saved into a destination."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

from ._progress import ProgressCallback
from ._validation import RangeArg
from .errors import B2ValidationError

if TYPE_CHECKING:
    from ._client import B2Client

__all__ = ["download"]


def _check_destination(destination: object) -> None:
    if isinstance(destination, (str, os.PathLike)):
        path = os.fspath(destination)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise B2ValidationError(
                f"cannot save to {path!r}: directory {directory!r} does not exist; create it first"
            )
        if os.path.isdir(path):
            raise B2ValidationError(
                f"cannot save to {path!r}: it is a directory; give a file name inside it"
            )
        return
    if callable(getattr(destination, "write", None)):
        return
    raise B2ValidationError(
        "destination must be a path (str or os.PathLike) or a binary file object opened for "
        f"writing, not {type(destination).__name__}"
    )


def download(
    client: B2Client,
    *,
    bucket_name: str | None = None,
    file_name: str | None = None,
    file_id: str | None = None,
    destination: str | os.PathLike[str] | IO[bytes],
    range: RangeArg = None,
    progress: ProgressCallback | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """Download one file (by id, or by bucket name + file name) into ``destination``.

    Returns :meth:`DownloadedFile.as_dict` plus ``bytesWritten``. Used by ``B2Client.download``.
    """
    if file_id is not None:
        if bucket_name is not None or file_name is not None:
            raise B2ValidationError(
                "pass either file_id=... or bucket_name=... and file_name=..., not both"
            )
        if not isinstance(file_id, str) or not file_id:
            raise B2ValidationError("file_id must be a non-empty string")
    elif not bucket_name or not file_name:
        raise B2ValidationError(
            "say which file to download: file_id=..., or both bucket_name=... and file_name=..."
        )
    _check_destination(destination)

    if file_id is not None:
        downloaded = client.download_file_by_id(
            file_id, range=range, progress=progress, verify=verify
        )
    else:
        assert bucket_name is not None and file_name is not None
        downloaded = client.download_file_by_name(
            bucket_name, file_name, range=range, progress=progress, verify=verify
        )
    with downloaded:
        written = downloaded.save(destination)
    result = downloaded.as_dict()
    result["bytesWritten"] = written
    return result
