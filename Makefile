# Lắng Nghe — every target sets up what it needs first (virtualenv + pinned dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run demo test eval bench lint train clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install            ## run the engine on the embedded default (SQLite), web on :8080
	$(BIN)/langnghe run $(ARGS)

demo: install           ## run the engine offline on the built-in demo corpus
	$(BIN)/langnghe demo $(ARGS)

test: install           ## the whole test suite
	bash scripts/test.sh $(ARGS)

eval: install           ## quality numbers; fails below the floors in evaluation/baseline.json
	$(BIN)/python -m evaluation.run

bench: install          ## speed numbers (see docs/benchmarks.md)
	$(BIN)/python -m benchmarks.run

train: install          ## retrain the shipped NLP models from ../shared/data
	$(BIN)/python -m nlp.train
	$(BIN)/python -m nlp.domains

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
