# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The benchmark's peers live in a venv of their own (exponax + JAX, py-spy), never in .venv.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
BENCH_PACKAGES := exponax==0.2.0 jax==0.10.2 jaxlib==0.10.2 py-spy==0.4.3
# Numba caches compiled kernels next to the sources (editable install): compiled once per clone.
export MALLOC_MMAP_THRESHOLD_ := 67108864
export MALLOC_TRIM_THRESHOLD_ := 268435456

.PHONY: install demo test test-slow bench bench-venv lint clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,torch]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/refsim generate dgnet-kdv --out stores

test: install
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --dist worksteal  # both cores, idle worker takes queued tests

test-slow: install
	$(BIN)/python -m pytest -q -m slow

$(BENCH_STAMP):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet $(BENCH_PACKAGES)
	touch $(BENCH_STAMP)

bench-venv: $(BENCH_STAMP)

bench: install bench-venv
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check refsim tests bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) stores .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
