# The two commands of the README. Both build the virtual environment first,
# so a fresh machine with only Python 3.11 and pip needs nothing else.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench clean synthetic browser lint fmt

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $(STAMP)

# The HTML report test renders the page in headless Chromium from the
# distribution's packages; install it when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the HTML report test"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install the distribution's chromium package (the HTML report test needs it)" >&2; fi; }

# The checks CI runs before the tests: formatting, lint rules and types (settings in pyproject.toml).
LINTED := src tests benchmarks notebooks
lint: $(STAMP)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy

# Format and apply the safe lint fixes (review the diff before committing).
fmt: $(STAMP)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

test: lint browser
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/survival-invest synth --out demo_output/data --seed 20200101
	$(BIN)/survival-invest run --config demo_output/data/portfolio.toml --as-of 2022-06 --out demo_output/reports --quiet
	$(BIN)/survival-invest run --config demo_output/data/portfolio.toml --as-of 2022-07 --out demo_output/reports --quiet
	$(BIN)/survival-invest curves --data data/synthetic/two_groups.csv --tau 36 --out demo_output/curves
	@echo "Open demo_output/reports/2022-07/report.html (the monthly report; history of both months in demo_output/reports/history.duckdb)"

synthetic: $(STAMP)
	$(BIN)/python -m survival_invest.synthetic --out data/synthetic --seed 20200101

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache .hypothesis
