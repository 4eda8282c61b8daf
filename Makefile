# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.12 python3.13 python3.11 python3.10 python3; do \
	if $$p -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
PYTEST_INTEGRATION_ARGS ?=

.PHONY: venv test demo lint typecheck bench emulator clean

$(STAMP): pyproject.toml
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
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .emulator-data .pytest_cache
