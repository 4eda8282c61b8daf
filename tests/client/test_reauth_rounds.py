"""Re-authorization when tokens are shared: never fall back to an older token, and a stored
token of another worker that turns out expired too is replaced by a newer one."""

from __future__ import annotations

from django_b2.client import AccountAuthorization, InMemoryAuthStore
from django_b2.emulator import EmulatorServer
from tests.helpers import endpoint_calls

from .conftest import SleepRecorder, make_client

DAY = 86_401  # past the emulator's 24 h token lifetime


class LaggingStore(InMemoryAuthStore):
    """A shared store whose reads lag behind: ``get`` returns the first value ever stored
    (like a cache replica that has not caught up)."""

    def __init__(self) -> None:
        super().__init__()
        self.first: AccountAuthorization | None = None

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None:
        if self.first is None:
            self.first = value
        super().set(key, value, ttl)

    def get(self, key: str) -> AccountAuthorization | None:
        return self.first if super().get(key) is not None else None


def test_an_older_stored_token_never_replaces_a_rejected_one(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    store = LaggingStore()
    with make_client(b2_emulator, sleeps, auth_store=store) as client:
        client.list_buckets()  # token 1
        b2_emulator.advance_clock(DAY)
        client.list_buckets()  # token 1 rejected -> token 2
        b2_emulator.advance_clock(DAY)
        # token 2 rejected; the store still offers token 1 (older, expired): authorize instead
        client.list_buckets()
        assert endpoint_calls(b2_emulator, "b2_authorize_account") == 3
        assert store.first is not None
        assert client.authorization.obtained_at > store.first.obtained_at


def test_a_shared_token_that_expired_too_does_not_use_up_the_reauthorization(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    store = InMemoryAuthStore()
    with (
        make_client(b2_emulator, sleeps, auth_store=store) as first,
        make_client(b2_emulator, sleeps, auth_store=store) as second,
    ):
        first.list_buckets()
        second.list_buckets()  # both hold token 1
        b2_emulator.advance_clock(DAY)
        first.list_buckets()  # token 1 rejected: first authorizes token 2 and stores it
        b2_emulator.advance_clock(DAY)  # token 2 expires before second ever used it
        # second: token 1 rejected -> stored token 2 rejected -> authorizes token 3 itself
        second.list_buckets()
        assert endpoint_calls(b2_emulator, "b2_authorize_account") == 3
        assert sleeps.waits == []


# A call re-authorizes at most a bounded number of times, then the error propagates: test_auth.py's
# test_reauth_per_rejected_token_then_propagate.
