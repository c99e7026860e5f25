"""An adjusted case's page: the participants' and the adjusted comparison curve, and the adjusted area (issue 16).

A case with ``comparison = "adjusted"`` gets its figures from the adjusted
counterfactual (:mod:`survival_invest.pipeline.adjusted`), so its figure draws
the two arms of the run's :class:`~survival_invest.adjust.AdjustedCurves`
(kept in :attr:`~survival_invest.pipeline.portfolio.PortfolioRun.adjusted`, not
refitted here) with their pointwise bands, and the area in its legend is
:attr:`AdjustedCurves.area <survival_invest.adjust.AdjustedCurves.area>`, the
method and estimand named. Each adjusted curve is drawn while the observed
group behind it has at least ``min_persons`` persons at risk (the same rule as
the Kaplan-Meier curves). The risk table stays the observed persons at risk;
its rows say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from survival_invest.adjust import AdjustedCurves
from survival_invest.choices import Language
from survival_invest.estimate import SurvivalCurve
from survival_invest.report.i18n import decimal_text, label

__all__ = ["AdjustedCurve", "DrawnCurve", "adjusted_area_text", "adjusted_pair", "observed_risk_label"]


class DrawnCurve(Protocol):
    """What the case figure draws: a label, an event-time table and ``S(t)`` (a Kaplan-Meier or adjusted curve)."""

    @property
    def label(self) -> str:
        """The legend's name."""
        ...

    @property
    def table(self) -> pd.DataFrame:
        """``time, at_risk, survival, lower, upper`` (at least)."""
        ...

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """``S(t)`` at ``times``."""
        ...

    def at_risk_at(self, times: ArrayLike) -> pd.Series:
        """Persons at risk at ``times``."""
        ...


@dataclass(frozen=True)
class AdjustedCurve:
    """One arm of the adjusted curves as the figure draws it, with the observed group's persons at risk.

    Attributes
    ----------
    label : str
        The legend's name.
    table : DataFrame
        ``time, at_risk, survival, lower, upper`` for ``time = 0 .. tau`` (the last row repeats ``tau - 1``'s).
    """

    label: str
    table: pd.DataFrame

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """``S(t)`` at (month) ``times``: 1 before 0, carried flat beyond ``tau - 1`` (the table's last row)."""
        t = np.asarray(times, dtype=np.float64)
        s = self.table["survival"].to_numpy()
        idx = np.clip(np.floor(t), 0, s.size - 1).astype(np.int64)
        return np.where(t < 0, 1.0, s[idx])

    def at_risk_at(self, times: ArrayLike) -> pd.Series:
        """The observed group's persons at risk at (month) ``times`` (0 beyond the table's last row, ``tau``)."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        n = self.table["at_risk"].to_numpy()
        idx = np.clip(np.floor(t), 0, n.size - 1).astype(np.int64)
        return pd.Series(np.where(t > n.size - 1, 0.0, n[idx]), index=t, name="at_risk")


def _arm(fit: AdjustedCurves, group: str, observed: SurvivalCurve, name: str) -> AdjustedCurve:
    """One arm of ``fit``, its at-risk column the observed group's persons at risk at each month.

    A last row at ``tau`` repeats ``S(tau - 1)``: the step over ``[tau - 1, tau)`` is drawn, so the hatched area
    is the area the legend states (``sum_{t < tau} S(t)``).
    """
    tab = fit.curve(group)
    times = np.append(tab["time"].to_numpy(), fit.tau).astype(np.float64)
    table = pd.DataFrame(
        {
            "time": times,
            "at_risk": observed.at_risk_at(times).to_numpy(),
            **{c: np.append(tab[c].to_numpy(), tab[c].to_numpy()[-1]) for c in ("survival", "lower", "upper")},
        }
    )
    return AdjustedCurve(name, table)


def adjusted_pair(
    fit: AdjustedCurves, comparison: SurvivalCurve, intervention: SurvivalCurve, language: Language
) -> tuple[AdjustedCurve, AdjustedCurve]:
    """The adjusted comparison and intervention curves, named with the method (ATE: both arms adjusted).

    Parameters
    ----------
    fit : AdjustedCurves
        The case's adjusted curves from the run.
    comparison, intervention : SurvivalCurve
        The observed Kaplan-Meier curves (their persons at risk decide how far each curve is drawn).
    language : {"da", "en"}
        The labels' language.

    Returns
    -------
    (AdjustedCurve, AdjustedCurve)
        Comparison, intervention.
    """
    method = fit.method.upper()
    c_name = label("curve_comparison_adjusted", language, method=method)
    i_name = (
        label("curve_intervention", language)
        if fit.estimand == "att"  # the participants' own curve
        else label("curve_intervention_adjusted", language, method=method)
    )
    return _arm(fit, "comparison", comparison, c_name), _arm(fit, "intervention", intervention, i_name)


def adjusted_area_text(fit: AdjustedCurves, horizon: str, language: Language) -> str:
    """The figure's area line: the adjusted area (method, estimand) with its interval, to ``horizon``.

    Parameters
    ----------
    fit : AdjustedCurves
        The case's adjusted curves; :attr:`~survival_invest.adjust.AdjustedCurves.area` is shown.
    horizon : str
        The horizon as text (:func:`survival_invest.report.horizon.horizon_text`).
    language : {"da", "en"}
        The label's language and decimal mark.

    Returns
    -------
    str
    """
    area = fit.area
    values = {k: decimal_text(f"{getattr(area, k):.2f}", language) for k in ("value", "lower", "upper")}
    return label(
        "figure_area_adjusted",
        language,
        method=fit.method.upper(),
        estimand=fit.estimand.upper(),
        horizon=horizon,
        **values,
    )


def observed_risk_label(name: str, language: Language) -> str:
    """A risk table row's name on an adjusted case's page: the observed group, unadjusted."""
    return label("risk_observed", language, curve=name)
