# Fixia. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export FIXIA_DATABASE_URL ?= sqlite+aiosqlite:///var/fixia.db

.PHONY: help venv run test test-fast test-stack test-e2e test-acceptance lint typecheck fmt system-deps \
	clean migrate patroni-venv stack stack-down stack-status stack-monitoring bench bench-web bench-media bench-streams bench-canary bench-aa bench-dr bench-dr-crash bench-ha bench-ha-reads soak slo \
	npm-deps i18n screenshots gates gates-fast

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

venv: $(VENV)/.synced ## Create the virtualenv and install the locked dependencies

migrate: venv ## Apply migrations to the embedded database (var/fixia.db)
	FIXIA_ENV=development $(BIN)/fixia db upgrade

run: venv ## Serve the demo marketplace on http://127.0.0.1:8000 (SQLite, demo data)
	FIXIA_ENV=development FIXIA_PAYMENTS__SANDBOX_CHECKOUT=true \
		$(BIN)/fixia serve --migrate --seed-demo --host 127.0.0.1 --port 8000

system-deps: ## Install the Debian packages the suite and the stack need (apt-get when root)
	./scripts/install-system-deps --stack
	$(MAKE) --no-print-directory patroni-venv

# Patroni runs as postgres, which cannot execute the pyenv python under root's home: its venv
# is built with Debian's own python3 where postgres can read it (fixiactl stack up --ha).
PATRONI_VENV ?= /opt/fixia/patroni-venv
PATRONI_VERSION = 4.1.5

patroni-venv: ## Patroni's venv for `stack up --ha` (Debian's python3, readable by postgres; idempotent)
	@if [ "$$(id -u)" -ne 0 ]; then echo "patroni-venv: not root, skipped (stack up --ha needs it)"; \
	elif [ -x $(PATRONI_VENV)/bin/patroni ] && $(PATRONI_VENV)/bin/patroni --version | grep -q " $(PATRONI_VERSION)$$"; then :; \
	else /usr/bin/python3 -m venv $(PATRONI_VENV) && \
		$(PATRONI_VENV)/bin/pip install --quiet "patroni[etcd3,psycopg3]==$(PATRONI_VERSION)" && \
		chmod -R a+rX $(PATRONI_VENV); fi

stack: venv ## Start the production-like stack (HAProxy :8080, PgBouncer, PostgreSQL, Redis) with demo data
	$(BIN)/fixiactl stack up --env dev

stack-status: venv ## Show each stack component with pid, port and health
	$(BIN)/fixiactl stack status --env dev

stack-down: venv ## Stop the dev stack (data stays under var/stack/dev)
	$(BIN)/fixiactl stack down --env dev

bench: venv system-deps ## Benchmark through HAProxy (wrk) on the bench stack; writes var/bench/ and the README table
	$(BIN)/fixiactl bench --env bench --readme --stop
	$(MAKE) --no-print-directory bench-media
	$(MAKE) --no-print-directory bench-streams
	$(MAKE) --no-print-directory bench-canary

lint: venv ## ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: venv ## mypy strict on src/
	$(BIN)/mypy src

test: venv system-deps npm-deps ## Everything: lint, types, the suite on SQLite (+ PostgreSQL in process where HTTP cannot reach), the suite on PostgreSQL through the stack, the browser, the ops scenarios
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=85 --postgres-for=inprocess --durations=15 \
		--ignore=tests/e2e --ignore=tests/acceptance --ignore=tests/chaos
	$(MAKE) --no-print-directory test-stack test-e2e test-acceptance

test-stack: venv ## Functional + integration tests over HTTP through HAProxy → app → PgBouncer → PostgreSQL
	$(BIN)/pytest --stack -p no:xdist --durations=10 tests/functional tests/integration

test-acceptance: venv system-deps ## Ops scenarios, each on its own throw-away stack: monitoring, backups/DR, deploys; then chaos
	$(BIN)/pytest -p no:xdist --durations=25 tests/acceptance tests/chaos

test-fast: venv ## Unit and functional tests on SQLite only
	$(BIN)/pytest -k "not postgresql" -x -q

fmt: venv ## Format and autofix
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage

slo: venv ## Regenerate SLO rules, their promtool tests and the Grafana dashboards (deploy/)
	$(BIN)/fixiactl slo generate

stack-monitoring: venv ## Start the dev stack with Prometheus :7405, Alertmanager :7406 and exporters
	$(BIN)/fixiactl stack up --env dev --monitoring

