# The README names two targets: `make run` (set up and start the product) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
LOG_DIR ?= var
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 \
	shared-mime-info fonts-noto-cjk gettext poppler-utils chromium

.PHONY: run serve test restore-drill system-packages venv setup demo lint format messages lock bench-import clean

system-packages:  ## Debian packages (only as root; skipped when all are present)
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Please install as root: apt-get install $$missing"; fi; \
	fi

# Exactly the versions and files of requirements-dev.lock (hash-checked, issue 14 §5), then the
# project itself without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps .
	@touch $@

# Regenerate both lock files from pyproject.toml (after changing a pin there): every version with
# the hashes of all its files on the index, for Linux and any other platform (--universal).
# UV_INDEX_URL names a mirror; the lock files keep no index URL. requirements-dev.lock is resolved
# within requirements.lock, so that the two never pin a package differently.
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --universal \
	--python-version 3.11 --custom-compile-command "make lock" --quiet
lock:  ## requirements.lock (the image) and requirements-dev.lock (developers, CI), with hashes
	@test -x $(VENV)/bin/uv || $(PY) -m pip install -q "$$(grep -o 'uv==[0-9.]*' pyproject.toml)"
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev --constraint requirements.lock -o requirements-dev.lock

venv: $(VENV)/.installed

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v 0

setup: system-packages venv messages
	@mkdir -p var/broker/queue var/broker/processed
	$(PY) manage.py migrate --noinput -v 0

demo: setup
	$(PY) manage.py demo_data $(if $(PASSWORD),--password $(PASSWORD))

run: demo  ## set up everything, then start web, Celery worker and beat
	@echo ""
	@echo "  双随机、一公开 — http://$(HOST):$(PORT)/   (后台 http://$(HOST):$(PORT)/admin/)"
	@echo ""
	@exec $(PY) manage.py runall --host $(HOST) --port $(PORT) --log-dir $(LOG_DIR)

# What `make run` starts once set up. Ctrl-C / SIGTERM stops each process once and waits for it
# (core/management/commands/runall.py); `exec`: make's child is the supervisor itself.
serve:  ## start web, Celery worker and beat without the set-up steps
	@exec $(PY) manage.py runall --host $(HOST) --port $(PORT) --log-dir $(LOG_DIR)

lint: venv  ## ruff, the format check, and the floors (lint-imports, docs/architecture.md)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: system-packages venv messages  ## checks, lint, format check, the whole suite (PostgreSQL when DATABASE_URL is set)
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The restore drill (issue 14 §6, docs/deployment.md §备份与恢复): the demo backed up, restored into a
# fresh database and media folder, every draw, filed archive and guard proven. Needs PostgreSQL
# (DATABASE_URL); `make test` runs it too.
restore-drill: venv messages
	$(VENV)/bin/pytest -q tests/core/test_backups.py -k restore_drill $(PYTEST_ARGS)

bench-import: venv
	$(PY) bench/import_registry.py

clean:
	rm -rf var/broker var/test-media
