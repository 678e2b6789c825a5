# Two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo-network.db
DEMO_REPORTS ?= demo-reports
PLUGINS := $(wildcard plugins/*/pyproject.toml)
TEST_PLUGINS := $(wildcard tests/plugins/*/pyproject.toml)

.PHONY: demo test soak bench lint clean reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/pip install --quiet -e . $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml $(PLUGINS) $(TEST_PLUGINS)
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS) $(TEST_PLUGINS),-e $(dir $(p)))
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python -m cpnetwork.demo --rebuild --reports $(DEMO_REPORTS) $(DEMO_DB)

# The documentation site (MkDocs + Material + mkdocstrings) into site/; any warning fails.
.PHONY: docs
$(VENV)/.installed-docs: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/pip install --quiet -e '.[docs]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $@

docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Test worker processes: the machines this is kept under 10 minutes on have two cores.
TEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --reliability-report=.reliability.json

soak: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=soak CPNETWORK_LATENCY_MEMBERS=250000 $(BIN)/pytest -q -n $(TEST_WORKERS)

# docs/reliability.md from the last `make test` (run it first).
reliability: $(VENV)/.installed-test
	$(BIN)/python tools/reliability_page.py .reliability.json

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf site $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_REPORTS) .pytest_cache .mypy_cache \
		.ruff_cache .hypothesis .reliability.json
