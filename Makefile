# policywatch — two commands on a fresh machine with Python 3.11+ and make:
#   make demo   set up .venv and run the offline demo
#   make test   set up .venv and run the whole test suite (+ the import-direction check)
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint bench clean help

help:
	@echo "make demo   - install into .venv and run the offline demo"
	@echo "make test   - install into .venv and run the test suite"
	@echo "make lint   - check that packages import one way only"
	@echo "make bench  - print the benchmark figures"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "policywatch needs Python 3.11 or newer (python3.11, python3.12, python3.13 or python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,postgres,distributed]'
	@# an editable install compiles nothing: without this, every run with PYTHONDONTWRITEBYTECODE set would compile
	@# the project's modules again (0.1-0.2 s of CPU per process)
	$(BIN)/python -m compileall -q spiders storage diffing notifier policywatch >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/policywatch demo

lint: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP) lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_diff.py
	$(BIN)/python benchmarks/score_targets.py
	$(BIN)/python benchmarks/extraction_quality.py
	$(BIN)/python benchmarks/bench_storage.py
	$(BIN)/python benchmarks/bench_crawl.py --docs 500

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
