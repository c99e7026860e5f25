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
from survival_invest.adjust import AdjustedCurves
from survival_invest.choices import Language
from survival_invest.config import CaseConfig, Portfolio, RunConfig, Targets
from survival_invest.economics.horizon import case_area, case_horizon
from survival_invest.economics.portfolio import PORTFOLIO_ID, case_rows
from survival_invest.estimate import Estimate
from survival_invest.io.periods import RunClock
from survival_invest.report.adjusted import DrawnCurve, adjusted_area_text, adjusted_pair, observed_risk_label
from survival_invest.report.destinations import destinations_html
from survival_invest.report.development import development_history, development_png
from survival_invest.report.horizon import horizon_text, tail_lines
from survival_invest.report.i18n import label
from survival_invest.report.plots import case_figure, png_svg, suppressed_until
from survival_invest.report.risk import risk_counts, risk_times, suppress_risk_counts
from survival_invest.report.summary import portfolio_notes, summary_paragraph
from survival_invest.report.tables import (
    CASE_MEASURES,
    KEY_FIGURES,
    PORTFOLIO_MEASURES,
    case_table,
    estimate_rows,
    portfolio_sheet,
    reduction_targets_table,
    targets_display,
    with_case_totals,
)
from survival_invest.report.writers import html_report
from survival_invest.stats import CaseStatistics

__all__ = [
    "CasePage",
    "ReportDocument",
    "case_page",
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
    rows: pd.DataFrame | None = None
    risk: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    alt: str = ""
    destinations: str = ""  # destinations = true: the plot and share table (report.destinations), HTML

    def block(self) -> dict[str, Any]:
        """The case as :func:`~survival_invest.report.writers.html_report` takes it."""
        block: dict[str, Any] = {"id": self.id, "name": self.name, "table": self.table, "settings": dict(self.settings)}
        if self.png is not None:
            block["png"] = self.png
            block["alt"] = self.alt
        if self.rows is not None:
            block["rows"] = self.rows
        if self.risk:
            block["risk"] = dict(self.risk)
        if self.destinations:
            block["destinations"] = self.destinations
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
        label("setting_comparison", language): _comparison_text(case, language),
        label("setting_curve", language): label(f"choice_{case.curve}", language),
        label("setting_durable_exit", language): case.durable_exit,
        label("setting_horizon_to", language): horizon_text(case_horizon(stats, case), language),
        label("setting_month_rule", language): label(f"choice_{case.month_rule}", language),
        label("setting_participants", language): _shown_count(stats.persons("intervention"), min_persons),
        label("setting_comparison_persons", language): _shown_count(stats.persons("comparison"), min_persons),
        label("setting_uncertainty", language): label(
            "uncertainty_adjusted" if case.adjust else "uncertainty_delta", language
        ),
    }


def _comparison_text(case: CaseConfig, language: Language) -> str:
    """The comparison rule as the settings line says it (an adjusted case: its method and estimand)."""
    if case.adjust is None:
        return label(f"choice_{case.comparison}", language)
    return label("choice_adjusted", language, method=case.adjust.method.upper(), estimand=case.adjust.estimand.upper())


def _realised_basis(results: pd.DataFrame, case_id: str, language: Language) -> str:
    """What the case's realised savings rest on: the payment file or the cost per full-time person (``basis``)."""
    rows = results[
        (results["case_id"] == case_id) & (results["measure"] == "savings") & (results["kind"] == "realised")
    ]
    paid = "basis" in rows.columns and bool((rows["basis"] == "payments").any())
    return label("basis_payments" if paid else "basis_cost_per_fte", language)


def _curves(stats: CaseStatistics, language: Language) -> tuple[Any, Any]:
    """The comparison and intervention curves, named in the report's language."""
    curves = stats.curves()
    comparison = curves.curve("comparison", name=label("curve_comparison", language))
    intervention = curves.curve("intervention", name=label("curve_intervention", language))
    return comparison, intervention


def _risk_tables(stats: CaseStatistics, horizon: int, min_persons: int, language: Language) -> dict[str, pd.DataFrame]:
    """The KMunicate risk table of each group at 0, 6, 12, ... months while the curves are drawn (or to the horizon)."""
    comparison, intervention = _curves(stats, language)
    last = max(suppressed_until(comparison, min_persons), suppressed_until(intervention, min_persons))
    times = risk_times(min(max(last, 0.0), float(horizon)))
    return {c.label: suppress_risk_counts(risk_counts(c, times), min_persons) for c in (comparison, intervention)}


