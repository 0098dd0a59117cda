# The commands people type. A fresh clone needs only Python 3.11+:
#   make run    everything starts (API, worker, Redis, SMTP sink) on embedded defaults
#   make test   the whole suite (PostgreSQL tests too, when PostgreSQL binaries exist)

# The first Python 3.11+ on the PATH (override with `make PYTHON=/path/to/python3.12`).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format migrate migrations schema bench lock clean

help:
	@echo "make run         start seatwise (API, worker, Redis, SMTP sink) with demo data"
	@echo "make test        run the whole test suite"
	@echo "make lint        ruff (lint and format check) and mypy"
	@echo "make format      format the code"
	@echo "make migrate     apply database migrations (DATABASE_URL, SQLite file by default)"
	@echo "make migrations  write a migration after changing models/"
	@echo "make schema      regenerate schema.graphql"
	@echo "make bench       run the benchmarks in bench/"
	@echo "make lock        re-resolve requirements.lock from pyproject.toml"

$(STAMP): requirements.lock
	@test -n "$(PYTHON)" || { echo "seatwise needs Python 3.11 or newer on the PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m app dev

test: venv
	$(PY) -m pytest $(ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: venv
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrate: venv
	$(PY) -m app migrate

migrations: venv
	$(PY) -m app migrations make $(if $(NAME),--name $(NAME),)

schema: venv
	$(PY) -m app schema export

bench: venv
	$(PY) -m bench

lock: venv
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
