# shinchoku — `make help` lists the targets. Two commands matter on a fresh machine:
#   make demo   — install, migrate a SQLite database, create demo data, serve http://127.0.0.1:8000
#   make test   — install everything and run the whole suite on SQLite, PostgreSQL and Chromium
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PY := $(UV) run --locked python
PYTEST := $(UV) run --locked pytest
PG_URL ?= postgres://postgres@127.0.0.1:5432/shinchoku_test_$(shell date +%s)_$$$$
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: uv
uv: ## Install uv if missing (from PyPI, with the machine's Python)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv

.PHONY: install
install: uv ## Install Python dependencies from uv.lock
	@$(UV) sync --locked --quiet

APT_INSTALL = if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends

.PHONY: gettext
gettext: ## Install Debian gettext when missing (compiles the translation catalogues)
	@command -v msgfmt >/dev/null 2>&1 || { echo "installing: gettext"; $(APT_INSTALL) gettext >/dev/null; }

.PHONY: system-deps
system-deps: gettext ## Also install Debian chromium, Noto CJK fonts, pango (PDF) and pg_dump when missing (tests)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	for lib in libpango-1.0-0:libpango-1.0.so.0 libpangoft2-1.0-0:libpangoft2-1.0.so.0 libharfbuzz-subset0:libharfbuzz-subset.so.0; do \
	  /sbin/ldconfig -p 2>/dev/null | grep -q "$${lib#*:}" || missing="$$missing $${lib%%:*}"; \
	done; \
	command -v pg_dump >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; $(APT_INSTALL) $$missing >/dev/null; fi

.PHONY: messages
messages: gettext ## Compile translation catalogues (locale/*/LC_MESSAGES/*.mo)
	@$(PY) manage.py compilemessages --ignore=.venv -v0

.PHONY: demo
demo: install messages ## Migrate SQLite, create demo data, serve http://127.0.0.1:8000
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py createcachetable
	@$(PY) manage.py seed_demo
	@echo "→ http://$(HOST):$(PORT)/  (Ctrl-C で停止 / Ctrl-C to stop)"
	@$(PY) manage.py runserver $(HOST):$(PORT)

.PHONY: demo-code
demo-code: ## Print the current TOTP code of a demo account: make demo-code EMAIL=...
	@$(PY) manage.py demo_totp "$(EMAIL)"

.PHONY: serve
serve: install messages ## Serve with gunicorn (production-like; configure the environment first)
	@$(PY) manage.py collectstatic --noinput -v0
	@$(UV) run --locked gunicorn shinchoku.wsgi --bind $(HOST):$(PORT) --workers 3 --threads 4 --worker-class gthread

.PHONY: test
test: install system-deps messages ## Run the whole suite: SQLite, PostgreSQL, browser
	@$(PY) manage.py makemigrations --check --dry-run -v0 || (echo "models changed without a migration" && exit 1)
	@# SQLite and PostgreSQL side by side (they share no state: each has its own database and
	@# cache, Redis tests use keys of their own); each log is shown once both have ended.
	@mkdir -p test-artifacts
	@echo "== SQLite and PostgreSQL, side by side =="
	@$(PYTEST) -m "not browser" -q -p no:cacheprovider > test-artifacts/suite-sqlite.log 2>&1 & lite=$$!; \
	DATABASE_URL="$(PG_URL)" $(PYTEST) -m "not browser" -q -p no:cacheprovider > test-artifacts/suite-postgresql.log 2>&1; pg=$$?; \
	wait $$lite; sqlite=$$?; \
	echo "== SQLite =="; cat test-artifacts/suite-sqlite.log; \
	echo "== PostgreSQL =="; cat test-artifacts/suite-postgresql.log; \
	test $$sqlite -eq 0 && test $$pg -eq 0
	@echo "== Browser (Debian chromium) =="
	@$(PYTEST) -m browser -q

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy --strict
	@$(UV) run --locked ruff check .
	@$(UV) run --locked ruff format --check .
	@$(UV) run --locked mypy

.PHONY: fmt
fmt: install ## Format and autofix
	@$(UV) run --locked ruff format .
	@$(UV) run --locked ruff check --fix .

.PHONY: bench
bench: install ## Run the benchmarks under bench/ and update docs/benchmarks.md
	@if ls bench/*.py >/dev/null 2>&1; then for b in bench/bench_*.py; do $(PY) $$b || exit 1; done; else echo "no benchmarks yet"; fi
