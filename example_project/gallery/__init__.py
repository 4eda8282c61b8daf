"""A small photo and file gallery kept in a private B2 bucket."""
