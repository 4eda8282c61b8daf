"""The ``b2_*`` management commands."""

from __future__ import annotations
