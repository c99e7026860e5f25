"""A synthetic payment file (the national layout) and finance extract consistent with a simulated portfolio.

**Payments** (:func:`payment_file`). Every person-month on support (a support
code in the monthly spells) is paid the person's monthly benefit ``B_i`` —
the 2020 ressourceforløbsydelse rate, 11,554 kr., or with children
(probability :data:`P_CHILDREN`) 15,355 kr. (DOMAIN.md; examples, not truths)
— in the prices of the month's year (``B_i * index[year] / index[2020]``),
split evenly over the ISO weeks whose Thursday lies in the month (one line
per week, ``Uge`` written ``YYYYWW``). The state refunds the refusion
staircase's share at the person's week of support at the start of the month,
``floor((k - 1) * 52 / 12) + 1`` for the ``k``-th consecutive month on support
(:func:`refusion_rate`; the default bands of ``[refusion]``). A share
:data:`P_CORRECTION` of the lines comes with a correction: the line is paid
10 % too much and a negative line of the same week takes it back, so the sum
is unchanged. Co-financing is 0 (kontanthjælp-like benefits).

So, with returns to support switched off, the expected net cost of a person
at duration ``t`` on the first-exit clock is ``E[B] * g(t) * S(t)`` with
``g(t)`` the mean over the prior months ``p`` of ``1 - refusion_rate(p + t + 1)``
(:func:`expected_net_share`): the truth the tests check realised kroner from
payments against.

**Finance** (:func:`finance_extract`): the realised investment of every
survival and count case and year up to the extract's end, the budget's figure
times a factor drawn uniformly in 0.85-1.10 (own random stream).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.config.model import DEFAULT_REFUSION_BANDS, RefusionBand
from survival_invest.economics.prices import refusion_share
from survival_invest.io.payments import NATIONAL_COLUMNS
from survival_invest.io.periods import parse_periods, week_label, week_to_month
from survival_invest.synthetic.cases import SUPPORT_CODES

__all__ = [
    "BENEFIT_RATES",
    "P_CHILDREN",
    "P_CORRECTION",
    "SYNTHETIC_PRICE_INDEX",
    "expected_net_share",
    "finance_extract",
    "payment_file",
    "refusion_rate",
]

#: Monthly benefit without and with children (2020 kroner).
BENEFIT_RATES = (11554.0, 15355.0)
P_CHILDREN = 0.3
P_CORRECTION = 0.03
#: The price index of the synthetic portfolio's configuration (2020 = 100; years outside use the nearest).
SYNTHETIC_PRICE_INDEX: Mapping[int, float] = {2019: 98.2, 2020: 100.0, 2021: 102.3, 2022: 107.9, 2023: 112.0}


def refusion_rate(k: np.ndarray, bands: tuple[RefusionBand, ...] = DEFAULT_REFUSION_BANDS) -> np.ndarray:
    """The refusion share of the ``k``-th consecutive month on support (its first week of support)."""
    week = np.floor((np.asarray(k, dtype=np.int64) - 1) * 52 / 12).astype(np.int64) + 1
    return refusion_share(week, bands)


def expected_net_share(t: np.ndarray, prior_max: int = 30) -> np.ndarray:
    """``g(t)``: the mean over prior months ``0 .. prior_max`` (uniform) of ``1 - refusion_rate(prior + t + 1)``."""
    prior = np.arange(prior_max + 1)
    return 1.0 - refusion_rate(prior[None, :] + np.asarray(t)[:, None] + 1).mean(axis=1)


def _run_position(person: np.ndarray, month: np.ndarray, on: np.ndarray) -> np.ndarray:
    """For rows sorted by person and month: the position (1, 2, ...) of each support month in its run of support."""
    new_run = np.ones(len(month), dtype=bool)
    same = (person[1:] == person[:-1]) & (month[1:] == month[:-1] + 1) & on[:-1]
    new_run[1:] = ~same
    run_id = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    return np.arange(len(month)) - starts[run_id] + 1


def _index_of(years: np.ndarray, index: Mapping[int, float]) -> np.ndarray:
    """The price index of each year (the nearest year of the index outside it)."""
    known = np.array(sorted(index))
    clipped = np.clip(years, known.min(), known.max())
    return pd.Series(clipped).map(dict(index)).to_numpy(dtype=float)


def _weeks_of_months(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of ``months``, ISO week number) of every week whose Thursday lies in the month."""
    lo, hi = int(months.min()), int(months.max())
    first, _, _ = parse_periods(pd.Series([f"{(lo - 1) // 12}-W01"]), "week")
    weeks = np.arange(int(first[0]), int(first[0]) + (hi - lo + 14) * 5)
    wm = week_to_month(weeks)
    weeks, wm = weeks[(wm >= lo) & (wm <= hi)], wm[(wm >= lo) & (wm <= hi)]
    start = np.searchsorted(wm, months)
    count = np.searchsorted(wm, months, side="right") - start
    row, j = ragged_arange(count)
    return row, weeks[start[row] + j]


