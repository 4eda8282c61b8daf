"""django_b2: Backblaze B2 (native API) for Django.

Sub-packages:

* :mod:`django_b2.client` -- a B2 client with no Django import.
* :mod:`django_b2.storage` -- the Django storage backends.
* :mod:`django_b2.emulator` -- a local B2 server (standard library only).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
