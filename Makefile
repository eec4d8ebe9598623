# council: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COUNCIL_HOST ?= 127.0.0.1
COUNCIL_PORT ?= 8000
COUNCIL_WORKERS ?= 1
export COUNCIL_HOST COUNCIL_PORT COUNCIL_WORKERS

.PHONY: run test test-fast screenshots lint format migrate demo bench audit-deps messages clean

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python -m council database upgrade --no-prompt

demo: migrate
	$(BIN)/python -m council demo load

# exec: the shell gives way to the server, and no CLI process stays behind holding memory.
run: demo
	exec $(BIN)/python -m council.serve

# Every database test runs on SQLite and again on PostgreSQL (COUNCIL_TEST_POSTGRES_URL, or a
# throwaway cluster the test run starts when initdb is installed; in CI a missing server fails).
# One pytest-xdist worker per CPU; the run ends with its total time and its 20 slowest tests.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=20

test: $(STAMP)
	$(PYTEST)

# The quick loop while working: every test but the browser ones, on SQLite alone.
test-fast: $(STAMP)
	COUNCIL_TEST_ENGINES=sqlite $(PYTEST) -m "not browser"

# The browser tests on SQLite with a full-page screenshot of each page they check, written
# to test-artifacts/ for people to look at.
screenshots: $(STAMP)
	COUNCIL_SCREENSHOTS=1 COUNCIL_TEST_ENGINES=sqlite $(PYTEST) -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

audit-deps: $(STAMP)
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r requirements.lock

messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --sort-by-file -o council/locale/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
