# Two commands set everything up on a fresh machine:
#   make serve   install, then serve the page and the API on http://127.0.0.1:8000
#   make test    install, then run every test (what CI runs; the page tests need chromium)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# scored files the page's stance index charts (make serve INDEX="a.parquet b.parquet")
INDEX  ?= artifacts/scored-2025-example.parquet

.PHONY: install serve test lint train corpus bench fuzz screenshots clean

# setup.py compiles mentions.py and tokens.py: a change to either reinstalls, so no stale build runs
$(BIN)/regstance: pyproject.toml setup.py classifier/mentions.py classifier/tokens.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/regstance

serve: install
	$(BIN)/regstance serve --host $(HOST) --port $(PORT) $(foreach f,$(INDEX),--index $(f))

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

train: install
	$(BIN)/regstance train

# Rebuild corpus.parquet, agreement.json and DATASHEET.md from the committed raw labels.
corpus: install
	$(BIN)/python -m training.assemble

bench: install
	$(BIN)/python -m bench.baselines
	$(BIN)/python -m bench.generalisation
	$(BIN)/python -m bench.bulk
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.faults

# A longer schemathesis run against a real server (the suite runs a bounded one).
fuzz: install
	$(BIN)/python -m bench.fuzz

# The README's pictures of the page, taken in chromium (apt-get install chromium).
screenshots: install
	$(BIN)/python -m bench.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info build classifier/*.so
