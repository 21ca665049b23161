# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := app

.PHONY: run serve worker beat test lint format migrate seed clean bench fuzz install install-dev

# Two install steps: serving needs only requirements.txt (`make run`, `serve`, `worker`...);
# `make test`, `lint`, `fuzz` and `bench` add the dev set on top. Each step has its stamp, so
# `make test` after `make run` installs only the dev set. `make serve`, `make worker` and
# `make beat` started together on a fresh clone install once: the others wait on the lock
# (where flock exists) and find the work done.
INSTALL_LOCK := $(if $(shell command -v flock),flock $(VENV).lock,)

$(VENV)/.installed-run: requirements.txt
	@$(INSTALL_LOCK) sh -c '\
	  if [ -f $@ ] && [ $@ -nt requirements.txt ]; then exit 0; fi; \
	  set -e; echo "Installing the runtime set into $(VENV)"; \
	  if [ ! -x $(BIN)/python ]; then $(PYTHON) -m venv $(VENV); \
	    $(BIN)/pip install --quiet --upgrade pip; fi; \
	  $(BIN)/pip install --quiet -r requirements.txt; \
	  touch $@'

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	@$(INSTALL_LOCK) sh -c '\
	  if [ -f $@ ] && [ $@ -nt $(VENV)/.installed-run ] && [ $@ -nt requirements-dev.txt ]; then exit 0; fi; \
	  set -e; echo "Installing the dev set into $(VENV)"; \
	  $(BIN)/pip install --quiet -r requirements-dev.txt; \
	  touch $@'

install: $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

run: install migrate seed
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production-like, locally: gunicorn with gunicorn.conf.py (WEB_CONCURRENCY workers,
# GUNICORN_THREADS threads), APP_ENV=production, Prometheus multiprocess metrics. Secrets
# left unset are made up for this run (tokens then last until the next `make serve`). The
# database is the one `make migrate` used; with no PUBLIC_BASE_URL set, the http address
# served here, allowed by ALLOW_HTTP_PUBLIC_BASE_URL (production elsewhere requires https).
serve: install migrate seed
	APP_ENV=$${APP_ENV:-production} \
	DATABASE_URL="$$($(BIN)/python -c 'import config; print(config.database_url())')" \
	PUBLIC_BASE_URL="$$($(BIN)/python -c 'import config; print(config.Config.PUBLIC_BASE_URL or "http://$(HOST):$(PORT)")')" \
	ALLOW_HTTP_PUBLIC_BASE_URL=$${ALLOW_HTTP_PUBLIC_BASE_URL:-1} \
	SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')} \
	JWT_SECRET=$${JWT_SECRET:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')} \
	PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-instance/prometheus} \
	$(BIN)/gunicorn -c gunicorn.conf.py -b $(HOST):$(PORT) 'app:create_app()'

# Background jobs (docs/operations.md, "Background jobs"): needs CELERY_BROKER_URL or REDIS_URL.
# One process, a pool of CELERY_CONCURRENCY threads (the jobs wait on mail/file servers).
worker: install
	$(BIN)/celery -A make_celery worker --pool threads \
		--concurrency $${CELERY_CONCURRENCY:-4} --loglevel $${LOG_LEVEL:-INFO}

# The periodic jobs (tasks.BEAT_SCHEDULE). Run exactly one beat per deployment.
beat: install
	$(BIN)/celery -A make_celery beat --schedule instance/celerybeat-schedule \
		--loglevel $${LOG_LEVEL:-INFO}

migrate: install
	$(BIN)/flask db upgrade

seed: install
	$(BIN)/flask seed

# All cores by default (PYTEST_ARGS overrides, e.g. PYTEST_ARGS="-n 2" or a single file),
# with line + branch coverage of the application layers (pyproject.toml, [tool.coverage]);
# the run (CI included) fails under COV_FLOOR percent, set a couple of points under the
# 96.6 % measured when it was introduced. COV_ARGS= runs without coverage.
PYTEST_ARGS ?= -n auto
COV_FLOOR ?= 94
COV_ARGS ?= --cov --cov-report=term:skip-covered --cov-fail-under=$(COV_FLOOR)

test: install-dev
	$(BIN)/pytest $(COV_ARGS) $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark, then bench/RESULTS.md from the figures they recorded (bench/results.py);
# BENCH_QUICK=1 checks the chain in a few minutes (its figures mean nothing). A benchmark that
# fails does not stop the others: RESULTS.md names it and make fails at the end.
bench: install-dev
	@results="$${BENCH_RESULTS_DIR:-instance/bench-results}"; rm -rf "$$results"; \
	failed=""; started=$$(date +%s); \
	for name in login_latency api_latency http_overhead image_pipeline guest_page admin_stats; do \
		echo "== bench.$$name"; \
		BENCH_RESULTS_DIR="$$results" $(BIN)/python -m bench.$$name || failed="$$failed $$name"; \
	done; \
	BENCH_RESULTS_DIR="$$results" $(BIN)/python -m bench.results "make bench" || failed="$$failed report"; \
	echo "make bench: $$(( $$(date +%s) - started )) s"; \
	if [ -n "$$failed" ]; then echo "make bench: failed:$$failed" >&2; exit 1; fi

# Contract fuzzing with 25 examples per operation (the suite runs 3); FUZZ_SEED=... another seed.
fuzz: install-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} $(BIN)/pytest -q -p no:logging --show-capture=no tests/test_contract_fuzz.py

clean:
	rm -rf $(VENV) $(VENV).lock .pytest_cache .ruff_cache .coverage .coverage.* htmlcov .import_linter_cache
