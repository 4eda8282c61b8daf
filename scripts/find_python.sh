#!/bin/sh
# Print the path of the first working Python among the versions given (e.g. 3.12 3.13 3.11 3.10).
# Looks on PATH first, then in pyenv's versions directory (whose shims fail for versions that are
# installed but not selected), so `make` finds the same interpreters with or without pyenv.
for version in "$@"; do
    for candidate in "python$version" \
        "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/"$version"*/bin/"python$version"; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
            command -v "$candidate" 2>/dev/null || echo "$candidate"
            exit 0
        fi
    done
done
echo "no Python among: $* (install one, or pass PYTHON=/path/to/python)" >&2
exit 1
