"""A local Backblaze B2 (native API) emulator: a real HTTP server, standard library only.

``EmulatorServer`` runs it in a thread; ``python -m django_b2.emulator`` runs it from a shell;
the pytest plugin (``django_b2.emulator.pytest_plugin``) gives tests ``b2_emulator`` fixtures.
"""

from __future__ import annotations

from .counters import transaction_class
from .faults import FaultConfig
from .server import EmulatorServer

__all__ = ["EmulatorServer", "FaultConfig", "transaction_class"]
