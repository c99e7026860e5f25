"""The monthly follow-up job: one as-of month in, a report folder and a history row set out.

Outputs of a run (``OUT/<as-of>/``)::

    results.csv              the long results table, unrounded
    case_<id>.png / .svg     each survival case's curves
    case_<id>.csv            each case's table in the Norddjurs layout (unrounded)
    report.html              one self-contained page (images embedded)
    report.xlsx              the same tables, numbers as numbers
    run.json                 config hash, input hashes, version, as-of, cut-off, counts, warnings

Crash safety: everything is written into a temporary folder inside ``OUT``;
the finished folder is then published by atomically replacing the symbolic
link ``OUT/<as-of>`` (the run folders live in ``OUT/.runs``), so a reader sees
either the previous report or the new one, never a mix. The history
(``OUT/history.duckdb``) is updated after that in one transaction. A crash at
any point leaves the previous report and the history as they were.

Privacy: person ids never reach an output; a survival case resting on fewer
participants or comparison persons than ``min_persons`` has its estimated
figures suppressed (empty) and a warning says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survival_invest._atomic import write_bytes, write_text
from survival_invest.config import Portfolio, load_config
from survival_invest.io.periods import RunClock
from survival_invest.pipeline.portfolio import PortfolioRun, run_portfolio_full
from survival_invest.report.history import HISTORY_FILE, current_history, store_run
from survival_invest.report.manifest import RunStamp, manifest_json, run_manifest
from survival_invest.report.pages import CasePage, case_page, report_document
from survival_invest.report.privacy import suppress_small_numbers
from survival_invest.report.writers import excel_report

__all__ = ["RunOutcome", "publish", "run_monthly"]

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """Where a run's report went and what it warned about."""

    folder: Path
    report: Path
    results: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Run:
    """What one run knows once the figures are computed: the inputs of every writing step."""

    portfolio: Portfolio
    clock: RunClock
    stamp: RunStamp
    computed: PortfolioRun
    results: pd.DataFrame  # small numbers suppressed
    warnings: list[str]


class _Steps:
    """Counts the run's steps and reports each to the progress callback (read + cases + report + publish)."""

    def __init__(self, progress: Callable[[str, int, int], None] | None, total: int) -> None:
        self.progress, self.total, self.step = progress, total, 0

    def __call__(self, message: str) -> None:
        self.step += 1
        if self.progress is not None:
            self.progress(message, self.step, self.total)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def publish(tmp: Path, out: Path, label: str, run_id: str) -> Path:
    """Move a finished run folder into ``out/.runs`` and point the link ``out/<label>`` at it atomically.

    Parameters
    ----------
    tmp : Path
        The finished run folder (inside ``out``, so the move is a rename).
    out : Path
        The reports folder.
    label : str
        The as-of month (``2022-07``): the link's name.
    run_id : str
        The run's id; the folder becomes ``out/.runs/<label>-<run_id>``.

    Returns
    -------
    Path
        The link ``out/<label>``.
    """
    runs = out / ".runs"
    runs.mkdir(exist_ok=True)
    final = runs / f"{label}-{run_id}"
    os.replace(tmp, final)
    link = out / label
    tmp_link = out / f".{label}.{run_id}.link"
    os.symlink(os.path.relpath(final, out), tmp_link, target_is_directory=True)
    if link.exists() and not link.is_symlink():
        # a folder from an older layout: keep it, move it aside first
        os.replace(link, runs / f"{label}-legacy-{run_id}")
    os.replace(tmp_link, link)
    return link


