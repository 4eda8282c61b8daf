"""Suite-wide fixtures.

The emulator fixtures (``b2_emulator_server``, ``b2_emulator``) come from the opt-in pytest plugin
``django_b2.emulator.pytest_plugin``, loaded here exactly as a user's project would load it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing-based hypothesis checks fail spuriously on a loaded 2-core CI machine; correctness is
# what these properties check, speed lives in benchmarks/.
settings.register_profile(
    "django_b2",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("django_b2")

pytest_plugins = ["django_b2.emulator.pytest_plugin"]

REQUIRE_SERVICES = os.environ.get("DJANGO_B2_REQUIRE_SERVICES") == "1"

#: tests/integrations run in a pytest session of their own, with these settings (``make test``
#: runs it after the main suite): Wagtail and the other packages stay out of the main suite.
INTEGRATION_SETTINGS = "tests.integrations.settings"
_INTEGRATIONS = Path(__file__).parent / "integrations"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With the integration settings collect only tests/integrations, without them skip it."""
    inside = collection_path == _INTEGRATIONS or _INTEGRATIONS in collection_path.parents
    if os.environ.get("DJANGO_SETTINGS_MODULE") == INTEGRATION_SETTINGS:
        above = collection_path in _INTEGRATIONS.parents
        return None if inside or above else True
    return True if inside else None


def pytest_report_header() -> str:
    import django

    return f"django_b2 suite: Python {sys.version.split()[0]}, Django {django.get_version()}"


def require_binary(name: str, why: str) -> str:
    """Return the path of ``name`` or skip (fail in CI) saying what is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({why}); install it with: apt-get install {name}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return path
