# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Numba caches compiled kernels next to the sources (editable install): compiled once per clone.
export MALLOC_MMAP_THRESHOLD_ := 67108864
export MALLOC_TRIM_THRESHOLD_ := 268435456

.PHONY: install demo test test-slow bench lint clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,torch]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/refsim generate dgnet-kdv --out stores

test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: install
	$(BIN)/python -m pytest -q -m slow

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check refsim tests bench

clean:
	rm -rf $(VENV) stores .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
