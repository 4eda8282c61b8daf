"""The tokens the emulator issued (account, upload, download): in memory and in the data dir.

Kept in the data dir, a restart with the same data dir leaves them valid until they expire, as on
B2. Counters of a token's uses and an upload URL's busy flag are not kept.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable

from .records import AccountToken, DownloadToken, UploadToken

Token = AccountToken | UploadToken | DownloadToken

_KINDS: dict[str, type[AccountToken] | type[UploadToken] | type[DownloadToken]] = {
    "account": AccountToken,
    "upload": UploadToken,
    "download": DownloadToken,
}
_TRANSIENT = ("uses", "test_mode_uses", "busy")
#: Expired tokens are dropped from memory and the data dir every this many new tokens.
PRUNE_EVERY = 1000


class TokenTable:
    """Live tokens by their text. The caller holds the state's lock."""

    def __init__(self, db: sqlite3.Connection, now_ms: Callable[[], int]) -> None:
        self._db = db
        self._now_ms = now_ms
        self._tokens: dict[str, Token] = {}
        self._saves = 0

    def load(self) -> None:
        """Tokens saved by an earlier run that have not expired yet."""
        self._db.execute("DELETE FROM tokens WHERE expires_at <= ?", (self._now_ms(),))
        for kind, data in self._db.execute("SELECT kind, data FROM tokens").fetchall():
            record = _KINDS[kind](**json.loads(data))
            self._tokens[record.token] = record

    def get(self, token: str) -> Token | None:
        return self._tokens.get(token)

    def __contains__(self, token: str) -> bool:
        return token in self._tokens

    def save(self, token: Token) -> None:
        """Keep a new or changed token; expired ones are pruned from time to time."""
        kind = next(name for name, cls in _KINDS.items() if isinstance(token, cls))
        data = dataclasses.asdict(token)
        for transient in _TRANSIENT:
            data.pop(transient, None)
        self._db.execute(
            "REPLACE INTO tokens VALUES (?, ?, ?, ?)",
            (token.token, kind, json.dumps(data), token.expires_at),
        )
        self._tokens[token.token] = token
        self._saves += 1
        if self._saves % PRUNE_EVERY == 0:
            now = self._now_ms()
            self._db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
            for stale in [t for t, found in self._tokens.items() if found.expires_at <= now]:
                del self._tokens[stale]

    def forget(self, token: str) -> None:
        self._tokens.pop(token, None)
        self._db.execute("DELETE FROM tokens WHERE token = ?", (token,))

    def forget_all(self) -> None:
        self._tokens.clear()
        self._db.execute("DELETE FROM tokens")
