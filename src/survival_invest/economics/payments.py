"""Realised kroner from real payments: the participants' observed net cost against the comparison group's.

When a payment file is configured (``[data] payments``, :mod:`survival_invest.io.payments`),
the realised *savings* in kroner of a survival case are measured on money, not
priced from months:

**Estimator.** Let ``x_j(m)`` be person *j*'s net cost to the municipality in
calendar month ``m`` (payment minus refusion, or the co-financing amount;
weeks to months by the Thursday rule; 0 in a month without a payment line),
converted to the report's price level by the price index of the year of ``m``.
Each member of the case is counted in the months ``t = 0 .. min(followed,
horizon) - 1`` after entry — the months the realised figure counts on the
curve basis (up to the cut-off or a censor code, inside the horizon). Then

* the **expected counterpart** at duration ``t`` is the comparison group's mean
  net cost there, ``mu_c(t) = sum_{j followed at t} x_j(e_j + t) / n_c(t)``
  (beyond the last duration any comparison member is followed the last mean
  is carried forward, the curves' tail convention);
* the participants' **observed** cost in year ``Y`` is
  ``O(Y) = sum_i sum_{t: e_i + t in Y} x_i(e_i + t)``, and their expected cost
  ``E(Y) = sum_i sum_{t: e_i + t in Y} mu_c(t)``;
* realised savings ``= E(Y) - O(Y)`` (kroner at the price level; positive =
  saved).

**Interval** (95 % by default): cluster-robust (persons are the clusters, so the
months of one person are not taken as independent), ``Var = V_c + V_i``:
``V_c = sum_j (sum_{t in j's window} w_Y(t) (x_j(t) - mu_c(t)) / n_c(t))^2`` over
comparison members, with ``w_Y(t)`` the participant-months at ``t`` in year
``Y``; ``V_i = sum_i (sum_{t in i's window in Y} (x_i(t) - mu_i(t)))^2`` over
participants, with ``mu_i(t)`` the participants' own mean at ``t`` — the
participants' sampling variability as estimates of the case's expected effect,
as on the curve basis. The two groups are taken as independent (with
``comparison = "target_all"`` the participants are also in the comparison
group and this slightly overstates the variance). The interval is
``value -/+ z * sqrt(Var)``.

The configured cost per full-time person stays the basis of the forecast, of
the saved full-time persons and of the refusion-reform part, and is the
fallback when no payment file is configured or the engine gives no person-level
cohort (DuckDB, Spark); the results say which basis each figure used.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig
from survival_invest.economics.prices import price_factor
from survival_invest.estimate.summaries import z_value

__all__ = ["PAYMENT_COLUMNS", "member_months", "payment_savings"]

#: The columns of :func:`payment_savings`' table.
PAYMENT_COLUMNS = [
    "year",
    "savings_kr",
    "savings_kr_se",
    "savings_kr_lower",
    "savings_kr_upper",
    "expected_kr",
    "observed_kr",
    "months",
]


def member_months(
    cohort: Cohort, net: pd.DataFrame, horizon: int, *, price_index: Mapping[int, float], price_level: int
) -> pd.DataFrame:
    """Every member's counted months with its net cost at the price level (0 without a payment line).

    Parameters
    ----------
    cohort : Cohort
        The case's cohort (monthly): ``persons`` with ``person_id, group, entry, followed``.
    net : DataFrame
        ``person_id, month, net`` (:func:`survival_invest.io.payments.monthly_net`).
    horizon : int
        Months after entry counted (``t < horizon``).
    price_index : mapping of int to float
        The run's price index (the years of the counted months must be in it).
    price_level : int
        The report's price level.

    Returns
    -------
    DataFrame
        ``member`` (row of ``cohort.persons``), ``intervention`` (bool), ``t``, ``month``, ``x`` (kroner).
    """
    p = cohort.persons
    length = np.minimum(p["followed"].to_numpy(dtype=np.int64), horizon).clip(min=0)
    member, t = ragged_arange(length)
    month = p["entry"].to_numpy(dtype=np.int64)[member] + t
    pid = pd.Categorical(p["person_id"].astype(str).to_numpy())
    codes = pid.codes.astype(np.int64)[member]
    pay_codes = pd.Categorical(net["person_id"].astype(str).to_numpy(), categories=pid.categories).codes
    keep = pay_codes >= 0
    lo = int(min(month.min(initial=0), net["month"].min() if len(net) else 0))
    span = int(max(month.max(initial=0), net["month"].max() if len(net) else 0)) - lo + 1
    pay_key = pay_codes[keep].astype(np.int64) * span + (net["month"].to_numpy(dtype=np.int64)[keep] - lo)
    order = np.argsort(pay_key, kind="stable")
    pay_key, pay_net = pay_key[order], net["net"].to_numpy(dtype=float)[keep][order]
    key = codes * span + (month - lo)
    pos = np.searchsorted(pay_key, key).clip(max=max(len(pay_key) - 1, 0))
    hit = (pay_key[pos] == key) if len(pay_key) else np.zeros(len(key), dtype=bool)
    x = np.where(hit, pay_net[pos] if len(pay_key) else 0.0, 0.0)
    years = month // 12
    factors = {int(y): price_factor(price_index, int(y), price_level) for y in np.unique(years)}
    x = x * pd.Series(years).map(factors).to_numpy(dtype=float)
    inter = (p["group"].to_numpy() == "intervention")[member]
    return pd.DataFrame({"member": member, "intervention": inter, "t": t, "month": month, "x": x})


def _means(t: np.ndarray, x: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``x`` and the count at each ``t = 0 .. horizon-1`` (the last mean carried forward where no one is)."""
    n = np.bincount(t, minlength=horizon).astype(float)
    total = np.bincount(t, weights=x, minlength=horizon)
    mean = pd.Series(np.where(n > 0, total / np.maximum(n, 1.0), np.nan)).ffill().fillna(0.0).to_numpy()
    return mean, n


