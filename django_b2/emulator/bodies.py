"""Receive an upload body from a socket into a temp file while hashing it."""

from __future__ import annotations

import contextlib
import hashlib
import os
from io import BufferedIOBase
from typing import BinaryIO

from .errors import bad_request
from .records import Body

CHUNK = 1 << 20
#: Bodies up to this size are kept in SQLite instead of a file of their own.
INLINE_MAX = 64 * 1024


class DropConnection(Exception):
    """Raised to make the handler close the socket without answering (fault injection)."""


class ClientGone(Exception):
    """The client sent less than Content-Length bytes."""


def drain(rfile: BufferedIOBase, length: int) -> None:
    """Read and discard a body so the connection can be reused."""
    buffer = bytearray(min(CHUNK, max(length, 1)))
    view = memoryview(buffer)
    remaining = length
    while remaining > 0:
        n = rfile.readinto(view[: min(remaining, len(buffer))])
        if not n:
            raise ClientGone("client closed the connection mid-body")
        remaining -= n


def receive(
    rfile: BufferedIOBase,
    length: int,
    sha1_mode: str,
    temp_path: str,
    *,
    drop_at: int | None = None,
) -> Body:
    """Read ``length`` body bytes while hashing them and check the SHA1.

    Bodies up to ``INLINE_MAX`` bytes stay in memory (creating a file costs more than the whole
    request); larger ones stream to ``temp_path`` in 1 MiB chunks. ``sha1_mode`` is the expected
    hex digest, ``hex_digits_at_end`` or ``do_not_verify``. On a mismatch the temp file is removed
    and ``400 bad_request`` raised.
    """
    at_end = sha1_mode == "hex_digits_at_end"
    size = length - 40 if at_end else length
    if size < 0:
        drain(rfile, length)
        raise bad_request("with hex_digits_at_end the body must end with 40 hex digits")
    digest = hashlib.sha1()
    inline = size <= INLINE_MAX
    buffer = bytearray(size if inline else CHUNK)
    try:
        if inline:
            _read_body(rfile, memoryview(buffer), size, digest, None, drop_at)
        else:
            with open(temp_path, "wb", buffering=0) as out:
                _read_body(rfile, memoryview(buffer), size, digest, out, drop_at)
        trailer = b""
        if at_end:
            trailer = rfile.read(40)
            if len(trailer) != 40:
                raise ClientGone("client closed the connection before the SHA1 trailer")
    except BaseException:
        if not inline:
            _remove(temp_path)
        raise
    actual = digest.hexdigest()
    if sha1_mode == "do_not_verify":
        stored = f"unverified:{actual}"
    else:
        expected = trailer.decode("ascii", "replace").lower() if at_end else sha1_mode
        if expected != actual:
            if not inline:
                _remove(temp_path)
            raise bad_request(
                f"Sha1 did not match data received: expected {expected}, got {actual}"
            )
        stored = actual
    if inline:
        return Body(size, stored, data=bytes(buffer))
    return Body(size, stored, path=temp_path)


def _read_body(
    rfile: BufferedIOBase,
    view: memoryview,
    size: int,
    digest: hashlib._Hash,
    out: BinaryIO | None,
    drop_at: int | None,
) -> None:
    """Read ``size`` bytes: into ``view`` itself (``out`` None) or through it into ``out``."""
    received = 0
    while True:
        if drop_at is not None and received >= drop_at:
            raise DropConnection()
        if received >= size:
            return
        want = min(size - received, CHUNK)
        if drop_at is not None:
            want = min(want, drop_at - received)
        window = view[received : received + want] if out is None else view[:want]
        n = rfile.readinto(window)
        if not n:
            raise ClientGone("client closed the connection mid-body")
        digest.update(window[:n])
        if out is not None:
            out.write(window[:n])
        received += n


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
