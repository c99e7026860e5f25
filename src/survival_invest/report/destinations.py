"""Where people went: a case's destinations for the report (``destinations = true``).

Three pure parts, from a cohort's persons (``Cohort.persons`` with its
``destination`` column, :mod:`survival_invest.cohort.destinations`):

* :func:`destination_curves`: the Aalen-Johansen cumulative incidence of each
  destination per group (:func:`survival_invest.cumulative_incidence`);
* :func:`destination_shares`: the table "share in job / education / flex job /
  other (and still on support) at 6, 12, 24 months" per group; a group with
  fewer than ``min_persons`` persons is shown as suppressed (NaN), never as a
  figure;
* :func:`saved_months_by_destination`: the months by destination, the
  difference in cause-specific restricted mean time lost (intervention minus
  comparison: the extra months the participants spent in each destination
  by ``tau``; they sum to the months of support saved) with its interval, as rows of the long results table
  (``measure = "months_in_<destination>"``, ``kind = "realised"``);

and :func:`plot_destinations`, the stacked cumulative-incidence plot per
group (matplotlib imported inside); :func:`destinations_html` puts the plot
and the share table on a case's page (``destinations = true``; labels from
:mod:`survival_invest.report.i18n`, shares in per cent, a group below
``min_persons`` shown as ``<N persons`` with no figure).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from survival_invest.choices import Language
from survival_invest.estimate.competing import CumulativeIncidence, cumulative_incidence
from survival_invest.io.classification import DESTINATIONS
from survival_invest.report.i18n import format_mkr, label
from survival_invest.report.plots import decimal_comma_axis, png_svg

__all__ = [
    "SHARE_MONTHS",
    "destination_curves",
    "destination_shares",
    "destinations_html",
    "plot_destinations",
    "saved_months_by_destination",
]

#: The months of the share table.
SHARE_MONTHS = (6, 12, 24)


def destination_codes(persons: pd.DataFrame) -> np.ndarray:
    """Destination code per person: 0 censored, ``1 + position`` in :data:`DESTINATIONS` for an exit."""
    dest = persons["destination"].astype("string")
    codes = np.zeros(len(persons), dtype=np.int64)
    for k, name in enumerate(DESTINATIONS):
        codes[(dest == name).fillna(False).to_numpy()] = k + 1
    exits = persons["event"].to_numpy().astype(bool)
    codes[exits & (codes == 0)] = DESTINATIONS.index("other") + 1  # an exit without a destination
    codes[~exits] = 0
    return codes


def destination_curves(persons: pd.DataFrame) -> CumulativeIncidence:
    """Cumulative incidence of every destination per group, all four reported (0 where none occurs)."""
    return cumulative_incidence(
        persons["duration"].to_numpy(),
        destination_codes(persons),
        persons["group"].astype(str).to_numpy(),
        causes=list(range(1, len(DESTINATIONS) + 1)),
    )


def destination_shares(persons: pd.DataFrame, min_persons: int, months: Sequence[int] = SHARE_MONTHS) -> pd.DataFrame:
    """Share of each group in each destination (and still on support) ``months`` after entry.

    Parameters
    ----------
    persons : DataFrame
        ``group, duration, event, destination`` per person.
    min_persons : int
        Groups with fewer persons are suppressed (all their shares NaN, ``shown`` False).
    months : sequence of int
        The months of the table (default 6, 12, 24).

    Returns
    -------
    DataFrame
        ``group, month, persons, shown``, one column per destination and
        ``on_support`` (``S(t)``); each row's shares sum to 1.
    """
    fit = destination_curves(persons)
    inc = fit.incidence_at(list(months))
    wide = inc.pivot_table(index=["group", "time"], columns="cause", values="incidence").reset_index()
    wide.columns = ["group", "month", *DESTINATIONS]
    wide["month"] = wide["month"].astype(int)
    wide["on_support"] = 1.0 - wide[list(DESTINATIONS)].sum(axis=1)
    sizes = persons["group"].astype(str).value_counts()
    wide.insert(2, "persons", wide["group"].map(sizes).astype(int))
    wide.insert(3, "shown", wide["persons"] >= min_persons)
    wide.loc[~wide["shown"], [*DESTINATIONS, "on_support"]] = np.nan
    return wide


def saved_months_by_destination(persons: pd.DataFrame, case_id: str, tau: int, min_persons: int) -> pd.DataFrame:
    """Extra months the participants spent in each destination by ``tau``, as long results rows.

    Parameters
    ----------
    persons : DataFrame
        ``group`` (``comparison``/``intervention``), ``duration``, ``event``, ``destination``.
    case_id : str
    tau : int
        Horizon (months).
    min_persons : int
        Below this many persons in either group the values are NaN.

    Returns
    -------
    DataFrame
        ``case_id, year, measure, kind, value, lower, upper, unit`` (the
        results table's columns; ``year`` missing: the figure is per case),
        ``measure = "months_in_<destination>"``: ``RMTL_k`` of the
        intervention minus that of the comparison group.
    """
    fit = destination_curves(persons)
    diff = fit.rmtl_difference("comparison", "intervention", tau)  # intervention minus comparison; sums to the area
    small = (
        persons["group"].astype(str).value_counts().reindex(["comparison", "intervention"]).fillna(0).min()
        < min_persons
    )
    rows = []
    for cause, value, lower, upper in zip(diff["cause"], diff["value"], diff["lower"], diff["upper"], strict=True):
        name = DESTINATIONS[int(cause) - 1]
        v, lo, hi = float(value), float(lower), float(upper)
        if small:
            v = lo = hi = float("nan")
        rows.append(
            {
                "case_id": str(case_id),
                "year": pd.NA,
                "measure": f"months_in_{name}",
                "kind": "realised",
                "value": v,
                "lower": lo,
                "upper": hi,
                "unit": "months per participant",
            }
        )
    return pd.DataFrame(rows)


def plot_destinations(
    persons: pd.DataFrame, min_persons: int, *, tau: int = 36, ax: Any = None, language: Language | None = None
) -> Any:
    """Stacked cumulative incidence of the destinations, one panel per group (suppressed groups left empty).

    Parameters
    ----------
    persons : DataFrame
        ``group, duration, event, destination``.
    min_persons : int
        Groups with fewer persons are not drawn (the panel says so).
    tau : int
        Last month drawn.
    ax : sequence of matplotlib Axes, optional
        One per group; default a new figure.
    language : {"da", "en"}, optional
        Titles, axes and legend from :mod:`survival_invest.report.i18n`; None: the column values in English.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    fit = destination_curves(persons)
    groups = sorted(persons["group"].astype(str).unique())
    if ax is None:
        fig, grid = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), sharey=True, squeeze=False)
        axes: list[Any] = list(grid[0])
    else:
        axes = list(np.atleast_1d(ax))
        fig = axes[0].figure
    t = np.arange(tau + 1)
    inc = fit.incidence_at(t)
    sizes = persons["group"].astype(str).value_counts()
    text = _plot_texts(language, min_persons)
    for a, g in zip(axes, groups, strict=False):
        a.set_title(g if language is None else label(f"curve_{g}", language))
        a.set_xlabel(text["x"])
        if sizes.get(g, 0) < min_persons:
            a.text(0.5, 0.5, text["small"], ha="center", transform=a.transAxes)
            continue
        stack = [
            inc[(inc["group"] == g) & (inc["cause"] == k + 1)]["incidence"].to_numpy() for k in range(len(DESTINATIONS))
        ]
        names = [d.replace("_", " ") if language is None else label(f"destination_{d}", language) for d in DESTINATIONS]
        a.stackplot(t, *stack, labels=names, step="post", alpha=0.8)
        a.set_xlim(0, tau)
        a.set_ylim(0, 1)
    axes[0].set_ylabel(text["y"])
    if language is not None:  # "0,2" on a Danish page, as on the case figure (sharey: one axis formats all)
        decimal_comma_axis(axes[0], language, ".1f")
    drawn = [a for a in axes if a.get_legend_handles_labels()[0]]
    if drawn:  # one legend under the panels: inside a panel it covers the stack once a group passes ~60 %
        handles, names = drawn[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(names), frameon=False)
    return fig


