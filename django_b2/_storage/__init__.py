"""The parts :class:`django_b2.storage.B2Storage` is made of, one job per module.

Each module holds one class that adds its job to the ones below it:

* :mod:`.bucket` -- ``Bucket``: the options, the client (built on first use) and the bucket id;
* :mod:`.names` -- ``Names``: storage names to B2 names, and picking an available name;
* :mod:`.reads` -- ``Reads``: one HEAD per name and second, existence, sizes, times, listings,
  URLs and opening files;
* :mod:`.uploads` -- ``Uploads``: sending content with its content type and file info;
* :mod:`.saves` -- ``Saves``: saving under a name of one's own (the save race) and server-side
  copies;
* :mod:`.deletes` -- ``Deletes``: deleting as the ``delete_policy`` option says.

``B2Storage`` (in :mod:`django_b2.storage`) is ``Saves`` and ``Deletes`` together, plus its
construction, pickling and ``repr``. Users import it from there; nothing else here is public.
"""
