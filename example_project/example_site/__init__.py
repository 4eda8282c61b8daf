"""The django_b2 example site (see ``docs/example.md``)."""