def _cluster_variance(member: np.ndarray, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_j (sum over j's rows r of terms[r] * weights[y, r])^2`` for each row ``y`` of ``weights``.

    ``member`` names the cluster (person) of each row; a loop over the few years, vectorised over rows.
    """
    codes, _ = pd.factorize(member)
    size = int(codes.max()) + 1 if codes.size else 0
    return np.array([float((np.bincount(codes, weights=terms * wy, minlength=size) ** 2).sum()) for wy in weights])


def payment_savings(
    cohort: Cohort,
    net: pd.DataFrame,
    case: CaseConfig,
    *,
    price_index: Mapping[int, float],
    price_level: int,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Realised savings of a case from the payment file, per calendar year (estimator: module docstring).

    Parameters
    ----------
    cohort : Cohort
        The case's in-memory cohort (monthly).
    net : DataFrame
        ``person_id, month, net`` (:func:`survival_invest.io.payments.monthly_net`).
    case : CaseConfig
        Its ``horizon``.
    price_index : mapping of int to float
        The run's price index.
    price_level : int
        The report's price level.
    alpha : float
        1 - level of the interval.

    Returns
    -------
    DataFrame
        :data:`PAYMENT_COLUMNS`, one row per year with participant months (kroner, positive = saved).
    """
    horizon = int(case.horizon)
    mm = member_months(cohort, net, horizon, price_index=price_index, price_level=price_level)
    t, x, inter = mm["t"].to_numpy(), mm["x"].to_numpy(), mm["intervention"].to_numpy()
    mu_c, n_c = _means(t[~inter], x[~inter], horizon)
    mu_i, _ = _means(t[inter], x[inter], horizon)
    year = mm["month"].to_numpy()[inter] // 12
    years = np.unique(year)
    yi = np.searchsorted(years, year)
    n_y = len(years)
    ti, xi = t[inter], x[inter]
    expected = np.bincount(yi, weights=mu_c[ti], minlength=n_y)
    observed = np.bincount(yi, weights=xi, minlength=n_y)
    months = np.bincount(yi, minlength=n_y).astype(float)
    w = np.bincount(yi * horizon + ti, minlength=n_y * horizon).reshape(n_y, horizon).astype(float)
    tc, xc = t[~inter], x[~inter]
    # a comparison member's influence on year y: sum over its months of w_y(t) (x - mu_c(t)) / n_c(t)
    member = mm["member"].to_numpy()
    v_c = _cluster_variance(member[~inter], (xc - mu_c[tc]) / np.maximum(n_c[tc], 1.0), w[:, tc])
    in_year = (yi[None, :] == np.arange(n_y)[:, None]).astype(float)  # (years, participant months)
    v_i = _cluster_variance(member[inter], xi - mu_i[ti], in_year)
    se = np.sqrt(v_c + v_i)
    z = z_value(alpha)
    saved = expected - observed
    return pd.DataFrame(
        {
            "year": years.astype(np.int64),
            "savings_kr": saved,
            "savings_kr_se": se,
            "savings_kr_lower": saved - z * se,
            "savings_kr_upper": saved + z * se,
            "expected_kr": expected,
            "observed_kr": observed,
            "months": months,
        },
        columns=PAYMENT_COLUMNS,
    )
