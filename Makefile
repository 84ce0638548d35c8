# Two commands do everything on a fresh machine:
#   make run   install, build the default index of the bundled corpus if missing, open the chat app
#   make test  install, run the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
INDEX  ?= default

.PHONY: install index run test test-fast lint bench clean

install: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first, so that nothing pulls CUDA packages.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

index: install
	@test -f indexes/$(INDEX)/manifest.json || $(BIN)/rag-council ingest --index $(INDEX)

run: index
	$(BIN)/rag-council serve --index $(INDEX)

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check rag_council app evals tests bench
	$(BIN)/ruff format --check rag_council app evals tests bench

bench: install
	$(BIN)/python bench/ingest_query.py

clean:
	rm -rf $(VENV) indexes/*/ .pytest_cache
