# Everything installs from scratch into .venv; `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench screenshots serve clean

install: $(STAMP)

$(STAMP): pyproject.toml .ci/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hitl-tui needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c .ci/constraints.txt -e '.[test]'
	$(BIN)/python -m compileall -q hitl_tui
	@touch $@

run: install
	$(BIN)/hitl-tui

serve: install
	$(BIN)/hitl-tui serve

test: install
	$(BIN)/ruff check hitl_tui tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2

lint: install
	$(BIN)/ruff check hitl_tui tests benchmarks
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m benchmarks.run

screenshots: install
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
