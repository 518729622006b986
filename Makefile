# Two commands on a fresh machine: `make demo` and `make test` (each installs what it needs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint format clean

install: $(STAMP)

# Re-install whenever the dependency list or the lock changes. `ssot prepare` parses the dbt
# project once here, so no run pays for it (and Definitions load without a live parse).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/ssot prepare
	touch $(STAMP)

demo: install
	$(BIN)/ssot demo

test: install
	$(BIN)/python -m pytest

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
