# mlinfra: the two commands of the README are `make demo` and `make test`; both build the venv if needed.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
EXTRAS ?= all,dev,torch

.PHONY: setup demo test test-fast lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	bash .ci/install-emulators.sh
	@if [ -f .ci/install-actionlint.sh ]; then bash .ci/install-actionlint.sh; fi
	touch $@

# Package the sample model, publish it to the local artifact store, plan the dev stack offline.
demo: setup
	$(PY) examples/iris/build.py --out .mlinfra/build/iris
	$(BIN)/mlinfra publish .mlinfra/build/iris --store file://.mlinfra/artifacts
	$(BIN)/mlinfra plan --stack dev --out .mlinfra/plan-dev.json

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

test-fast: setup
	$(BIN)/pytest -n 2 -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(PY) benchmarks/packaging.py
	$(PY) benchmarks/plan_scale.py

clean:
	rm -rf .mlinfra .pytest_cache
