"""The report's figures: a case's curves, the development of realised savings, and their PNG/SVG bytes.

The case figure shows both curves with bands, the area between them, persons
at risk and the cut-off. Small numbers are protected: each curve is drawn only
while at least ``min_persons`` persons are at risk (a point resting on fewer
could identify people), and at-risk counts below the minimum are shown as
``<N``. Labels and number formats come from :mod:`survival_invest.report.i18n`.
matplotlib is imported inside the functions (importing the package does not
import it).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from survival_invest.choices import Language
from survival_invest.economics.portfolio import PORTFOLIO_ID
from survival_invest.estimate import AreaBetween, Estimate, SurvivalCurve
from survival_invest.estimate.plot import plot_curves, shade_between
from survival_invest.report.adjusted import AdjustedCurve, DrawnCurve
from survival_invest.report.i18n import decimal_text, format_count, has_decimal_comma, label

__all__ = [
    "case_figure",
    "curves_figure",
    "decimal_comma_axis",
    "development_figure",
    "development_totals",
    "plain_text",
    "png_svg",
    "suppressed_until",
]

_COLORS = ("tab:blue", "tab:orange")


def plain_text(text: str) -> str:
    """Text from the config or the data (a case name) as matplotlib shows it literally: every ``$`` escaped.

    Rule: matplotlib reads text between two ``$`` as mathtext (``$\\frac$``
    fails to parse, ``$x$`` is typeset); ``\\$`` is a literal dollar sign. Titles use
    ``parse_math=False`` instead; legends and other labels take this function.
    """
    return text.replace("$", r"\$")


def suppressed_until(curve: DrawnCurve, min_persons: int) -> float:
    """Last time at which at least ``min_persons`` persons are at risk (curve drawn up to it)."""
    tab = curve.table
    ok = tab["at_risk"].to_numpy() >= min_persons
    if not ok.any():
        return -np.inf
    # at-risk counts only fall with time (no delayed entry in cohorts): the first failing row ends the curve
    first_bad = np.flatnonzero(~ok)
    last_ok = (
        tab["time"].to_numpy()[first_bad[0] - 1]
        if first_bad.size and first_bad[0] > 0
        else tab["time"].to_numpy()[ok][-1]
    )
    return float(last_ok) if first_bad.size else float(tab["time"].to_numpy()[-1])


def _pyplot() -> Any:
    """matplotlib's pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_svg(fig: Any, dpi: int = 110) -> tuple[bytes, bytes]:
    """The figure as PNG and SVG bytes (``dpi`` dots per inch, tight box); the figure is closed."""
    plt = _pyplot()
    out = []
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
        out.append(buf.getvalue())
    plt.close(fig)
    return out[0], out[1]


def decimal_comma_axis(ax: Any, language: Language, spec: str) -> None:
    """Write the y tick labels as ``format(v, spec)`` with a decimal comma, for languages that use one.

    Parameters
    ----------
    ax : matplotlib Axes
        The axes whose y tick labels are re-formatted (unchanged for a decimal-point language).
    language : {"da", "en"}
        The report's language.
    spec : str
        A format spec for the tick value (``"g"``, ``".1f"``).

    Raises
    ------
    KeyError
        An unknown language.
    """
    if not has_decimal_comma(language):
        return
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: decimal_text(format(v, spec), language)))


