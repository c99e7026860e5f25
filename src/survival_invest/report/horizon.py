"""How the report says how far a case's curve-based figures reach, and the dashed extrapolated curves.

Texts: "til 27 mdr. (sidst observeret)" / "to 27 months (last observed)" when
no tail is declared and the cap binds; "til 36 mdr. (fra 28 mdr.: eksponentiel
hale, ekstrapoleret)" when a declared tail supplies the months beyond the last
observed duration (:func:`horizon_text`). The figure draws each group's
extrapolated part dashed (:func:`tail_lines`) only when the group's curve is
itself drawn up to its last observed duration: the tail is anchored at the
Kaplan-Meier value there, and where that value rests on fewer than
``min_persons`` persons at risk the dashed part would show it, so it is left
out and the legend says so.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from survival_invest.choices import Language
from survival_invest.economics.horizon import CaseHorizon, ForecastCurves
from survival_invest.report.i18n import label

__all__ = ["TailLine", "horizon_text", "tail_lines"]


def horizon_text(horizon: CaseHorizon, language: Language) -> str:
    """The horizon as the settings line, the figure and the table say it (module docstring)."""
    tau = f"{horizon.tau:g}"
    if horizon.capped:
        return label("horizon_last_observed", language, tau=tau)
    if horizon.extrapolated:
        tail = label(f"tail_{horizon.tail}", language)
        return label("horizon_extrapolated", language, tau=tau, start=horizon.last_observed + 1, tail=tail)
    return label("horizon_plain", language, tau=tau)


class TailLine(NamedTuple):
    """One group's extrapolated part as drawn: durations and ``S`` (None when not drawn), and its legend text."""

    time: np.ndarray | None
    survival: np.ndarray | None
    text: str


def tail_lines(
    curves: ForecastCurves, shown_until: tuple[float, float], names: tuple[str, str], language: Language
) -> tuple[TailLine | None, TailLine | None]:
    """The comparison's and the intervention's dashed tails to ``tau`` (None where nothing is extrapolated).

    Parameters
    ----------
    curves : ForecastCurves
        The case's curves (:func:`~survival_invest.economics.forecast_curves`).
    shown_until : (float, float)
        The last duration each curve is drawn to (:func:`~survival_invest.report.plots.suppressed_until`).
    names : (str, str)
        The curves' names in the legend.
    language : {"da", "en"}

    Returns
    -------
    tuple of (TailLine or None)
        The line of each group starts at its last observed duration ``T`` and runs to ``tau``.
    """
    tau = curves.horizon.tau
    tail = label(f"tail_{curves.horizon.tail}", language) if curves.horizon.tail != "none" else ""
    out: list[TailLine | None] = []
    for curve, shown, name in zip((curves.comparison, curves.intervention), shown_until, names, strict=True):
        beyond = np.flatnonzero(curve.extrapolated[:tau])
        if curve.fit is None or beyond.size == 0:
            out.append(None)
            continue
        last = curve.fit.last_observed
        if shown < last:
            out.append(TailLine(None, None, label("figure_tail_hidden", language, curve=name)))
            continue
        t = np.arange(last, tau + 1)  # the last step drawn to tau itself
        out.append(
            TailLine(
                t.astype(np.float64),
                np.append(curve.survival[last:tau], curve.survival[tau - 1]),
                label("figure_tail", language, curve=name, tail=tail),
            )
        )
    return out[0], out[1]
