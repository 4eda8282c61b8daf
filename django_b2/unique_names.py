"""Picking and keeping a name of one's own: Django's name truncation and B2's save race rule.

:func:`shortened_name` is the algorithm of Django's ``Storage.get_available_name`` (alternative
names ``<root>_<7 random characters><extensions>``, the root cut to fit ``max_length``) with the
availability check left to the caller. :func:`lost_race` is the rule by which concurrent saves of
one name decide, each from its own listing of the name's versions, which of them keeps it.
"""

from __future__ import annotations

import pathlib
import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.utils import validate_file_name

__all__ = ["lost_race", "quote_name", "shortened_name"]

#: Characters of a file name quoted in error messages.
_QUOTED_NAME_LENGTH: Final = 100


def quote_name(name: str) -> str:
    """``repr`` of at most the first 100 characters of ``name`` (error messages)."""
    if len(name) <= _QUOTED_NAME_LENGTH:
        return repr(name)
    return f"{name[:_QUOTED_NAME_LENGTH]!r}... ({len(name)} characters)"


def shortened_name(
    name: str,
    max_length: int | None,
    available: Callable[[str], bool],
    alternative: Callable[[str, str], str],
) -> str:
    """``name``, or an alternative from ``alternative(root, extensions)`` that is available and
    fits ``max_length``; :class:`SuspiciousFileOperation` where Django raises it."""
    name = str(name).replace("\\", "/")
    dir_name, file_name = posixpath.split(name)
    if ".." in pathlib.PurePosixPath(dir_name).parts:
        raise SuspiciousFileOperation(f"Detected path traversal attempt in {quote_name(dir_name)}")
    validate_file_name(file_name)
    extensions = "".join(pathlib.PurePosixPath(file_name).suffixes)
    root = file_name.removesuffix(extensions)
    while (max_length is not None and len(name) > max_length) or not available(name):
        name = posixpath.join(dir_name, alternative(root, extensions))
        if max_length is None:
            continue
        excess = len(name) - max_length
        if excess > 0:
            root = root[:-excess]
            if not root:
                raise SuspiciousFileOperation(
                    f"Storage can not find an available filename for {quote_name(name)}: even "
                    f"with the file name cut short it is longer than max_length={max_length}. "
                    "Raise the field's max_length or use a shorter upload_to directory."
                )
            name = posixpath.join(dir_name, alternative(root, extensions))
    return name


def lost_race(versions: Iterable[Mapping[str, Any]], version: Mapping[str, Any]) -> bool:
    """Whether ``version`` must leave its name, given the name's versions (newest first).

    The rule every racer applies to what it sees: a live version with an earlier upload
    timestamp keeps the name; on equal timestamps both sides move away (neither can tell whether
    the other saw it). Versions under a newer hide marker no longer count; unfinished large
    files are not versions yet. Stops reading at the first version that decides.
    """
    ours = int(version["uploadTimestamp"])
    our_id = str(version["fileId"])
    for other in versions:
        action = other.get("action")
        if action == "start":
            continue
        if action != "upload":
            return False
        if str(other["fileId"]) != our_id and int(other["uploadTimestamp"]) <= ours:
            return True
    return False
