# Jeugdstem: `make demo` runs the site on http://localhost:8000, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test lint check audit pytest pytest-embedded pytest-services system-deps messages bench bench-pages bench-polls clean bench-insights bench-faults

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "Jeugdstem runs on http://localhost:$(PORT)  (admin: http://localhost:$(PORT)/beheer/, stop with Ctrl+C)"
	DEBUG=0 PYTHONPATH=site $(BIN)/daphne -b $(HOST) -p $(PORT) --access-log /dev/null config.asgi:application

serve: install
	PYTHONPATH=site $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

system-deps:
	bash .ci/system-packages.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

# Known vulnerabilities in requirements.lock: fails on one with a released fix; an unreachable
# advisory database is reported as "not checked", not fatal.
audit: install
	$(BIN)/python scripts/audit_dependencies.py

# The whole suite twice, side by side on the two cores: on the embedded default (SQLite,
# in-memory layer) and on throwaway PostgreSQL and Redis servers that the test run starts
# itself. -Otarget prints each pass's output in one piece when it ends.
pytest: install
	$(MAKE) --no-print-directory -j2 -Otarget pytest-embedded pytest-services

pytest-embedded: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest

pytest-services: install
	DJANGO_SETTINGS_MODULE=config.settings.test JEUGDSTEM_SERVICES=1 $(BIN)/python -m pytest

test: system-deps lint check audit pytest

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=build --ignore="templates/wagtailadmin/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: bench-pages bench-polls bench-insights bench-faults

bench-pages: install
	$(BIN)/python bench/pages.py

bench-polls: install
	$(BIN)/python bench/polls.py

bench-insights: install
	$(BIN)/python bench/insights.py

bench-faults: install
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) var artifacts .pytest_cache .ruff_cache