def _draw_curves(ax: Any, curves: tuple[DrawnCurve, DrawnCurve], min_persons: int, language: Language) -> float:
    """Step curves with their 95 % bands while enough persons are at risk; returns the last time drawn."""
    x_end = 0.0
    for curve, color in zip(curves, _COLORS, strict=True):
        tab = curve.table
        keep = tab["time"].to_numpy() <= suppressed_until(curve, min_persons)
        t = np.concatenate([[0.0], tab["time"].to_numpy()[keep]])
        s = np.concatenate([[1.0], tab["survival"].to_numpy()[keep]])
        lo = np.concatenate([[1.0], tab["lower"].to_numpy()[keep]])
        up = np.concatenate([[1.0], tab["upper"].to_numpy()[keep]])
        ax.step(t, s, where="post", color=color, label=curve.label, linewidth=1.8)
        wald = isinstance(curve, AdjustedCurve)  # an adjusted curve's band is pointwise Wald (report.adjusted)
        name = curve.label[:1].lower() + curve.label[1:]  # "comparison, adjusted (AIPW)": the method keeps its case
        band = label("figure_band_wald" if wald else "figure_band", language, curve=name)
        ax.fill_between(t, lo, up, step="post", color=color, alpha=0.15, linewidth=0, label=band)
        x_end = max(x_end, float(t[-1]))
    return x_end


def _shade_area(
    ax: Any,
    curves: tuple[DrawnCurve, DrawnCurve],
    tau: float,
    area: Estimate,
    *,
    min_persons: int,
    language: Language,
    horizon: str | None = None,
    area_text: str | None = None,
) -> None:
    """Hatch the area between the curves where both are drawn (and up to the horizon), its value in the legend.

    ``horizon``: the horizon as text ("til 27 mdr. (sidst observeret)", :mod:`survival_invest.report.horizon`).
    """
    comparison, intervention = curves
    shade_end = min(float(tau), suppressed_until(comparison, min_persons), suppressed_until(intervention, min_persons))
    grid = np.arange(0, int(max(shade_end, 0)) + 1)

    def num(x: float) -> str:
        """Two decimals with the language's decimal mark."""
        return decimal_text(f"{x:.2f}", language)

    values = {"value": num(area.value), "lower": num(area.lower), "upper": num(area.upper)}
    text = (
        label("figure_area", language, tau=f"{tau:g}", **values)
        if horizon is None
        else label("figure_area_to", language, horizon=horizon, **values)
    )
    text = text if area_text is None else area_text
    ax.fill_between(
        grid,
        comparison.survival_at(grid),
        intervention.survival_at(grid),
        step="post",
        facecolor="none",
        edgecolor="tab:green",
        hatch="///",
        linewidth=0,
        label=text,
    )


def _at_risk_rows(ax: Any, curves: tuple[DrawnCurve, DrawnCurve], min_persons: int, language: Language) -> None:
    """The number at risk under the axes at the x ticks; counts below ``min_persons`` shown as ``<N``."""
    ticks = np.asarray([x for x in ax.get_xticks() if 0 <= x <= ax.get_xlim()[1]])
    trans = ax.get_xaxis_transform()
    ax.text(
        0.0,
        -0.14,
        label("figure_at_risk", language),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize="small",
        fontweight="bold",
    )
    for k, (curve, color) in enumerate(zip(curves, _COLORS, strict=True)):
        counts = curve.at_risk_at(ticks).to_numpy()
        y = -0.21 - 0.06 * k
        ax.text(-0.06, y, curve.label, transform=ax.transAxes, ha="right", va="top", fontsize="small", color=color)
        for x, n in zip(ticks, counts, strict=True):
            text = f"<{min_persons}" if 0 < n < min_persons else format_count(n)
            ax.text(x, y, text, transform=trans, ha="center", va="top", fontsize="small")