def _plot_texts(language: Language | None, min_persons: int) -> dict[str, str]:
    """The plot's axis and suppression texts: English without a language, else the report's labels."""
    if language is None:
        return {
            "x": "months since entry",
            "y": "share left support, by destination",
            "small": f"fewer than {min_persons} persons",
        }
    return {
        "x": label("destinations_months", language),
        "y": label("destinations_share", language),
        "small": label("destinations_suppressed", language, n=min_persons),
    }


def destinations_html(
    persons: pd.DataFrame, min_persons: int, language: Language, *, tau: int = 36, case_title: str = ""
) -> str:
    """The case page's destinations part: a heading, the stacked plot (PNG) and the share table.

    Parameters
    ----------
    persons : DataFrame
        ``group, duration, event, destination`` per person (``Cohort.persons``).
    min_persons : int
        A group with fewer persons is not drawn and its shares are shown as ``<min_persons``.
    language : {"da", "en"}
        The report's language (labels and the decimal mark).
    tau : int
        Last month of the plot.
    case_title : str, optional
        The case's "id. name", added to the heading, so that the part still
        names its case where it stands alone (on its own PDF page).

    Returns
    -------
    str
        An HTML fragment (``<div class="destinations">``).
    """
    fig = plot_destinations(persons, min_persons, tau=tau, language=language)
    png, _ = png_svg(fig)
    shares = destination_shares(persons, min_persons)
    months = ", ".join(str(m) for m in SHARE_MONTHS)
    month = label("destinations_month", language)
    names = [label(f"destination_{d}", language) for d in (*DESTINATIONS, "on_support")]
    head = f'<th scope="col">{html.escape(month)}</th>' + "".join(
        f'<th scope="col">{html.escape(n)}</th>' for n in names
    )
    body = []
    for group, rows in shares.groupby("group", sort=False):  # two groups, each under its heading row
        name = html.escape(label(f"curve_{group}", language))
        body.append(f'<tbody><tr class="group"><th scope="rowgroup" colspan="{len(names) + 1}">{name}</th></tr>')
        body += [_share_row(r, names, month, min_persons, language) for r in rows.to_dict("records")]
        body.append("</tbody>")
    caption = html.escape(label("destinations_caption", language, months=months))
    heading = label("destinations_heading", language)
    alt = html.escape(f"{heading} {case_title}" if case_title else heading)
    return (
        f'<div class="destinations"><h3>{alt}</h3>'
        f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f'<table class="est dest"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
        + "".join(body)
        + "</table></div>"
    )


def _share_row(r: Mapping[Any, Any], names: list[str], month: str, min_persons: int, language: Language) -> str:
    """One month's row: shares in per cent, right-aligned, each cell labelled for the phone layout (``data-label``)."""
    head = f'<th scope="row" data-label="{html.escape(month)}">{int(r["month"])}</th>'
    if not r["shown"]:
        small = html.escape(label("destinations_suppressed", language, n=min_persons))
        return f'<tr>{head}<td colspan="{len(names)}">{small}</td></tr>'
    values = [format_mkr(100.0 * float(r[d]), language, 1) + " %" for d in (*DESTINATIONS, "on_support")]
    cells = "".join(
        f'<td class="num" data-label="{html.escape(n)}">{v}</td>' for n, v in zip(names, values, strict=True)
    )
    return f"<tr>{head}{cells}</tr>"
