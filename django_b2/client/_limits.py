"""B2's limits and fixed wire values, each defined once (client, storage, commands, uploads)."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "AUTO_CONTENT_TYPE",
    "HEX_DIGITS_AT_END",
    "LARGE_FILE_SHA1",
    "MAX_COPY_SIZE",
    "MAX_DOWNLOAD_AUTH_SECONDS",
    "MAX_FILE_INFO_ENTRIES",
    "MAX_FILE_INFO_KEY_BYTES",
    "MAX_FILE_NAME_BYTES",
    "MAX_KEY_DURATION_SECONDS",
    "MAX_KEY_NAME_LENGTH",
    "MAX_LARGE_FILE_SIZE",
    "MAX_LIST_COUNT",
    "MAX_PARTS",
    "MAX_PART_NUMBER",
    "MAX_PART_SIZE",
    "MAX_SINGLE_UPLOAD_SIZE",
    "SHA1_HEX",
]

#: Most parts a large file may have (part numbers run 1 to this).
MAX_PARTS: Final = 10_000
MAX_PART_NUMBER: Final = MAX_PARTS
#: Largest part, largest ``b2_upload_file`` body and largest server-side copy: 5 GB.
MAX_PART_SIZE: Final = 5_000_000_000
MAX_SINGLE_UPLOAD_SIZE: Final = 5_000_000_000
MAX_COPY_SIZE: Final = 5_000_000_000
#: Largest file: 10 TB.
MAX_LARGE_FILE_SIZE: Final = 10_000_000_000_000
MAX_FILE_NAME_BYTES: Final = 1024
MAX_FILE_INFO_ENTRIES: Final = 10
MAX_FILE_INFO_KEY_BYTES: Final = 50
#: Longest lifetime of a download authorization (and so of a signed URL): 7 days.
MAX_DOWNLOAD_AUTH_SECONDS: Final = 604_800
#: Key lifetimes must stay below this (1000 days).
MAX_KEY_DURATION_SECONDS: Final = 86_400_000
MAX_KEY_NAME_LENGTH: Final = 100
#: Most entries one list call returns (``maxFileCount``, ``maxKeyCount``).
MAX_LIST_COUNT: Final = 10_000

#: A SHA-1 as B2 sends and accepts it: 40 hex digits.
SHA1_HEX: Final = re.compile(r"[0-9a-fA-F]{40}")
#: ``X-Bz-Content-Sha1`` value for a body that ends with the 40 hex digits of its SHA-1.
HEX_DIGITS_AT_END: Final = "hex_digits_at_end"
#: Content type asking B2 to pick one from the file name's extension.
AUTO_CONTENT_TYPE: Final = "b2/x-auto"
#: The file info key B2 uses for a large file's whole-file SHA-1.
LARGE_FILE_SHA1: Final = "large_file_sha1"
