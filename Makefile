# Two commands on a fresh machine: `make demo` and `make test` (each installs what it needs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench ui lint format clean

MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune -o -type f -print)

install: $(STAMP) $(MANIFEST)

# Re-install whenever the dependency list or the lock (constraints.txt: the versions CI tested)
# changes.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# dbt is parsed once here, not in every run: Dagster loads the graph from this manifest.
$(MANIFEST): $(STAMP) $(DBT_FILES)
	$(BIN)/ssot contracts check
	$(BIN)/ssot prepare

demo: install
	$(BIN)/ssot demo

test: install
	$(BIN)/python -m pytest

# The Dagster UI on the same instance (run history, pool limit) as `ssot run` and `make demo`.
ui: install
	$(BIN)/python -c "from orchestration.settings import export_environment; export_environment()"
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/data/dagster_home} $(BIN)/dagster dev -w workspace.yaml

bench: install
	$(BIN)/ssot bench --scale $${SCALE:-S}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
