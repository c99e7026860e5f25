"""What the monthly report shows, assembled from a run's results: case pages, the page and the sheets.

Pure functions (no files): :func:`case_page` makes one case's table, settings
line and figure bytes; :func:`report_document` makes the HTML page and the
workbook's sheets of the whole run. :mod:`survival_invest.pipeline.monthly`
writes what they return. Every label comes from :mod:`survival_invest.report.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from survival_invest._version import __version__
from survival_invest.choices import Language
from survival_invest.config import CaseConfig, Portfolio, RunConfig, Targets
from survival_invest.estimate import area_between
from survival_invest.io.periods import RunClock
from survival_invest.report.i18n import label
from survival_invest.report.plots import case_figure, development_figure, png_svg
from survival_invest.report.tables import (
    case_table,
    portfolio_display,
    portfolio_table,
    reduction_targets_table,
    targets_display,
)
from survival_invest.report.writers import html_report
from survival_invest.stats import CaseStatistics

__all__ = [
    "CasePage",
    "ReportDocument",
    "case_page",
    "development_history",
    "development_png",
    "report_document",
    "report_meta",
    "targets_table",
]


@dataclass(frozen=True)
class CasePage:
    """One case as the report shows it.

    Attributes
    ----------
    id, name : str
        The case's id and name.
    table : DataFrame
        The case table (:func:`~survival_invest.report.tables.case_table`), unrounded.
    settings : mapping
        The settings line (label -> value) in the report's language.
    png, svg : bytes or None
        The case figure; None for a count case or when a group is too small to draw.
    """

    id: str
    name: str
    table: pd.DataFrame
    settings: Mapping[str, object] = field(default_factory=dict)
    png: bytes | None = None
    svg: bytes | None = None

    def block(self) -> dict[str, Any]:
        """The case as :func:`~survival_invest.report.writers.html_report` takes it."""
        block: dict[str, Any] = {"id": self.id, "name": self.name, "table": self.table, "settings": dict(self.settings)}
        if self.png is not None:
            block["png"] = self.png
        return block


@dataclass(frozen=True)
class ReportDocument:
    """The run's HTML page and the workbook's sheets (sheet name -> table), in sheet order."""

    html: str
    sheets: Mapping[str, pd.DataFrame]


def _shown_count(n: int, min_persons: int) -> int | str:
    """A head count, or ``<min_persons`` when it is below the minimum."""
    return n if n >= min_persons else f"<{min_persons}"


def _survival_settings(
    case: CaseConfig, stats: CaseStatistics, min_persons: int, language: Language
) -> dict[str, object]:
    """A survival case's settings line: comparison, curve, durable exit, horizon, month rule, group sizes, uncertainty."""
    return {
        label("setting_comparison", language): label(f"choice_{case.comparison}", language),
        label("setting_curve", language): label(f"choice_{case.curve}", language),
        label("setting_durable_exit", language): case.durable_exit,
        label("setting_horizon", language): case.horizon,
        label("setting_month_rule", language): label(f"choice_{case.month_rule}", language),
        label("setting_participants", language): _shown_count(stats.persons("intervention"), min_persons),
        label("setting_comparison_persons", language): _shown_count(stats.persons("comparison"), min_persons),
        label("setting_uncertainty", language): label("uncertainty_delta", language),
    }


def _case_images(
    case: CaseConfig, stats: CaseStatistics, clock: RunClock, min_persons: int, language: Language
) -> tuple[bytes, bytes] | None:
    """The case figure as PNG and SVG bytes; None when either group has fewer than ``min_persons`` persons."""
    if stats.persons("comparison") < min_persons or stats.persons("intervention") < min_persons:
        return None
    curves = stats.curves()
    comparison = curves.curve("comparison", name=label("curve_comparison", language))
    intervention = curves.curve("intervention", name=label("curve_intervention", language))
    fig = case_figure(
        comparison,
        intervention,
        tau=case.horizon,
        area=area_between(comparison, intervention, case.horizon),
        longest_follow_up=float(clock.cutoff - stats.first_entry),
        cutoff_label=clock.cutoff_label,
        min_persons=min_persons,
        language=language,
        title=case.name,
    )
    return png_svg(fig)