def _case_images(
    case: CaseConfig,
    stats: CaseStatistics,
    clock: RunClock,
    min_persons: int,
    language: Language,
    fit: AdjustedCurves | None = None,
) -> tuple[bytes, bytes] | None:
    """The case figure as PNG and SVG bytes (``fit``: an adjusted case's curves); None when a group is too small."""
    if stats.persons("comparison") < min_persons or stats.persons("intervention") < min_persons:
        return None
    comparison, intervention = _curves(stats, language)
    curves: tuple[DrawnCurve, DrawnCurve]
    area: Estimate
    if fit is None:
        area, forecast_curves = case_area(stats, case)  # to tau: capped at the last observed, or with the tail
        horizon = horizon_text(forecast_curves.horizon, language)
        shown = (suppressed_until(comparison, min_persons), suppressed_until(intervention, min_persons))
        tails = tail_lines(forecast_curves, shown, (comparison.label, intervention.label), language)
        curves, tau, area_text = (comparison, intervention), float(area.tau), None
    else:  # the adjusted curves and area the case's figures come from (no tail model)
        area, tau, tails = fit.area, float(fit.tau), (None, None)
        horizon = horizon_text(case_horizon(stats, case), language)
        curves, area_text = (
            adjusted_pair(fit, comparison, intervention, language),
            adjusted_area_text(fit, horizon, language),
        )
    fig = case_figure(
        *curves,
        tau=tau,
        area=area,
        horizon=horizon,
        tails=tails,
        area_text=area_text,
        longest_follow_up=float(clock.cutoff - stats.first_entry),
        cutoff_label=clock.cutoff_label,
        min_persons=min_persons,
        language=language,
        title=case.name,
        at_risk=False,
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
    persons: pd.DataFrame | None = None,
    adjusted: AdjustedCurves | None = None,
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
    persons : DataFrame, optional
        The cohort's persons (with ``destination``): a case with ``destinations = true`` shows where they went.
    adjusted : AdjustedCurves, optional
        An adjusted case's curves from the run (``PortfolioRun.adjusted``): the figure draws them and its area.

    Returns
    -------
    CasePage
    """
    table = case_table(results, case.id, language=language)
    rows = estimate_rows(with_case_totals(results, case.id), case.id, (*CASE_MEASURES, *KEY_FIGURES), language)
    if statistics is None:
        settings: dict[str, object] = {label("setting_follow_up", language): label("follow_up_count", language)}
        return CasePage(case.id, case.name, table, settings, rows=rows)
    images = _case_images(case, statistics, clock, min_persons, language, adjusted)
    settings = _survival_settings(case, statistics, min_persons, language)
    settings[label("setting_realised_basis", language)] = _realised_basis(results, case.id, language)
    if images is None:
        return CasePage(case.id, case.name, table, settings, rows=rows)
    risk = _risk_tables(statistics, case.horizon, min_persons, language)
    risk = risk if adjusted is None else {observed_risk_label(k, language): v for k, v in risk.items()}
    alt = label("alt_case", language, id=case.id, tau=case.horizon)
    where = (
        destinations_html(persons, min_persons, language, tau=case.horizon, case_title=f"{case.id}. {case.name}")
        if case.destinations and persons is not None
        else ""
    )
    return CasePage(
        case.id, case.name, table, settings, images[0], images[1], rows=rows, risk=risk, alt=alt, destinations=where
    )


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
    cases = case_rows(results)
    fc = cases[(cases["measure"] == "savings") & (cases["kind"] == "forecast")]
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


def report_document(
    portfolio: Portfolio,
    clock: RunClock,
    results: pd.DataFrame,
    cases: Sequence[CasePage],
    *,
    history: pd.DataFrame,
    warnings: Sequence[str],
    interval_rule: str = "independent",
) -> ReportDocument:
    """The run's HTML page and workbook sheets.

    Parameters
    ----------
    portfolio : Portfolio
        The config (language, price level, targets, case names).
    clock : RunClock
        The run's as-of month and cut-off.
    results : DataFrame
        The run's long results (small numbers already suppressed), with the
        portfolio's rows (:func:`~survival_invest.economics.portfolio.with_portfolio`).
    cases : sequence of CasePage
        Every case's page, in the config's order.
    history : DataFrame
        The current history rows of every month (:func:`~survival_invest.report.history.current_history`).
    warnings : sequence of str
        The run's warnings, listed on the page.
    interval_rule : {"independent", "joint", "shared"}
        The portfolio interval's rule (:func:`~survival_invest.economics.portfolio.interval_rule`; the caption says it).

    Returns
    -------
    ReportDocument
        Sheets in order: each case, the reduction targets (when configured), the portfolio, the results.
    """
    language = portfolio.run.language
    names = {c.id: c.name for c in portfolio.cases}
    sheets: dict[str, pd.DataFrame] = {f"{label('case', language)} {c.id}": c.table for c in cases}
    rows = estimate_rows(results, PORTFOLIO_ID, (*PORTFOLIO_MEASURES, *KEY_FIGURES), language)
    targets = None if portfolio.targets is None else targets_table(results, portfolio.targets, language)
    if targets is not None:
        sheets[label("sheet_targets", language)] = targets
    sheets[label("sheet_portfolio", language)] = portfolio_sheet(rows, language)
    sheets[label("sheet_results", language)] = results.set_index("case_id")  # index header: case_id
    development = development_history(history, results, clock.as_of_label)
    rule = label(f"rule_{interval_rule}", language)
    page = html_report(
        title=label("title", language, as_of=clock.as_of_label),
        language=language,
        meta=report_meta(portfolio.run, clock, language),
        cases=[c.block() for c in cases],
        portfolio=rows,
        development_png=development_png(development, language, names, clock.data_lag),
        notes=warnings,
        targets=targets,
        summary=summary_paragraph(results, clock, names, language),
        portfolio_notes=[rule, *portfolio_notes(results, names, language)],
        min_persons=portfolio.run.min_persons,
        header=label(
            "pdf_header",
            language,
            as_of=clock.as_of_label,
            cutoff=clock.cutoff_label,
            price=label("price_level_value", language, year=portfolio.run.price_level),
        ),
        development_months=sorted(str(m) for m in development["as_of"].unique()),
    )
    return ReportDocument(page, sheets)
