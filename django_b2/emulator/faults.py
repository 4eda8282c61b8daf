"""Fault injection: 503/429, expired tokens, dropped connections, latency, late answers, test modes.

Every random decision is drawn from its own ``random.Random`` stream seeded from
``FaultConfig.seed``, so a single-threaded sequence of calls always fails the same way.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

TEST_MODE_FAIL_SOME_UPLOADS = "fail_some_uploads"
TEST_MODE_EXPIRE_TOKENS = "expire_some_account_authorization_tokens"
TEST_MODE_FORCE_CAP_EXCEEDED = "force_cap_exceeded"
TEST_MODES = (TEST_MODE_FAIL_SOME_UPLOADS, TEST_MODE_EXPIRE_TOKENS, TEST_MODE_FORCE_CAP_EXCEEDED)
#: With X-Bz-Test-Mode expire_some_account_authorization_tokens and no
#: ``expire_tokens_after_calls``, a token expires on this many calls made with the header.
DEFAULT_TEST_MODE_TOKEN_USES = 2
#: Upper bounds that keep a fault from hanging the emulator or overflowing a header.
MAX_LATENCY_SECONDS = 60.0
MAX_RETRY_AFTER = 86_400
MAX_REPLICATION_DELAY = 3600.0


@dataclass(frozen=True)
class FaultConfig:
    """What to break. Rates are fractions in [0, 1]."""

    seed: int = 0
    upload_503_rate: float = 0.0
    api_503_rate: float = 0.0
    authorize_503_rate: float = 0.0
    api_429_rate: float = 0.0
    retry_after: int = 1
    expire_tokens_after_calls: int | None = None
    drop_connection_rate: float = 0.0
    latency_seconds: float = 0.0
    fail_some_uploads_rate: float = 0.5
    #: Late answers: this share of successful calls (JSON calls and uploads) is carried out,
    #: then answered after ``late_answer_delay`` seconds, or never (the connection is closed)
    #: when that is None; only for ``late_answer_endpoints`` (e.g. ``["b2_create_key"]``) if
    #: given, at most ``late_answer_limit`` times if given.
    late_answer_rate: float = 0.0
    late_answer_delay: float | None = None
    late_answer_endpoints: tuple[str, ...] = ()
    late_answer_limit: int | None = None
    #: Seconds a new version stays ``replicationStatus: pending`` before it is replicated.
    replication_delay: float = 0.0

    def __post_init__(self) -> None:
        for field in (
            "upload_503_rate",
            "api_503_rate",
            "authorize_503_rate",
            "api_429_rate",
            "drop_connection_rate",
            "fail_some_uploads_rate",
            "late_answer_rate",
        ):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultConfig.{field} must be a number from 0 to 1, got {value!r}")
        if not isinstance(self.seed, int):
            raise ValueError("FaultConfig.seed must be an integer")
        if not isinstance(self.retry_after, int) or not 0 <= self.retry_after <= MAX_RETRY_AFTER:
            raise ValueError(
                f"FaultConfig.retry_after must be an integer from 0 to {MAX_RETRY_AFTER} (seconds)"
            )
        if self.expire_tokens_after_calls is not None and (
            not isinstance(self.expire_tokens_after_calls, int)
            or self.expire_tokens_after_calls < 1
        ):
            raise ValueError("FaultConfig.expire_tokens_after_calls must be None or >= 1")
        if not isinstance(self.latency_seconds, (int, float)) or not (
            0 <= self.latency_seconds <= MAX_LATENCY_SECONDS
        ):
            raise ValueError(
                f"FaultConfig.latency_seconds must be from 0 to {MAX_LATENCY_SECONDS} seconds"
            )
        delay = self.late_answer_delay
        if delay is not None and (
            not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_LATENCY_SECONDS
        ):
            raise ValueError(
                "FaultConfig.late_answer_delay must be None (no answer) or from 0 to "
                f"{MAX_LATENCY_SECONDS} seconds"
            )
        if not isinstance(self.replication_delay, (int, float)) or not (
            0 <= self.replication_delay <= MAX_REPLICATION_DELAY
        ):
            raise ValueError(
                f"FaultConfig.replication_delay must be from 0 to {MAX_REPLICATION_DELAY} seconds"
            )
        endpoints = self.late_answer_endpoints
        if isinstance(endpoints, str) or not all(isinstance(e, str) for e in endpoints):
            raise ValueError("FaultConfig.late_answer_endpoints must be a list of call names")
        object.__setattr__(self, "late_answer_endpoints", tuple(endpoints))
        limit = self.late_answer_limit
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValueError("FaultConfig.late_answer_limit must be None or >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"unknown fault field(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Faults:
    """Decides, per request, whether to inject a failure."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._streams = {
                name: random.Random(f"{config.seed}:{name}")
                for name in (
                    "upload",
                    "api503",
                    "auth503",
                    "api429",
                    "drop",
                    "test_upload",
                    "late",
                )
            }
            self._late_answers = 0

    def _draw(self, stream: str, rate: float) -> bool:
        if rate <= 0.0:
            return False
        with self._lock:
            return self._streams[stream].random() < rate

    def _unavailable(self, what: str) -> ApiError:
        return ApiError(
            503,
            "service_unavailable",
            f"injected fault: {what}",
            retry_after=self.config.retry_after,
        )

    def api_call(self) -> None:
        """JSON calls other than authorize: maybe 503 or 429."""
        config = self.config
        if self._draw("api503", config.api_503_rate):
            raise self._unavailable("api_503_rate")
        if self._draw("api429", config.api_429_rate):
            raise ApiError(
                429,
                "too_many_requests",
                "injected fault: api_429_rate",
                retry_after=config.retry_after,
            )

    def authorize(self) -> None:
        """``b2_authorize_account``: maybe 503 (B2 answers it too when busy)."""
        if self._draw("auth503", self.config.authorize_503_rate):
            raise self._unavailable("authorize_503_rate")

    def upload(self, test_modes: frozenset[str]) -> None:
        """Uploads of files and parts: maybe 503 (rate or fail_some_uploads)."""
        if self._draw("upload", self.config.upload_503_rate):
            raise self._unavailable("upload_503_rate")
        if TEST_MODE_FAIL_SOME_UPLOADS in test_modes and self._draw(
            "test_upload", self.config.fail_some_uploads_rate
        ):
            raise self._unavailable("X-Bz-Test-Mode fail_some_uploads")

    def late_answer(self, endpoint: str) -> bool:
        """Whether this successful ``endpoint`` call is answered late (or not at all)."""
        config = self.config
        if config.late_answer_rate <= 0.0 or (
            config.late_answer_endpoints and endpoint not in config.late_answer_endpoints
        ):
            return False
        with self._lock:
            if (
                config.late_answer_limit is not None
                and self._late_answers >= config.late_answer_limit
            ):
                return False
            if self._streams["late"].random() >= config.late_answer_rate:
                return False
            self._late_answers += 1
            return True

    def drop_connection(self) -> bool:
        return self._draw("drop", self.config.drop_connection_rate)

    def token_expired(self, uses: int, test_mode_uses: int) -> bool:
        """Whether a token used ``uses`` times (``test_mode_uses`` with the header) expired."""
        limit = self.config.expire_tokens_after_calls
        if limit is not None and uses > limit:
            return True
        if test_mode_uses:
            return test_mode_uses >= (limit or DEFAULT_TEST_MODE_TOKEN_USES)
        return False

    @staticmethod
    def cap_exceeded(test_modes: frozenset[str], code: str) -> None:
        if TEST_MODE_FORCE_CAP_EXCEEDED in test_modes:
            raise ApiError(403, code, "injected fault: X-Bz-Test-Mode force_cap_exceeded")
