# arshield: every command a person runs. Quick start: `make demo`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := var/arshield.db
DEMO_COMPANIES ?= 2000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
CC_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/arshield_bench_cc

.PHONY: help install demo serve test test-pg lint format bench migrate clean

help:
	@echo "make demo   - create .venv, install, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test   - run the whole suite (PostgreSQL too when ARSHIELD_TEST_DATABASE_URL is set)"
	@echo "make test-pg - run the suite on SQLite and on the local PostgreSQL"
	@echo "make lint   - ruff, format check, mypy strict, import-linter, alembic check"
	@echo "make bench  - benchmarks; results go to BENCHMARKS.md by hand"
	@echo "make serve  - serve the API on the configured database"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/arshield db upgrade

demo: $(STAMP)
	$(BIN)/arshield demo setup --companies $(DEMO_COMPANIES) --seed 7
	$(BIN)/arshield serve --host 127.0.0.1 --port 8000

serve: $(STAMP)
	$(BIN)/arshield db upgrade
	$(BIN)/arshield serve

test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider

test-pg: $(STAMP)
	ARSHIELD_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/ruff format --check src tests benchmarks migrations
	$(BIN)/mypy
	$(BIN)/lint-imports
	ARSHIELD_DATABASE_URL=sqlite:///$$(mktemp -d)/check.db bash -c '$(BIN)/arshield db upgrade >/dev/null && $(BIN)/arshield db check'

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks migrations
	$(BIN)/ruff format src tests benchmarks migrations

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/workbench.py --runs 3
	$(BIN)/python benchmarks/credit_check.py --skip-if-unreachable --database-url $(CC_BENCH_URL)

clean:
	rm -rf var/*.db build dist .pytest_cache .mypy_cache .ruff_cache
