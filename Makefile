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

# The report's browser tests and PDF need headless Chromium and poppler-utils (pdftoppm, pdftotext) from
# the distribution, and axe-core (the accessibility check) from the npm registry into $(VENV)/share/npm.
# Installed when missing (apt-get as root; npm when there is one); otherwise a message says what to install.
AXE := $(VENV)/share/npm/node_modules/axe-core/axe.min.js
browser: $(STAMP)
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  if [ ! -f $(AXE) ] && ! command -v npm >/dev/null 2>&1; then missing="$$missing npm"; fi; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing$$missing (Debian packages) for the HTML report's browser tests and report.pdf"; \
	      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "missing:$$missing -- install the distribution's packages (the report's PDF and browser tests need them)" >&2; fi; fi
	@[ -f $(AXE) ] || { command -v npm >/dev/null 2>&1 && \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/share/npm axe-core@4 >/dev/null && echo "installed axe-core into $(VENV)/share/npm"; } || \
	  echo "axe-core is missing: npm install --prefix $(VENV)/share/npm axe-core@4 (the accessibility test needs it)" >&2

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

# The demo runs the monthly job once per as-of month, as a job centre would from January to July, so the
# 2022-07 report's development chart has seven points per case (one per month's report, from the history).
DEMO_MONTHS := 2022-01 2022-02 2022-03 2022-04 2022-05 2022-06 2022-07
demo: $(STAMP) browser
	$(BIN)/survival-invest synth --out demo_output/data --seed 20200101 --demo
	@for month in $(DEMO_MONTHS); do \
	  echo "monthly job as of $$month"; \
	  $(BIN)/survival-invest run --config demo_output/data/portfolio.toml --as-of $$month --out demo_output/reports --quiet || exit 1; \
	done
	$(BIN)/survival-invest curves --data data/synthetic/two_groups.csv --tau 36 --out demo_output/curves
	@echo "Open demo_output/reports/2022-07/report.html (the monthly report; every month's report in demo_output/reports/<month>/, their history in demo_output/reports/history.duckdb)"

synthetic: $(STAMP)
	$(BIN)/python -m survival_invest.synthetic --out data/synthetic --seed 20200101

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache .hypothesis
