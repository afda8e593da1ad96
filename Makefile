# Two commands for a new machine: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CP     := $(VENV)/bin/capacity-planner
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
OUT    ?= out/demo

.PHONY: demo test test-fast lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev,dask]"
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet -e ".[dev,dask,bench]"
	@touch $(BENCH_STAMP)

demo: $(STAMP)
	@$(CP) validate
	@$(CP) plan --out $(OUT) --time-limit 30

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
