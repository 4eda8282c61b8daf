"""Receive an upload body from a socket into a temp file while hashing it."""

from __future__ import annotations

import contextlib
import hashlib
import os
from io import BufferedIOBase

from .errors import bad_request

CHUNK = 1 << 20


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
) -> tuple[int, str]:
    """Stream ``length`` body bytes to ``temp_path``; returns (content size, stored SHA1).

    ``sha1_mode`` is the expected hex digest, ``hex_digits_at_end`` or ``do_not_verify``.
    On a mismatch the temp file is removed and ``400 bad_request`` raised.
    """
    at_end = sha1_mode == "hex_digits_at_end"
    size = length - 40 if at_end else length
    if size < 0:
        drain(rfile, length)
        raise bad_request("with hex_digits_at_end the body must end with 40 hex digits")
    digest = hashlib.sha1()
    buffer = bytearray(min(CHUNK, max(size, 1)))
    view = memoryview(buffer)
    received = 0
    try:
        with open(temp_path, "wb", buffering=0) as out:
            while True:
                if drop_at is not None and received >= drop_at:
                    raise DropConnection()
                if received >= size:
                    break
                want = min(size - received, len(buffer))
                if drop_at is not None:
                    want = min(want, drop_at - received)
                n = rfile.readinto(view[:want])
                if not n:
                    raise ClientGone("client closed the connection mid-body")
                digest.update(view[:n])
                out.write(view[:n])
                received += n
        trailer = b""
        if at_end:
            trailer = rfile.read(40)
            if len(trailer) != 40:
                raise ClientGone("client closed the connection before the SHA1 trailer")
    except BaseException:
        _remove(temp_path)
        raise
    actual = digest.hexdigest()
    if sha1_mode == "do_not_verify":
        return size, f"unverified:{actual}"
    expected = trailer.decode("ascii", "replace").lower() if at_end else sha1_mode
    if expected != actual:
        _remove(temp_path)
        raise bad_request(f"Sha1 did not match data received: expected {expected}, got {actual}")
    return size, actual


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
