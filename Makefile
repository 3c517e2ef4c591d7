# Lắng Nghe — every target sets up what it needs first (virtualenv + pinned dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install transformers run demo test eval bench lint train clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# The optional transformers backend's torch + transformers (nlp/transformers_backend.py): only
# the tests need it; the default NLP path never imports it.
TORCH_STAMP := $(VENV)/.transformers-$(shell cat requirements-transformers.lock | cksum | cut -d' ' -f1)
$(TORCH_STAMP): $(STAMP) requirements-transformers.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-transformers.lock -c requirements.lock
	@rm -f $(VENV)/.transformers-* && touch $@

transformers: $(TORCH_STAMP)  ## install the optional transformers backend (~5 GB with CUDA libs)

run: install            ## run the engine on the embedded default (SQLite), web on :8080
	$(BIN)/langnghe run $(ARGS)

demo: install           ## run the engine offline on the built-in demo corpus
	$(BIN)/langnghe demo $(ARGS)

test: install $(TORCH_STAMP)  ## lint, then the whole test suite
	$(BIN)/ruff check .
	bash scripts/test.sh $(ARGS)

eval: install           ## quality numbers; fails below the floors in evaluation/baseline.json
	$(BIN)/python -m evaluation.run

bench: install          ## speed numbers (see docs/benchmarks.md)
	$(BIN)/python -m benchmarks.run

CORRECTIONS := var/corrections.jsonl

train: install          ## retrain the shipped NLP models from ../shared/data + staff corrections
	$(BIN)/langnghe corrections export --out $(CORRECTIONS)
	$(BIN)/python -m nlp.train --corrections $(CORRECTIONS)
	$(BIN)/python -m nlp.domains --corrections $(CORRECTIONS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
