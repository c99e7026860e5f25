"""The monthly follow-up job: one as-of month in, a report folder and a history row set out.

Outputs of a run (``OUT/<as-of>/``)::

    results.csv              the long results table, unrounded; the portfolio's rows last (case_id "portfolio")
    case_<id>.png / .svg     each survival case's curves
    case_<id>.csv            each case's table in the Norddjurs layout (unrounded)
    report.html              one self-contained page (images embedded)
    report.pdf               the page printed by headless Chromium (A4; not written, with a warning, without one)
    report.xlsx              the same tables, numbers as numbers
    run.json                 config hash, input hashes, version, as-of, cut-off, counts, warnings

Publishing (docs/publishing.md): one run at a time per ``OUT`` (the lock
``OUT/.lock``); the report is written into a temporary folder; then, holding
the history open for writing, (1) the run's rows are stored as *staged* in one
transaction, (2) the folder is moved to ``OUT/.runs/<as-of>-<run id>``, (3) the
link ``OUT/<as-of>`` is swapped to it in one rename -- the commit point: the
month's current rows are those of the run the link points to
(:func:`~survival_invest.report.published.current_rows`) -- and (4) the run is
marked current in the history. A crash at any point leaves the link and the
history agreeing on the current run; the next run removes the leftovers,
brings the history's flags in line with the links and prunes ``OUT/.runs``. A
run that cannot open the history for writing publishes nothing
(:class:`~survival_invest.report.history.HistoryError`, exit 2).

Privacy: person ids never reach an output; a survival case resting on fewer
participants or comparison persons than ``min_persons`` has its estimated
figures suppressed (empty) and a warning says so.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survival_invest._atomic import fresh_dir, write_bytes, write_text
from survival_invest.config import Portfolio, load_config
from survival_invest.economics.joint import portfolio_correlation
from survival_invest.economics.portfolio import interval_rule, persons_in_several_cases, with_portfolio
from survival_invest.io.periods import RunClock
from survival_invest.io.sources import file_sha256, input_identity
from survival_invest.io.tables import read_table
from survival_invest.pipeline.outfolder import (
    RunLock,
    delete_folders,
    move_into_runs,
    output_folder,
    prune_plan,
    remove_leftovers,
    swap_link,
)
from survival_invest.pipeline.portfolio import PortfolioRun, run_portfolio_full
from survival_invest.report.history import (
    HISTORY_FILE,
    HistoryWriter,
    RunRecord,
    open_history,
)
from survival_invest.report.i18n import label
from survival_invest.report.manifest import RunStamp, manifest_json, run_manifest
from survival_invest.report.pages import CasePage, case_page, report_document
from survival_invest.report.pdf import PdfError, html_to_pdf, pdf_engine, pdf_missing_reason
from survival_invest.report.privacy import suppress_small_numbers
from survival_invest.report.published import RUNS_DIR, current_rows, published_runs
from survival_invest.report.writers import csv_text, excel_report

__all__ = ["RunOutcome", "cases_share_persons", "prepare_output", "publish", "run_monthly"]

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
    leftovers: list[str]  # removed from OUT before the run (names)
    prune: list[Path]  # run folders to delete once published
    interval_rule: str = "independent"  # the portfolio interval's rule (economics.portfolio.interval_rule)


class _Steps:
    """Counts the run's steps and reports each to the progress callback (read + cases + report + publish)."""

    def __init__(self, progress: Callable[[str, int, int], None] | None, total: int) -> None:
        self.progress, self.total, self.step = progress, total, 0

    def __call__(self, message: str) -> None:
        self.step += 1
        if self.progress is not None:
            self.progress(message, self.step, self.total)


