"""Point estimates with uncertainty: RMST, medians and the area between curves."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from survival_invest.errors import InputError
from survival_invest.estimate.summaries import z_value

__all__ = ["AreaBetween", "Estimate"]


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else ("nan" if math.isnan(x) else f"{x:.4g}")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with standard error and a (1 - alpha) confidence interval.

    ``se`` is NaN where the interval is not a Wald interval (e.g. a median,
    whose limits are read off the confidence band).
    """

    value: float
    se: float
    lower: float
    upper: float
    alpha: float = 0.05
    label: str = ""

    def to_dict(self) -> dict[str, float | str]:
        """The fields as a plain dict (for DataFrames and JSON)."""
        return asdict(self)

    def _repr_html_(self) -> str:
        level = f"{100 * (1 - self.alpha):g} %"
        label = f"<b>{self.label}</b>: " if self.label else ""
        se = "" if math.isnan(self.se) else f" (SE {_fmt(self.se)})"
        return f"<div>{label}{_fmt(self.value)}{se}, {level} CI [{_fmt(self.lower)}, {_fmt(self.upper)}]</div>"

    def __str__(self) -> str:
        label = f"{self.label}: " if self.label else ""
        se = "" if math.isnan(self.se) else f" (SE {_fmt(self.se)})"
        return f"{label}{_fmt(self.value)}{se}, {100 * (1 - self.alpha):g}% CI [{_fmt(self.lower)}, {_fmt(self.upper)}]"


def wald(value: float, variance: float, alpha: float, label: str = "") -> Estimate:
    """Wald estimate ``value +/- z sqrt(variance)`` with ``z = Phi^{-1}(1 - alpha / 2)``.

    Parameters
    ----------
    value : float
    variance : float
        Variance of the estimate; a non-positive one gives ``se = 0``.
    alpha : float
        1 - confidence level.
    label : str

    Returns
    -------
    Estimate
    """
    se = math.sqrt(variance) if variance > 0 else 0.0
    z = z_value(alpha)
    return Estimate(float(value), se, float(value - z * se), float(value + z * se), alpha, label)


@dataclass(frozen=True)
class AreaBetween(Estimate):
    """Area between two survival curves up to ``tau``: ``RMST_comparison - RMST_intervention``.

    Positive when the intervention shortens the time on support. ``value``,
    ``se``, ``lower``, ``upper`` describe the difference (Wald interval,
    ``SE = sqrt(V_comparison + V_intervention)``, independent groups, as in
    survRM2). ``ratio`` is ``RMST_intervention / RMST_comparison`` with a
    delta-method interval on the log scale,
    ``SE(log ratio) = sqrt(V_i / mu_i^2 + V_c / mu_c^2)``.
    """

    tau: float = math.nan
    p_value: float = math.nan
    comparison: Estimate | None = None
    intervention: Estimate | None = None
    ratio: Estimate | None = field(default=None)

    def _repr_html_(self) -> str:
        head = super()._repr_html_()
        extra = ""
        if self.comparison is not None and self.intervention is not None:
            extra = (
                f"<div>tau = {_fmt(self.tau)}; RMST comparison {_fmt(self.comparison.value)}, "
                f"intervention {_fmt(self.intervention.value)}; p = {_fmt(self.p_value)}</div>"
            )
        return head + extra


def difference(
    comparison: Estimate, intervention: Estimate, tau: float, alpha: float, *, covariance: float = 0.0
) -> AreaBetween:
    """Combine two RMST estimates into :class:`AreaBetween`.

    ``value = RMST_c - RMST_i``, ``SE = sqrt(SE_c^2 + SE_i^2 - 2 Cov)``, Wald interval,
    two-sided ``p = 2 Phi(-|value| / SE)``; the ratio ``RMST_i / RMST_c`` with a
    log-scale delta-method interval when both are positive,
    ``Var log = (SE_i / RMST_i)^2 + (SE_c / RMST_c)^2 - 2 Cov / (RMST_i RMST_c)``.

    Parameters
    ----------
    comparison, intervention : Estimate
        The two groups' RMST to ``tau``.
    tau : float
        The horizon (for the label).
    alpha : float
        1 - confidence level.
    covariance : float, default 0
        ``Cov(RMST_c, RMST_i)``: 0 for independent groups; shared clusters
        (matched sets) of robust fits give it.

    Returns
    -------
    AreaBetween
    """
    if not (0.0 < alpha < 1.0):
        raise InputError(f"The 'alpha' parameter of area_between must be in (0, 1). Got {alpha!r} instead.")
    value = comparison.value - intervention.value
    var = max(comparison.se**2 + intervention.se**2 - 2.0 * covariance, 0.0)
    est = wald(value, var, alpha)
    se = est.se
    # two-sided p = 2 Phi(-|D|/SE) = erfc(|D| / (SE sqrt 2))
    p = math.erfc(abs(value) / (se * math.sqrt(2.0))) if se > 0 else (0.0 if value != 0 else 1.0)
    ratio = None
    if comparison.value > 0 and intervention.value > 0:
        log_ratio = math.log(intervention.value / comparison.value)
        log_var = (intervention.se / intervention.value) ** 2 + (comparison.se / comparison.value) ** 2
        log_var = max(log_var - 2.0 * covariance / (intervention.value * comparison.value), 0.0)
        lr = wald(log_ratio, log_var, alpha)
        ratio = Estimate(
            math.exp(lr.value),
            math.nan,
            math.exp(lr.lower),
            math.exp(lr.upper),
            alpha,
            "RMST ratio (intervention / comparison)",
        )
    return AreaBetween(
        value,
        se,
        est.lower,
        est.upper,
        alpha,
        f"area between curves to {tau:g}",
        tau=float(tau),
        p_value=p,
        comparison=comparison,
        intervention=intervention,
        ratio=ratio,
    )
