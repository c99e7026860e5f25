"""Every module path and public name that existed before the layout change still works (issue 12).

``tests/old_public_names.txt`` lists, per module of commit 5042c87 (the last
flat layout), its public names: ``__all__`` plus the module-level functions,
classes and assignments not starting with ``_``. It was made once with::

    git ls-tree -r --name-only 5042c87 src/survival_invest   # every .py, parsed with ast at that commit

Old paths that are now shims forward their public names and name the new
module for anything else.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

LISTING = Path(__file__).with_name("old_public_names.txt")
OLD = {
    line.split()[0]: line.split()[1:]
    for line in LISTING.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}


def test_the_listing_covers_the_old_flat_modules() -> None:
    flat = {"cohort", "status", "matching", "economics", "uncertainty", "adjust", "balance", "tables", "portfolio"}
    assert {f"survival_invest.{m}" for m in flat | {"runner", "validate", "stats", "config"}} <= set(OLD)


@pytest.mark.parametrize("module", sorted(OLD))
def test_old_module_path_keeps_its_public_names(module: str) -> None:
    m = importlib.import_module(module)
    missing = [n for n in OLD[module] if not hasattr(m, n)]
    assert not missing, f"{module} lost {missing}"


def test_a_shim_names_the_new_place_for_anything_else() -> None:
    tables = importlib.import_module("survival_invest.tables")
    assert tables.case_table is importlib.import_module("survival_invest.report.tables").case_table
    with pytest.raises(AttributeError, match=r"moved to 'survival_invest.report.tables'"):
        _ = tables.no_such_name
    assert "case_table" in dir(tables)