def _write_cases(tmp: Path, run: _Run, steps: _Steps) -> list[CasePage]:
    """Each case's table (CSV) and, for survival cases with large enough groups, its figure (PNG, SVG)."""
    pages = []
    for case in run.portfolio.cases:
        steps(f"case {case.id}")
        stats = run.computed.statistics[case.id] if case.method == "survival" else None
        page = case_page(
            case,
            run.results,
            stats,
            clock=run.clock,
            min_persons=run.portfolio.run.min_persons,
            language=run.portfolio.run.language,
        )
        write_text(tmp / f"case_{case.id}.csv", page.table.to_csv(lineterminator="\n"))
        if page.png is not None and page.svg is not None:
            write_bytes(tmp / f"case_{case.id}.png", page.png)
            write_bytes(tmp / f"case_{case.id}.svg", page.svg)
        pages.append(page)
    return pages


def _write_run_json(tmp: Path, run: _Run) -> None:
    """The run's record (:mod:`survival_invest.report.manifest`), with the hashes of the config and the inputs."""
    data = run.portfolio.data
    inputs = {str(p): _sha256(p) for p in (data.spells, data.memberships, data.classification, data.finance) if p}
    info = run_manifest(
        run.portfolio,
        run.clock,
        run.stamp,
        results_rows=len(run.results),
        input_rows=run.computed.input_rows,
        engine=run.computed.engine,
        statistics=run.computed.statistics,
        warnings=run.warnings,
        config_sha256=_sha256(run.portfolio.source),
        inputs_sha256=inputs,
    )
    write_text(tmp / "run.json", manifest_json(info))


def _write_report(tmp: Path, out: Path, run: _Run, steps: _Steps) -> None:
    """Everything of the report folder into ``tmp``: results, cases, page, workbook, run record."""
    write_text(tmp / "results.csv", run.results.to_csv(index=False, lineterminator="\n"))
    pages = _write_cases(tmp, run, steps)
    steps("writing the report")
    history = current_history(out / HISTORY_FILE)
    doc = report_document(run.portfolio, run.clock, run.results, pages, history=history, warnings=run.warnings)
    write_text(tmp / "report.html", doc.html)
    write_bytes(tmp / "report.xlsx", excel_report(doc.sheets, run.portfolio.run.language))
    _write_run_json(tmp, run)


def run_monthly(
    config: Portfolio | str | Path,
    as_of: str | int | RunClock,
    out: Path,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str | None = None,
) -> RunOutcome:
    """Run every case for ``as_of`` and write the report folder and history (see the module docstring).

    Parameters
    ----------
    config : Portfolio, str or Path
        The portfolio, or its TOML file.
    as_of : str, int or RunClock
        The as-of month (``YYYY-MM``); the cut-off is as-of minus the config's data lag.
    out : Path
        The reports folder; the run is published as ``out/<as-of>`` and stored in ``out/history.duckdb``.
    progress : callable, optional
        Called as ``progress(message, step, total)`` before each step.
    engine : str, optional
        Overrides the config's ``[engine]`` (``memory``, ``duckdb``, ``spark``, ``auto``).

    Returns
    -------
    RunOutcome
        The published folder, its page, the (suppressed) results and the warnings.
    """
    portfolio = config if isinstance(config, Portfolio) else load_config(config)
    clock = RunClock.parse(as_of, portfolio.run.data_lag, "month")
    steps = _Steps(progress, total=len(portfolio.cases) + 3)
    stamp = RunStamp.now()
    steps("reading data and building cohorts")
    computed = run_portfolio_full(portfolio, clock, engine=engine)
    results, warnings = suppress_small_numbers(computed.results, computed.statistics, portfolio.run.min_persons)
    run = _Run(portfolio, clock, stamp, computed, results, warnings)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=f".tmp-{clock.as_of_label}-"))
    try:
        _write_report(tmp, out, run, steps)
        steps("publishing")
        link = publish(tmp, out, clock.as_of_label, stamp.run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    store_run(out / HISTORY_FILE, results, as_of=clock.as_of_label, run_time=stamp.time, run_id=stamp.run_id)
    log.info("run %s for %s published at %s", stamp.run_id, clock.as_of_label, link)
    return RunOutcome(link, link / "report.html", results, warnings)
