# Two commands for a new machine: `make demo` and `make test`. Both create .venv when needed.
# `make demo` installs the runtime dependencies only (what a service lead needs), at the newest versions
# pyproject.toml allows; `make test`, `make lint` and `make bench` add the development extras and install
# everything at the versions pinned in constraints.txt (the set CI tests: DEVELOPMENT.md, "Pinned test
# environment"), so a test run's outcome depends on the commit, not on the day it runs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CP     := $(VENV)/bin/capacity-planner
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
CONSTRAINTS := constraints.txt
OUT    ?= out/demo
# pytest-xdist workers for `make test`/`make test-fast` (auto: one per core); files are kept whole on one
# worker (--dist loadfile), so a module's fixtures are built once.
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

.PHONY: demo test test-fast test-floors lint bench clean venv constraints screenshots

venv: $(STAMP)

$(RUNTIME_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e .
	@touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP) $(CONSTRAINTS)
	@$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev,dask]"
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev,dask,bench]"
	@touch $(BENCH_STAMP)

demo: $(RUNTIME_STAMP)
	@$(CP) demo --out $(OUT)

test: $(STAMP)
	$(PYTEST) --durations=15

test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

# The oldest runtime versions pyproject.toml allows (constraints-floor.txt), in their own venv: the
# command-line and API tests, so the declared floors stay true (issue 12 item 7).
FLOOR_VENV := .venv-floor
test-floors:
	@test -x $(FLOOR_VENV)/bin/python || $(PYTHON) -m venv $(FLOOR_VENV)
	@$(FLOOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	@$(FLOOR_VENV)/bin/python -m pip install --quiet -c constraints-floor.txt -e ".[dev]"
	$(FLOOR_VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -p no:cacheprovider \
		tests/test_cli.py tests/test_api.py tests/test_demand_forecast.py tests/test_report_excel.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py

# Refresh the pins after upgrading the venv on purpose (pip install -U ...) and a passing `make test`.
constraints:
	@{ sed -n '/^#/p' $(CONSTRAINTS); $(PY) -m pip freeze --exclude-editable; } > $(CONSTRAINTS).new
	@mv $(CONSTRAINTS).new $(CONSTRAINTS)

clean:
	rm -rf out build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .venv-floor

# The sample's pages in headless Chromium (apt-get install chromium), for the README: docs/screenshots/*.png.
screenshots: $(STAMP)
	@$(PY) docs/screenshots/make_screenshots.py
