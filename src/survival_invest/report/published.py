"""Which run a month shows: the links ``OUT/<as-of>`` and the history's current rows by that definition.

A month's current run is the run the link ``OUT/<as-of>`` points to (the link
is the commit point of a run, docs/publishing.md); its current rows are that
run's rows in the history (:func:`current_rows`), so that the published
``OUT/<as-of>/results.csv`` and the current rows always come from one run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from survival_invest.report.history import HISTORY_FILE, rows_of_runs

__all__ = ["RUNS_DIR", "current_rows", "parse_run_folder", "published_runs"]

#: The folder of ``OUT`` holding every run's report folder ``<as-of>-<run id>``.
RUNS_DIR = ".runs"
_RUN_FOLDER = re.compile(r"^(?P<label>.+?)-(?P<legacy>legacy-)?(?P<run_id>\d{8}T\d{6}-[0-9a-f]{6})$")


def parse_run_folder(name: str) -> tuple[str, str, bool] | None:
    """A run folder's name ``<as-of>-<run id>`` (or ``<as-of>-legacy-<run id>``) as (as-of, run id, legacy)."""
    m = _RUN_FOLDER.match(name)
    return None if m is None else (m["label"], m["run_id"], m["legacy"] is not None)


def published_runs(out: Path) -> dict[str, str]:
    """The published run of every month: as-of -> the run id of the folder the link ``out/<as-of>`` points to.

    Only links of the form ``out/<as-of> -> .runs/<as-of>-<run id>`` count.
    """
    found: dict[str, str] = {}
    out = Path(out)
    if not out.is_dir():
        return found
    for entry in out.iterdir():
        if entry.name.startswith(".") or not entry.is_symlink():
            continue
        target = Path(os.readlink(entry))
        parsed = parse_run_folder(target.name)
        if target.parent == Path(RUNS_DIR) and parsed and parsed[0] == entry.name and not parsed[2]:
            found[entry.name] = parsed[1]
    return found


def current_rows(out: Path, as_of: str | None = None) -> pd.DataFrame:
    """The current rows of every month (or of ``as_of``): the rows of the run its link ``out/<as-of>`` shows.

    This is the definition of "current" (docs/publishing.md): the published
    ``out/<as-of>/results.csv`` and these rows come from the same run.
    Columns: ``as_of, run_id, run_time, case_id, year, measure, kind, value, lower, upper, unit``.
    """
    runs = published_runs(out)
    if as_of is not None:
        runs = {as_of: runs[as_of]} if as_of in runs else {}
    return rows_of_runs(Path(out) / HISTORY_FILE, runs)
