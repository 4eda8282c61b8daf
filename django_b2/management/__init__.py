"""Management commands for django_b2 and the small helpers they share.

* :mod:`.base` -- :class:`B2Command`: subcommands, shared options, storage lookup, B2 errors.
* :mod:`.errors` -- B2 errors turned into messages that say what to do.
* :mod:`.output` -- aligned tables, ``key: value`` blocks and JSON.
* :mod:`.arguments` -- argparse types (``K=V``, capability lists, numbers) and rule-file loading.
* :mod:`.progress` -- optional tqdm progress bars.
"""

from __future__ import annotations
