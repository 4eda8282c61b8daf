"""django_b2: Backblaze B2 (native API) for Django.

Sub-packages:

* :mod:`django_b2.client` -- a B2 client with no Django import.
* :mod:`django_b2.storage` -- the Django storage backends.
* :mod:`django_b2.emulator` -- a local B2 server (standard library only).
"""

from __future__ import annotations

#: The distribution name on the package index (the import name stays ``django_b2``).
DISTRIBUTION = "django-b2-native"
__version__ = "0.1.0"
__all__ = ["DISTRIBUTION", "__version__"]