def case_page(
    case: CaseConfig,
    results: pd.DataFrame,
    statistics: CaseStatistics | None,
    *,
    clock: RunClock,
    min_persons: int,
    language: Language,
) -> CasePage:
    """One case's table, settings line and (survival cases with large enough groups) figure.

    Parameters
    ----------
    case : CaseConfig
        The case.
    results : DataFrame
        The run's long results (small numbers already suppressed).
    statistics : CaseStatistics or None
        A survival case's statistics; None for a count case (a settings line, no figure).
    clock : RunClock
        The run's as-of month and cut-off (the figure's cut-off line).
    min_persons : int
        Group sizes below it are shown as ``<N`` and no figure is drawn.
    language : {"da", "en"}
        The report's language.

    Returns
    -------
    CasePage
    """
    table = case_table(results, case.id, language=language)
    if statistics is None:
        settings = {label("setting_follow_up", language): label("follow_up_count", language)}
        return CasePage(case.id, case.name, table, settings)
    images = _case_images(case, statistics, clock, min_persons, language)
    png, svg = images if images is not None else (None, None)
    shown = _survival_settings(case, statistics, min_persons, language)
    shown[label("setting_realised_basis", language)] = _realised_basis(results, case.id, language)
    return CasePage(case.id, case.name, table, shown, png, svg)


def _realised_basis(results: pd.DataFrame, case_id: str, language: Language) -> str:
    """What the case's realised savings rest on: the payment file or the cost per full-time person (``basis``)."""
    rows = results[
        (results["case_id"] == case_id) & (results["measure"] == "savings") & (results["kind"] == "realised")
    ]
    paid = "basis" in rows.columns and bool((rows["basis"] == "payments").any())
    return label("basis_payments" if paid else "basis_cost_per_fte", language)


def targets_table(results: pd.DataFrame, targets: Targets, language: Language) -> pd.DataFrame:
    """The reduction-target table as shown: targets against the portfolio's forecast plus other initiatives.

    ``delivered[y]`` is the portfolio's forecast savings of year ``y`` (summed
    over cases) plus each other initiative's amount; the rows between the
    target and the total show what it is made of (the portfolio forecast, then
    each initiative). Rules of the remaining rows:
    :func:`~survival_invest.report.tables.reduction_targets_table`.

    Parameters
    ----------
    results : DataFrame
        The run's long results; its ``savings``/``forecast`` rows are the portfolio's delivery.
    targets : Targets
        The config's ``[targets]``: years, reduction targets, other initiatives' amounts.
    language : {"da", "en"}
        Row labels.

    Returns
    -------
    DataFrame
        Rows: target, the portfolio forecast, each other initiative, delivered in
        total, outstanding, and the carry-forward rows; columns the years.
    """
    years = list(targets.years)
    fc = results[(results["measure"] == "savings") & (results["kind"] == "forecast")]
    forecast = fc.groupby("year")["value"].sum().reindex(years).fillna(0.0)
    delivered = forecast
    for amounts in targets.other_initiatives.values():
        delivered = delivered + pd.Series(amounts, index=years)
    table = reduction_targets_table(pd.Series(targets.reduction, index=years), delivered)
    parts = {label("portfolio_forecast", language): forecast.to_numpy()}
    for name, amounts in targets.other_initiatives.items():
        parts[name] = np.asarray(amounts, dtype=float)
    detail = pd.DataFrame(parts, index=years).T
    return targets_display(pd.concat([table.iloc[:1], detail, table.iloc[1:]]), language)


