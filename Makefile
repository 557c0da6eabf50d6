# Fixia. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export FIXIA_DATABASE_URL ?= sqlite+aiosqlite:///var/fixia.db

.PHONY: help venv run test test-fast test-stack lint typecheck fmt system-deps clean migrate \
	stack stack-down stack-status bench

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

venv: $(VENV)/.synced ## Create the virtualenv and install the locked dependencies

migrate: venv ## Apply migrations to the embedded database (var/fixia.db)
	$(BIN)/fixia db upgrade

run: venv ## Serve the demo marketplace on http://127.0.0.1:8000 (SQLite, demo data)
	$(BIN)/fixia serve --migrate --seed-demo --host 127.0.0.1 --port 8000

system-deps: ## Install the Debian packages the suite and the stack need (apt-get when root)
	./scripts/install-system-deps --stack

stack: venv ## Start the production-like stack (HAProxy :8080, PgBouncer, PostgreSQL, Redis) with demo data
	$(BIN)/fixiactl stack up --env dev

stack-status: venv ## Show each stack component with pid, port and health
	$(BIN)/fixiactl stack status --env dev

stack-down: venv ## Stop the dev stack (data stays under var/stack/dev)
	$(BIN)/fixiactl stack down --env dev

bench: venv system-deps ## Benchmark through HAProxy (wrk) on the bench stack; writes var/bench/ and the README table
	$(BIN)/fixiactl bench --env bench --readme --stop

lint: venv ## ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: venv ## mypy strict on src/
	$(BIN)/mypy src

test: venv system-deps ## Everything: lint, types, the suite on SQLite + PostgreSQL, then through the stack
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=85
	$(MAKE) --no-print-directory test-stack

test-stack: venv ## Functional + integration tests over HTTP through HAProxy → app → PgBouncer → PostgreSQL
	$(BIN)/pytest --stack -p no:xdist tests/functional tests/integration

test-fast: venv ## Unit and functional tests on SQLite only
	$(BIN)/pytest -k "not postgresql" -x -q

fmt: venv ## Format and autofix
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage

bench-deploy: venv ## Deploy timings on a throw-away stack under load → var/bench/deploy.json
	$(BIN)/pytest -p no:xdist -q tests/acceptance/delivery/test_deploys.py \
		-k "blue_green or three_step or failing_requests"
	@cat var/bench/deploy.json
