"""The running emulator's parts, shared by every request handler thread."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from .connections import ConnectionTable
from .counters import Counters
from .faults import FaultConfig, Faults
from .file_rules import MAX_SIMPLE_FILE_SIZE
from .state import State


@dataclass
class Emulator:
    state: State
    url: str
    recommended_part_size: int = 100_000_000
    absolute_minimum_part_size: int = 5_000_000
    max_simple_file_size: int = MAX_SIMPLE_FILE_SIZE
    initial_faults: FaultConfig = field(default_factory=FaultConfig)
    verbose: bool = False
    #: The per-run secret the admin endpoints require (header X-Emulator-Admin-Token).
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    connections: ConnectionTable = field(default_factory=lambda: ConnectionTable(limit=512))
    faults: Faults = field(init=False)
    counters: Counters = field(init=False)

    def __post_init__(self) -> None:
        self.faults = Faults(self.initial_faults)
        self.state.replication_delay = self.initial_faults.replication_delay
        self.counters = Counters()

    @property
    def scheme(self) -> str:
        return self.url.partition(":")[0]

    def set_faults(self, config: FaultConfig | dict[str, Any]) -> FaultConfig:
        if isinstance(config, dict):
            config = FaultConfig.from_dict(config)
        self.faults.configure(config)
        self.state.replication_delay = config.replication_delay
        return config

    def reset(self) -> None:
        """Forget all data except the master key; faults back to the start-up config."""
        self.state.reset()
        self.set_faults(self.initial_faults)
        self.counters.reset()