def case_figure(
    comparison: DrawnCurve,
    intervention: DrawnCurve,
    *,
    tau: float,
    area: Estimate,
    longest_follow_up: float,
    cutoff_label: str,
    min_persons: int,
    language: Language = "da",
    title: str = "",
    at_risk: bool = True,
    horizon: str | None = None,
    tails: Sequence[tuple[np.ndarray | None, np.ndarray | None, str] | None] = (),
    area_text: str | None = None,
) -> Any:
    """Draw one case's curves, the area between them to ``tau``, the cut-off and the persons at risk.

    Parameters
    ----------
    comparison, intervention : SurvivalCurve or AdjustedCurve
        The two groups' curves (their labels name them in the legend; :mod:`survival_invest.report.adjusted`).
    tau : float
        The horizon (months): the area is shaded up to it and a dotted line marks it.
    area : AreaBetween or Estimate
        The area between the curves to ``tau``, shown in the legend with its 95 % limits.
    longest_follow_up : float
        Months from the first entry to the cut-off (the dashed line).
    cutoff_label : str
        The cut-off month as a label (``2022-05``).
    min_persons : int
        Curves are drawn while at least this many persons are at risk.
    language : {"da", "en"}
        Labels and decimal mark.
    title : str
        The case's name, above the note on small numbers.
    at_risk : bool
        Draw the persons at risk under the axes; the report's page leaves them
        out and shows its risk table instead (:mod:`survival_invest.report.risk`).
    horizon : str, optional
        The horizon as text (capped: "til 27 mdr. (sidst observeret)"), in the area's and the horizon's labels.
    tails : sequence of (time, survival, text) or None, optional
        Per curve (comparison, intervention) the extrapolated part, drawn dashed
        and named in the legend (time None: not drawn, only the text);
        :func:`survival_invest.report.horizon.tail_lines`.
    area_text : str, optional
        The area's legend line in place of the default (an adjusted case names its method and estimand).

    Returns
    -------
    matplotlib Figure
        The caller saves and closes it (:func:`png_svg`).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(12, 6) if at_risk else (11, 5))
    curves = (comparison, intervention)
    x_end = _draw_curves(ax, curves, min_persons, language)
    _shade_area(ax, curves, tau, area, min_persons=min_persons, language=language, horizon=horizon, area_text=area_text)
    for tail, color in zip(tails, _COLORS, strict=False):  # two curves
        if tail is not None:
            t, s, text = tail
            if t is None or s is None:
                ax.plot([], [], color=color, linestyle="--", linewidth=1.4, alpha=0.4, label=text)
            else:
                ax.step(t, s, where="post", color=color, linestyle="--", linewidth=1.4, label=text)
    ax.axvline(
        longest_follow_up,
        color="black",
        linestyle="--",
        linewidth=1,
        label=label("figure_cutoff", language, cutoff=cutoff_label),
    )
    h_text = label("figure_horizon", language, tau=f"{tau:g}")
    h_text = h_text if horizon is None else label("figure_horizon_to", language, horizon=horizon)
    ax.axvline(tau, color="grey", linestyle=":", linewidth=1, label=h_text)
    ax.set_xlim(0, max(x_end, tau, longest_follow_up) + 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label("figure_x", language))
    ax.set_ylabel(label("figure_y", language))
    ax.grid(alpha=0.3)
    adjusted = any(isinstance(c, AdjustedCurve) for c in curves)  # Wald bands of the adjusted fit
    note = label("figure_note_adjusted" if adjusted else "figure_note", language, min_persons=min_persons)
    heading = textwrap.fill(title, 70) + "\n" if title else ""
    ax.set_title(heading + note, fontsize="medium", parse_math=False)  # a case name is text, never mathtext
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    for text in legend.get_texts():  # long entries wrapped: the legend took half the width, the text was tiny
        text.set_text(textwrap.fill(text.get_text(), 46, subsequent_indent="  "))
    decimal_comma_axis(ax, language, ".1f")
    if at_risk:
        _at_risk_rows(ax, curves, min_persons, language)
        fig.subplots_adjust(bottom=0.3, left=0.16, right=0.68)
    else:
        fig.subplots_adjust(left=0.08, right=0.66)
    return fig


def development_totals(history: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Realised savings summed over the years per as-of month and case, and the cases left out as suppressed.

    A month's point is the sum of the case's realised savings of every year shown
    (its suppressed years, NaN, left out: the sum of what the case table shows);
    a point whose years are all suppressed is missing (no line drawn there, never
    0). A case with no point in the newest month (the report's own) is
    suppressed in this report and left out of the chart altogether.

    Returns
    -------
    (DataFrame, list of str)
        Months (sorted) by case id, the cases shown; the ids of the cases left out.
    """
    h = history[(history["measure"] == "savings") & (history["kind"] == "realised")]
    h = h[h["case_id"].astype(str) != PORTFOLIO_ID]  # the portfolio's rows are the cases' sum, not a case
    piv = h.groupby(["as_of", "case_id"])["value"].sum(min_count=1).unstack("case_id").sort_index()
    if piv.empty:
        return piv, []
    hidden = [str(c) for c in piv.columns if pd.isna(piv[c].iloc[-1])]
    return piv.drop(columns=[c for c in piv.columns if str(c) in hidden]), hidden


