# The two commands of the README. Both build the virtual environment first,
# so a fresh machine with only Python 3.11 and pip needs nothing else.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench clean synthetic

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/survival-invest curves --data data/synthetic/two_groups.csv --tau 36 --out demo_output

synthetic: $(STAMP)
	$(BIN)/python -m survival_invest.synthetic --out data/synthetic --seed 20200101

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache .hypothesis
