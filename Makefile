# Two entry points: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= .zhengai/demo-store

.PHONY: install demo test lint sample clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/zhengai --store $(STORE) load data/matrix.csv data/sample/*.xlsx
	$(BIN)/zhengai --store $(STORE) stats

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

sample: install
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) .zhengai build *.egg-info
