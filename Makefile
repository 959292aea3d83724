# Two commands: `make up` runs memberflow on its embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint install clean

up: $(STAMP)
	$(BIN)/memberflow up

test: $(STAMP)
	bash tests/run.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	# GrowthBook's stats engine, the reference the A/B statistics are tested against; it pins pandas < 2, which it
	# does not need for the tests used, so it goes in without its dependencies (numpy and scipy are already here).
	$(BIN)/python -m pip install --quiet --no-deps gbstats==0.8.0
	touch $(STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
