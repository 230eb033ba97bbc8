# The two commands a newcomer needs are `make run` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run setup test test-pg lint format clean system-deps

run: setup
	$(BIN)/python -m deploy.dev.run

# Idempotent: re-running reuses the virtual environment unless requirements changed.
setup: $(STAMP) node_modules/.bin/configurable-http-proxy

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pybabel compile -q -d lms/translations 2>/dev/null || true
	touch $(STAMP)

node_modules/.bin/configurable-http-proxy: package.json
	npm install --no-audit --no-fund --silent
	touch $@

# Debian packages the sandbox and the browser tests need (root or sudo).
system-deps:
	bash deploy/dev/system-deps.sh

# Two pytest-xdist workers by default (about 10 min instead of 15+ on 2 cores); pass
# PYTEST_ARGS to choose tests (then it runs in one process unless you add -n).
PYTEST_ARGS ?= -n 2

test: setup
	$(BIN)/pybabel compile -q -d lms/translations 2>/dev/null || true
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules instance var
