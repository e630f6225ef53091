# Each target creates and reuses .venv by itself: a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-faults bench golden lint format clean chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m demo

# The report pages are opened in a real headless Chromium (tests/support/browser.py).
CHROMIUM := $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)

chromium:
ifeq ($(CHROMIUM),)
	@echo "Chromium is missing: installing Debian's (apt-get install chromium)"
	apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)
endif

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults

bench: $(STAMP)
	$(BIN)/python -m bench

# What principals and referents see on the seeded 430 establishments, against bench/golden-430.json.
golden: $(STAMP)
	$(BIN)/python -m bench.golden --check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .demo