def publish(tmp: Path, out: Path, label: str, run_id: str) -> Path:
    """Move a finished run folder into ``out/.runs`` and point the link ``out/<label>`` at it atomically.

    The folder steps of publishing without the history
    (:func:`~survival_invest.pipeline.outfolder.move_into_runs`, then
    :func:`~survival_invest.pipeline.outfolder.swap_link`); :func:`run_monthly`
    does them between storing the run's rows and marking them current.

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
    return swap_link(out, label, move_into_runs(tmp, out, label, run_id), run_id)


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
            persons=run.computed.cohorts[case.id].persons if case.id in run.computed.cohorts else None,
            adjusted=run.computed.adjusted.get(case.id),  # an adjusted case's curves (report.adjusted)
        )
        write_text(tmp / f"case_{case.id}.csv", csv_text(page.table))
        if page.png is not None and page.svg is not None:
            write_bytes(tmp / f"case_{case.id}.png", page.png)
            write_bytes(tmp / f"case_{case.id}.svg", page.svg)
        pages.append(page)
    return pages


def _write_run_json(tmp: Path, run: _Run) -> None:
    """The run's record (:mod:`survival_invest.report.manifest`), with the hashes of the config and the inputs."""
    data = run.portfolio.data
    located = [p for p in (data.spells, data.memberships, data.classification, data.finance) if p]
    identities = {str(p): input_identity(p) for p in located}
    inputs = {k: str(v["sha256"]) for k, v in identities.items() if "sha256" in v}
    info = run_manifest(
        run.portfolio,
        run.clock,
        run.stamp,
        results_rows=len(run.results),
        input_rows=run.computed.input_rows,
        engine=run.computed.engine,
        statistics=run.computed.statistics,
        warnings=run.warnings,
        config_sha256=file_sha256(run.portfolio.source),
        inputs_sha256=inputs,
        inputs=identities,
        engine_inputs=run.computed.engine_inputs,
        pruned={"leftovers": run.leftovers, "run_folders": [str(f.relative_to(f.parents[1])) for f in run.prune]},
    )
    write_text(tmp / "run.json", manifest_json(info))


def _write_report(tmp: Path, out: Path, run: _Run, steps: _Steps) -> None:
    """Everything of the report folder into ``tmp``: results, cases, page, workbook, run record."""
    write_text(tmp / "results.csv", csv_text(run.results, index=False))
    pages = _write_cases(tmp, run, steps)
    steps("writing the report")
    engine = pdf_engine()
    if engine is None:  # said before the page is made, so the page and run.json both say it
        log.warning("report.pdf not written: %s", pdf_missing_reason())
        run.warnings.append(label("pdf_missing", run.portfolio.run.language, reason=pdf_missing_reason()))
    history = current_rows(out)  # the other months' published runs, for the development chart
    doc = report_document(
        run.portfolio,
        run.clock,
        run.results,
        pages,
        history=history,
        warnings=run.warnings,
        interval_rule=run.interval_rule,
    )
    write_text(tmp / "report.html", doc.html)
    if engine is not None:
        _write_pdf(tmp, engine, run)
    write_bytes(tmp / "report.xlsx", excel_report(doc.sheets, run.portfolio.run.language))
    _write_run_json(tmp, run)


def _write_pdf(tmp: Path, engine: str, run: _Run) -> None:
    """``report.pdf`` from ``report.html``; a failed print is logged and becomes a warning of the run, not an error."""
    try:
        html_to_pdf(tmp / "report.html", tmp / "report.pdf", engine=engine)
    except PdfError as exc:
        log.warning("%s", exc)
        run.warnings.append(label("pdf_missing", run.portfolio.run.language, reason=str(exc)))
        (tmp / "report.pdf").unlink(missing_ok=True)


def prepare_output(out: Path) -> tuple[list[str], dict[str, RunRecord]]:
    """Before computing, under the lock: remove leftovers, migrate the history, bring its flags in line with the links.

    Fails with :class:`~survival_invest.report.history.HistoryError` (nothing
    computed, nothing published) when the history cannot be opened for writing.

    Returns
    -------
    (list of str, dict of str to str)
        The leftovers removed, and the history's runs by run id (state, start time).
    """
    leftovers = remove_leftovers(out)
    with open_history(out / HISTORY_FILE) as history:
        missing = history.reconcile(published_runs(out))
        runs = history.runs()
    for month in missing:
        log.warning("the published report %s has no rows in the history (written by an older version?)", month)
    return leftovers, runs


