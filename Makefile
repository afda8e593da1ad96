# Two commands for a new machine: `make demo` and `make test`. Both create .venv when needed.
# `make demo` installs the runtime dependencies only (what a service lead needs); `make test`, `make lint`
# and `make bench` add the development extras on top.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CP     := $(VENV)/bin/capacity-planner
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
OUT    ?= out/demo

.PHONY: demo test test-fast lint bench clean venv

venv: $(STAMP)

$(RUNTIME_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e .
	@touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	@$(PY) -m pip install --quiet -e ".[dev,dask]"
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet -e ".[dev,dask,bench]"
	@touch $(BENCH_STAMP)

demo: $(RUNTIME_STAMP)
	@$(CP) demo --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf out build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