soak: venv system-deps ## 10 min of mixed load on a throw-away stack: app RSS growth and errors (var/bench/soak-*)
	$(BIN)/python -m tests.chaos.soak --duration $(or $(DURATION),600)

npm-deps: ## Install the pinned JavaScript tools (axe-core for the accessibility check) with npm ci
	npm ci --no-audit --no-fund

i18n: venv ## Re-extract the web UI's strings and merge them into the catalogs (.po; .mo is built at startup)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d src/fixia/web/locale -D messages --no-fuzzy-matching

test-e2e: venv npm-deps ## Browser tests: Playwright drives Debian's Chromium through the marketplace
	$(BIN)/pytest -p no:xdist tests/e2e

screenshots: venv ## Desktop and mobile screenshots of the main pages into docs/screenshots/
	$(BIN)/python scripts/web-screenshots

bench-web: venv ## Server render time per page at demo scale (p50/p95) into var/bench/web_render.{json,md}
	$(BIN)/python benchmarks/web_render.py --rounds 200

bench-media: venv ## Media: a 3 MP JPEG from upload to ready variants vs Pillow directly, peak memory; var/bench/media.{json,md}
	$(BIN)/python benchmarks/media.py --rounds 20

bench-streams: venv system-deps ## Streams: memory per idle stream, delivery p50/p99 across slots (200 msg/s, 2,000 streams), read mix with/without them; var/bench/streams.{json,md}
	$(BIN)/fixiactl bench --env bench --streams --stop

bench-ha: venv system-deps ## HA failover: kill -9 of the Patroni leader under 50 writes/s, 5 runs, p50/max of writes-again; var/bench/ha.{json,md}
	$(BIN)/fixiactl stack up --env habench --ha
	$(BIN)/fixiactl bench --ha --env habench --runs 5; rc=$$?; \
		$(BIN)/fixiactl stack down --env habench --yes; exit $$rc

bench-ha-reads: venv system-deps ## Search reads via HAProxy's primary vs replica route, 1 and 4 connections, idle and under writes; var/bench/ha-reads.{json,md}
	$(BIN)/fixiactl stack up --env habench --ha
	$(BIN)/fixiactl bench --ha-reads --env habench; rc=$$?; \
		$(BIN)/fixiactl stack down --env habench --yes; exit $$rc

bench-dr-crash: venv system-deps ## 20 crash drills (SIGKILL + data dir lost, under writes): RPO of the WAL stream, RTO p50/p95 of 1 GB; var/bench/dr-crash-*
	$(BIN)/fixiactl stack up --env drbench
	$(BIN)/fixiactl dr bench --env drbench --size-mb 1024 --crashes 20; rc=$$?; \
		$(BIN)/fixiactl stack down --env drbench; exit $$rc

bench-canary: venv ## Canary analysis replayed from recorded A/A request streams: false-rollback rate, detection times; var/bench/canary.{json,md}
	$(BIN)/fixiactl bench --canary --runs 400

bench-aa: venv system-deps ## 10 A/A deploys (HEAD over itself) on a throw-away stack: real false rollbacks, streams; var/bench/aa.*
	$(BIN)/fixiactl bench --aa 10

bench-dr: venv system-deps ## DR benchmark: RTO of a 1 GB database incl. app readiness, RPO under writes; var/bench/dr-*
	$(BIN)/fixiactl stack up --env drbench
	$(BIN)/fixiactl dr bench --env drbench --size-mb 1024; rc=$$?; \
		$(BIN)/fixiactl stack down --env drbench; exit $$rc

gates: venv ## Every quality gate as CI runs it (slow: semgrep, checkov, coverage, PG migrations, SBOM, perf); summary table
	$(BIN)/fixiactl gates

gates-fast: venv ## Only the fast gates (they also run inside make test via tests/gates)
	$(BIN)/fixiactl gates --fast

.PHONY: test-security
test-security: venv ## OWASP API Top 10, audit log, secrets and schemathesis fuzzing (in process)
	$(BIN)/pytest -p no:xdist tests/functional/security tests/functional/fuzz -q

bench-deploy: venv ## Deploy timings on a throw-away stack under load → var/bench/deploy.json
	$(BIN)/pytest -p no:xdist -q tests/acceptance/delivery/test_deploys.py \
		-k "blue_green or three_step or failing_requests"
	@cat var/bench/deploy.json

.PHONY: ansible-chroot
ansible-chroot: venv ## Apply deploy/ansible to a debootstrap Debian 12 rootfs via chroot (root; ~7 min; ROOTFS=dir reuses one)
	./scripts/ansible-chroot-apply $(ROOTFS)
