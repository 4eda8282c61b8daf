"""Management commands of the direct-upload app."""
