"""``manage.py b2_direct_uploads``."""
