# Tandem: `make run` starts the product, `make test` runs the whole suite.
# Both work on a fresh clone with only Python 3.11, pip and Node/npm.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# extra pytest arguments, e.g. `make test PYTEST_ARGS="-n 2 -x"`
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev lint fmt migrate seed check-deploy schema bench-quick clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (looked for $(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime node_modules/.installed
install-dev: $(VENV)/.dev node_modules/.installed

## run: install, migrate, collect static, load demo data, start web + worker + beat
run: install
	mkdir -p var/celery
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "Tandem is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	TANDEM_HOST=$(HOST) TANDEM_PORT=$(PORT) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

## test: install what tests need and run the whole suite (browser tests in their own run)
# pytest exits 5 when it collects no test, which fails make like any failure;
# -ra (pyproject) lists every skip; REQUIRE_SERVICES=1 turns a skip into a failure.
test: install-dev
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=test $(BIN)/pytest tests --ignore=tests/browser $(PYTEST_ARGS)
	DJANGO_ENV=test $(BIN)/python -m tests.browser.run_if_possible

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy:
	DJANGO_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  ALLOWED_HOSTS=tandem.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

schema:
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

BENCHMARKS := matching cohort trust_recompute trust_quality dashboard routing_sim ws_roundtrip ws_fanout ws_fault

## bench-quick: every benchmark's --quick run (needs DATABASE_URL/REDIS_URL for most)
bench-quick:
	for b in $(BENCHMARKS); do $(BIN)/python bench/$$b.py --quick || exit 1; done

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3*
