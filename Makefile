# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
# The newest supported Python first (Django 6.x needs 3.12+); pyenv's versions are found too.
PY_VERSIONS ?= 3.12 3.13 3.11 3.10
PYTHON ?= $(shell sh scripts/find_python.sh $(PY_VERSIONS))
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
PYTEST_INTEGRATION_ARGS ?=

.PHONY: venv test demo lint typecheck bench emulator dist docs docs-serve clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python >= 3.10 found (tried $(PY_VERSIONS)); pass PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## make test: create the venv, install everything, run the whole suite, then tests/integrations
## (Wagtail, imagekit, thumbnails, DRF, django-cleanup) in a session with their own settings.
test: venv
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/pytest --ds=tests.integrations.settings $(PYTEST_INTEGRATION_ARGS)

## make demo: the example project on the embedded emulator.
demo: venv
	$(BIN)/python example_project/demo.py

## make emulator: only the local B2 emulator, data kept in .emulator-data/.
emulator: venv
	$(BIN)/python -m django_b2.emulator --data-dir .emulator-data

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check django_b2 tests

typecheck: venv
	$(BIN)/mypy

bench: venv
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/run_all.py

## make docs: the documentation site, built into site/ (warnings are errors).
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

## make docs-serve: the documentation site with live reload on http://127.0.0.1:8001/.
docs-serve: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

## make dist: build the sdist and the wheel into dist/ and check their metadata.
dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist . >/dev/null
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .venv-* .emulator-data .pytest_cache dist site
