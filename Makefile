# Lắng Nghe — every target sets up what it needs first (virtualenv + pinned dependencies):
# the runtime (requirements.lock) for run/demo, plus the development tools
# (requirements-dev.lock, which includes the optional ONNX backend) for test/eval/bench/train.
# VENV=DIR builds or uses another virtualenv (e.g. to try a clean install beside .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check
# a stamp per layer, named by the checksum of the files behind it: a changed lock reinstalls
STAMP      := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
ONNX_STAMP := $(VENV)/.onnx-$(shell cat requirements-onnx.lock | cksum | cut -d' ' -f1)
DEV_STAMP  := $(VENV)/.dev-$(shell cat requirements-dev.lock requirements-onnx.lock | cksum | cut -d' ' -f1)

.PHONY: install install-dev onnx run demo test eval bench lint train clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) \
		|| { echo "make: cannot create $(VENV): Python's venv module is missing (Debian: apt-get install python3-venv)" >&2; exit 1; }
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

# The optional backend of fine-tuned transformer models (nlp/onnx_backend.py): onnxruntime +
# tokenizers, ~120 MB. The default NLP path never imports them.
$(ONNX_STAMP): $(STAMP) requirements-onnx.lock
	$(PIP) -r requirements.lock -r requirements-onnx.lock
	@rm -f $(VENV)/.onnx-* && touch $@

# Test runner, linter, browser driver, evaluation-only libraries, and the ONNX backend they test.
$(DEV_STAMP): $(STAMP) requirements-dev.lock requirements-onnx.lock
	$(PIP) -r requirements-dev.lock
	@rm -f $(VENV)/.dev-* && touch $@

install: $(STAMP)          ## the runtime only: what `make run` and the image need
install-dev: $(DEV_STAMP)  ## the runtime + development tools
onnx: $(ONNX_STAMP)        ## the runtime + the optional ONNX model backend

run: install               ## run the engine on the embedded default (SQLite), web on :8080
	$(BIN)/langnghe run $(ARGS)

demo: install              ## run the engine offline on the built-in demo corpus
	$(BIN)/langnghe demo $(ARGS)

test: install-dev          ## lint, then the whole test suite (README: what it needs)
	$(BIN)/ruff check .
	VENV=$(VENV) bash scripts/test.sh $(ARGS)

eval: install-dev          ## quality numbers; fails below the floors in evaluation/baseline.json
	$(BIN)/python -m evaluation.run

bench: install-dev         ## speed numbers (see docs/benchmarks.md)
	$(BIN)/python -m benchmarks.run

CORRECTIONS := var/corrections.jsonl

train: install-dev         ## retrain the shipped NLP models from ../shared/data + staff corrections
	$(BIN)/langnghe corrections export --out $(CORRECTIONS)
	$(BIN)/python -m nlp.train --corrections $(CORRECTIONS)
	$(BIN)/python -m nlp.domains --corrections $(CORRECTIONS)

lint: install-dev          ## ruff over the whole tree
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
