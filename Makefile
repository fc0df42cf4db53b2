# Reforge — the two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= .reforge/reforge.duckdb
FIRMS ?= 20000
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export SPARK_LOCAL_IP := 127.0.0.1

.PHONY: venv install run test test-all test-fast lint bench demo clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed
install: venv

# built under a temporary name and moved into place, so an interrupted build is not mistaken for a database
$(DB): | $(VENV)/.installed
	rm -f $(DB).building $(DB).building.wal
	$(BIN)/reforge demo --firms $(FIRMS) --seed 7 --realism --db $(DB).building
	$(BIN)/reforge credit train --db $(DB).building
	mv $(DB).building $(DB)

demo: $(DB)

## make run: venv + install + demo database (if absent) + demo accounts + dashboard/API on 127.0.0.1
run: $(VENV)/.installed $(DB)
	$(BIN)/reforge status --db $(DB)
	$(BIN)/reforge demo-accounts --db $(DB) --url http://$(HOST):$(PORT)/
	$(BIN)/reforge serve --host $(HOST) --port $(PORT) --db $(DB)

## make test: venv + install + the whole test suite (DuckDB, Spark, API, browser, Spark cluster)
## in two pytest-xdist workers, a test file per worker at a time (module fixtures such as a
## running server or a Spark session are built once per file), in collection order (tests/conftest.py
## puts the longest files first; xdist would otherwise start the files with most tests first);
## TEST_WORKERS=0 runs serially. The Spark standalone cluster (tests/cluster, marker `cluster`) runs
## here; `make test-fast` skips it. Tests marked `extended` (Spark parity and planted effects on whole
## demo provinces) are left to `make test-all`: the rest of the suite covers their logic at a smaller
## scale, and they would take CI past its 20 minutes
TEST_WORKERS ?= 2
PYTEST_XDIST = -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25
test: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q $(PYTEST_XDIST) -m "not extended" tests

## make test-all: everything, the extended checks included (a few more minutes on 2 cores)
test-all: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q $(PYTEST_XDIST) tests

test-fast: $(VENV)/.installed
	$(BIN)/pytest -q -m "not spark and not browser and not slow" tests

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench

## make bench: benchmarks against named peers, printing ratios (sizes via env, see bench/README.md)
bench: $(VENV)/.installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .reforge .pytest_cache