def _money(values: np.ndarray) -> np.ndarray:
    """Kroner as the national file writes them: two decimals with a decimal comma."""
    return np.char.replace(np.char.mod("%.2f", np.round(values, 2)), ".", ",")


def payment_file(
    spells: pd.DataFrame, *, seed: int, price_index: Mapping[int, float] = SYNTHETIC_PRICE_INDEX, start: int = 2019
) -> pd.DataFrame:
    """The national-layout payment lines of the support months of ``spells`` (rules: module docstring).

    Parameters
    ----------
    spells : DataFrame
        Monthly long spells (``person_id, period, benefit``) of :func:`~survival_invest.synthetic.simulate_portfolio`.
    seed : int
        Seed of the benefit rates and corrections (stream ``[seed, 3]``).
    price_index : mapping of int to float
        The index the amounts follow (2020 prices inflated to each year's).
    start : int
        The file's first year (the lines of earlier months are left out; the refusion week still counts them).

    Returns
    -------
    DataFrame
        The columns of :data:`survival_invest.io.payments.NATIONAL_COLUMNS`, as text.
    """
    rng = np.random.default_rng([seed, 3])
    period, _, _ = parse_periods(spells["period"], "month")
    on = spells["benefit"].astype(str).isin(SUPPORT_CODES).to_numpy()
    order = np.lexsort((period, spells["person_id"].to_numpy(dtype=str)))
    person = spells["person_id"].to_numpy(dtype=str)[order]
    month, on = period[order], on[order]
    k = _run_position(person, month, on)
    keep = on & (month >= start * 12)
    k, person, month = k[keep], person[keep], month[keep]
    ids, who = np.unique(person, return_inverse=True)
    rate = np.where(rng.random(len(ids)) < P_CHILDREN, BENEFIT_RATES[1], BENEFIT_RATES[0])[who]
    monthly = rate * _index_of(month // 12, price_index) / price_index[2020]
    row, week = _weeks_of_months(month)
    n_weeks = np.bincount(row, minlength=len(month))[row]
    amount = monthly[row] / n_weeks
    share = refusion_rate(k)[row]
    fix = rng.random(len(row)) < P_CORRECTION
    extra = np.where(fix, 0.1 * amount, 0.0)
    lines = np.concatenate([np.arange(len(row)), np.flatnonzero(fix)])
    paid = np.concatenate([amount + extra, -extra[fix]])
    labels = np.char.replace(np.asarray(week_label(week), dtype=str), "-W", "")
    frame = pd.DataFrame(
        {
            "Uge": labels[lines],
            "CPR nummer": person[row][lines],
            "Ydelse": "Kontanthjælp",
            "Finansiering Kommunenavn": "Norddjurs",
            "Beregnet udbetalingsbeløb": _money(paid),
            "Refusionssats": _money(100 * share[lines]),
            "Refusionsbeløb": _money(paid * share[lines]),
            "Medfinansieringssats": "0,00",
            "Medfinansieringsbeløb": "0,00",
        },
        columns=list(NATIONAL_COLUMNS),
    )
    return frame.iloc[np.lexsort((np.arange(len(frame)), frame["CPR nummer"], frame["Uge"]))].reset_index(drop=True)


def finance_extract(budget: pd.DataFrame, *, last_year: int, last_month: int = 12, seed: int) -> pd.DataFrame:
    """Realised investment ``case_id, year, investment_mkr`` for the budget's years up to ``last_year``.

    Parameters
    ----------
    budget : DataFrame
        ``case_id, year, investment_mkr``: the budgeted investment (mio. kr.).
    last_year : int
        The extract's last year; it is year-to-date: ``last_month / 12`` of the budget's figure.
    last_month : int
        The extract's last month (1-12) in ``last_year``.
    seed : int
        Seed of the factors (stream ``[seed, 4]``).

    Returns
    -------
    DataFrame
    """
    rng = np.random.default_rng([seed, 4])
    b = budget[budget["year"] <= last_year].reset_index(drop=True)
    factor = rng.uniform(0.85, 1.10, len(b)) * np.where(b["year"] == last_year, last_month / 12, 1.0)
    return pd.DataFrame(
        {
            "case_id": b["case_id"].astype(str),
            "year": b["year"].astype(np.int64),
            "investment_mkr": np.round(b["investment_mkr"].to_numpy(dtype=float) * factor, 4),
        }
    )