def report_meta(run: RunConfig, clock: RunClock, language: Language) -> dict[str, str]:
    """The page's metadata table: as-of month, data cut-off and lag, price level, minimum persons, version.

    Parameters
    ----------
    run : RunConfig
        The config's ``[run]`` (price level, minimum persons).
    clock : RunClock
        The as-of month, the cut-off and the data lag.
    language : {"da", "en"}
        Labels.

    Returns
    -------
    dict of str to str
        Label -> value, in the order shown.
    """
    return {
        label("as_of_month", language): clock.as_of_label,
        label("data_cutoff", language): label(
            "data_cutoff_value", language, cutoff=clock.cutoff_label, lag=clock.data_lag
        ),
        label("price_level", language): label("price_level_value", language, year=run.price_level),
        label("min_persons", language): str(run.min_persons),
        label("version", language): __version__,
    }


def development_history(history: pd.DataFrame, results: pd.DataFrame, as_of_label: str) -> pd.DataFrame:
    """The earlier months' current rows with this run's results as month ``as_of_label`` (a rerun replaces it).

    Only months up to the report's as-of are shown: a report for 2022-04 made
    after 2022-06 was published shows 2022-04 and the months before it, as the
    report made in 2022-04 did (``as_of`` labels ``YYYY-MM`` compare as text).

    Parameters
    ----------
    history : DataFrame
        The history's current rows (with ``as_of``), e.g. :func:`~survival_invest.report.published.current_rows`.
    results : DataFrame
        This run's long results.
    as_of_label : str
        This run's month; its stored rows are replaced by ``results``, later months left out.

    Returns
    -------
    DataFrame
        The stored rows of the months before ``as_of_label``, then this run's rows (``as_of`` set).
    """
    earlier = history[history["as_of"].astype(str) < as_of_label]
    frames = [results.assign(as_of=as_of_label)]
    return pd.concat(frames if earlier.empty else [earlier, *frames], ignore_index=True)


def development_png(history: pd.DataFrame, language: Language, names: Mapping[str, str]) -> bytes | None:
    """The development plot (:func:`~survival_invest.report.plots.development_figure`) as PNG; None when empty.

    Parameters
    ----------
    history : DataFrame
        Long results rows of every month (:func:`development_history`).
    language : {"da", "en"}
        Labels and decimal mark.
    names : mapping of case id to name
        The cases' names for the legend.

    Returns
    -------
    bytes or None
    """
    fig = development_figure(history, language, names)
    return None if fig is None else png_svg(fig)[0]


def report_document(
    portfolio: Portfolio,
    clock: RunClock,
    results: pd.DataFrame,
    cases: Sequence[CasePage],
    *,
    history: pd.DataFrame,
    warnings: Sequence[str],
) -> ReportDocument:
    """The run's HTML page and workbook sheets.

    Parameters
    ----------
    portfolio : Portfolio
        The config (language, price level, targets, case names).
    clock : RunClock
        The run's as-of month and cut-off.
    results : DataFrame
        The run's long results (small numbers already suppressed).
    cases : sequence of CasePage
        Every case's page, in the config's order.
    history : DataFrame
        The current history rows of every month (:func:`~survival_invest.report.history.current_history`).
    warnings : sequence of str
        The run's warnings, listed on the page.

    Returns
    -------
    ReportDocument
        Sheets in order: each case, the reduction targets (when configured), the portfolio, the results.
    """
    language = portfolio.run.language
    sheets: dict[str, pd.DataFrame] = {f"{label('case', language)} {c.id}": c.table for c in cases}
    shown, summary = portfolio_display(portfolio_table(results, kind="budget"), language)
    targets = None if portfolio.targets is None else targets_table(results, portfolio.targets, language)
    if targets is not None:
        sheets[label("sheet_targets", language)] = targets
    sheets[label("sheet_portfolio", language)] = shown
    sheets[label("sheet_results", language)] = results.set_index("case_id")  # index header: case_id
    development = development_history(history, results, clock.as_of_label)
    page = html_report(
        title=label("title", language, as_of=clock.as_of_label),
        language=language,
        meta=report_meta(portfolio.run, clock, language),
        cases=[c.block() for c in cases],
        portfolio=shown,
        development_png=development_png(development, language, {c.id: c.name for c in portfolio.cases}),
        notes=warnings,
        targets=targets,
        summary=summary,
    )
    return ReportDocument(page, sheets)
