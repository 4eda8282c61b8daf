"""Migrations of the direct-upload tickets."""
