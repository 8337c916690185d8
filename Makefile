# Two commands do the whole set-up: `make run` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test test-fast lint install study seeds truth clean-outputs

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	# torch pinned first: the CPU wheel where one is provided locally, the platform's build elsewhere
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

# tests, lint and the study also need the launcher / Optuna plugins and pytest
$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

## run the main job (SPD on TMS 5-2); extra arguments: make run ARGS="experiment=spd_tms_40_10"
run: $(STAMP)
	$(PY) run.py $(ARGS)

## the reduced SPD-vs-APD robustness study on TMS 5-2 (parallel jobs, then the sweep summary)
study: $(DEV_STAMP)
	$(PY) scripts/robustness_study.py $(ARGS)

## SPD's success rate over seeds on the paper's toys (seed sweeps, then the success table)
seeds: $(DEV_STAMP)
	$(PY) scripts/seed_study.py $(ARGS)

## every method against planted ground truth, one table (ARGS=--reduced: seed 0, short budgets)
truth: $(DEV_STAMP)
	$(PY) scripts/ground_truth_study.py $(ARGS)

## the whole test suite, slow acceptance runs included
test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## everything but the slow acceptance runs
test-fast: $(DEV_STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

## ruff, the import layers (pyproject's [tool.importlinter]) and the type check of src/
lint: $(DEV_STAMP)
	$(PY) -m ruff check src tests scripts benchmarks run.py
	$(PY) -m ruff format --check src tests scripts benchmarks run.py
	$(VENV)/bin/lint-imports
	$(PY) -m mypy src/subnetlab

clean-outputs:
	rm -rf outputs