def development_figure(
    history: pd.DataFrame,
    language: Language,
    names: Mapping[str, str] | None = None,
    budget: pd.DataFrame | None = None,
) -> Any:
    """Realised savings (all years to date, mio. kr., shown positive) per case by as-of month.

    Suppressed cases are absent (:func:`development_totals`), named in a note under the chart.
    With ``budget`` each case's budget to date is drawn as a dashed line in the case's colour.

    Parameters
    ----------
    history : DataFrame
        Long results rows with an ``as_of`` column (every month's current run, up to the report's as-of).
    language : {"da", "en"}
        Labels and decimal mark.
    names : mapping of case id to name, optional
        Shown after the case id in the legend, wrapped at 40 characters.
    budget : DataFrame, optional
        Budget to date (mio. kr., signed as savings), as-of months by case id
        (:func:`survival_invest.report.summary.development_budget`).

    Returns
    -------
    matplotlib Figure or None
        None when the history holds no realised savings that may be shown.
    """
    piv, hidden = development_totals(history)
    if piv.empty or piv.columns.empty:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    names = names or {}
    for case_id in piv.columns:
        name = names.get(str(case_id), "")
        # the whole name, wrapped (cut at 38 characters, names that differ only at their end looked alike)
        text = textwrap.fill(f"{case_id}: {name}", 40, subsequent_indent="   ") if name else str(case_id)
        line = ax.plot(piv.index, -piv[case_id], marker="o", label=plain_text(text))[0]
        if budget is not None and case_id in budget.columns:
            ref = budget[case_id].reindex(piv.index)
            ax.plot(piv.index, -ref, linestyle="--", color=line.get_color(), linewidth=1.2)
    if budget is not None and not budget.empty:
        ax.plot([], [], linestyle="--", color="grey", label=label("development_budget", language))
    decimal_comma_axis(ax, language, "g")
    ax.set_ylabel(label("development_y", language))
    ax.set_xlabel(label("as_of_month", language))
    ax.grid(alpha=0.3)
    ax.legend(title=label("case", language), fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    if hidden:
        note = label("development_not_shown", language, cases=", ".join(hidden))
        fig.text(0.01, 0.01, note, fontsize="small", ha="left", va="bottom")
        fig.subplots_adjust(bottom=0.22)
    return fig


def curves_figure(comparison: SurvivalCurve, intervention: SurvivalCurve, tau: float, area: AreaBetween) -> Any:
    """The ``curves`` command's figure: both curves with bands and persons at risk, the area to ``tau`` shaded.

    Parameters
    ----------
    comparison, intervention : SurvivalCurve
        The two groups' curves.
    tau : float
        The horizon of the area (periods).
    area : AreaBetween
        The area between the curves to ``tau``, in the legend with its 95 % limits.

    Returns
    -------
    matplotlib Figure
        The caller saves and closes it (:func:`png_svg`).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plot_curves([comparison, intervention], ax=ax, at_risk=True)
    text = f"area to {tau:g}: {area.value:.2f} [{area.lower:.2f}, {area.upper:.2f}]"
    shade_between(ax, comparison, intervention, tau, label=text)
    ax.set_title("Share still on public support since entry")
    return fig