def _stage_and_publish(tmp: Path, out: Path, run: _Run, history: HistoryWriter) -> Path:
    """Steps 1-4 of publishing (module docstring); before the link swap a failure removes the run's folder."""
    label, run_id = run.clock.as_of_label, run.stamp.run_id
    history.stage(run.results, as_of=label, run_time=run.stamp.time, run_id=run_id)
    try:
        final = move_into_runs(tmp, out, label, run_id)
        link = swap_link(out, label, final, run_id)
    except BaseException:
        if published_runs(out).get(label) != run_id:  # not published: nothing of the run may stay visible
            shutil.rmtree(out / RUNS_DIR / f"{label}-{run_id}", ignore_errors=True)
            history.abandon(run_id)
        raise
    history.make_current(label, run_id)
    return link


def run_monthly(
    config: Portfolio | str | Path,
    as_of: str | int | RunClock,
    out: Path,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str | None = None,
    lock_timeout: float | None = None,
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
    lock_timeout : float, optional
        Seconds to wait for another run on ``out``; overrides ``[run] lock_timeout_seconds``
        (``run --lock-wait SECONDS`` passes it).

    Returns
    -------
    RunOutcome
        The published folder, its page, the (suppressed) results and the warnings.
    """
    portfolio = config if isinstance(config, Portfolio) else load_config(config)
    clock = RunClock.parse(as_of, portfolio.run.data_lag, "month")
    out = output_folder(Path(out))
    timeout = portfolio.run.lock_timeout_seconds if lock_timeout is None else lock_timeout
    setting = "[run] lock_timeout_seconds" if lock_timeout is None else "--lock-wait, or lock_timeout="
    with RunLock(out, timeout, clock.as_of_label, setting):
        return _locked_run(portfolio, clock, out, progress, engine)


def cases_share_persons(portfolio: Portfolio) -> bool:
    """Whether a person is a member of two cases (then the portfolio's interval adds the cases' half-widths).

    Reads the memberships' person and case columns once more (a small file
    beside the spells); the count itself is never shown
    (:mod:`survival_invest.economics.portfolio`).
    """
    frame = read_table(portfolio.data.memberships, what="memberships", arrow=True)
    person = next((c for c in ("person_id", portfolio.data.id_column, "PNR") if c and c in frame.columns), None)
    if person is None or "case_id" not in frame.columns:
        return True  # the readers have accepted the file, so this is not reached; be conservative if it is
    pairs = frame[[person, "case_id"]].rename(columns={person: "person_id"})
    return persons_in_several_cases(pairs) > 0


def _locked_run(
    portfolio: Portfolio,
    clock: RunClock,
    out: Path,
    progress: Callable[[str, int, int], None] | None,
    engine: str | None,
) -> RunOutcome:
    """:func:`run_monthly` once it holds the lock: prepare, compute, write, publish, prune."""
    steps = _Steps(progress, total=len(portfolio.cases) + 3)
    stamp = RunStamp.now()
    leftovers, stored = prepare_output(out)
    steps("reading data and building cohorts")
    computed = run_portfolio_full(portfolio, clock, engine=engine)
    results, warnings = suppress_small_numbers(computed.results, computed.statistics, portfolio.run.min_persons)
    warnings += computed.notes  # a capped or extrapolated horizon (pipeline.horizon)
    independent = not cases_share_persons(portfolio)
    # shared persons: the joint interval where every survival case has its cohort (economics.joint)
    joint = None if independent else portfolio_correlation(portfolio, computed.cohorts, computed.statistics)
    results = with_portfolio(results, independent=independent, correlation=joint)
    rule = interval_rule(independent, joint)
    log.info("portfolio interval: %s rule (%s engine)", rule, computed.engine)
    after = {**published_runs(out), clock.as_of_label: stamp.run_id}
    prune = prune_plan(out, portfolio.run.keep_runs, after, stored)
    run = _Run(portfolio, clock, stamp, computed, results, warnings, leftovers, prune, rule)
    tmp = fresh_dir(out, prefix=f".tmp-{clock.as_of_label}-")
    try:
        _write_report(tmp, out, run, steps)
        steps("publishing")
        with open_history(out / HISTORY_FILE) as history:
            link = _stage_and_publish(tmp, out, run, history)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already when published (moved into .runs)
    delete_folders(prune)
    log.info("run %s for %s published at %s", stamp.run_id, clock.as_of_label, link)
    return RunOutcome(link, link / "report.html", results, warnings)
