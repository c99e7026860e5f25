"""A synthetic case confounded by age, for ``comparison = "adjusted"`` (the demo's case 6, issue 16).

The persons of one case, drawn from their own random stream
(``default_rng([seed, 16])``), so that the other files of the synthetic
portfolio do not change when the case is added:

* age uniform 20-60 at entry (the birth date is set from it), sex half ``F`` / ``M``;
* **selection by age**: ``P(participant) = expit(-0.8 + 0.08 (40 - age))``
  (the young are picked more);
* **exit by age and effort**: a constant monthly hazard
  ``expit(-2.6 + 0.05 (40 - age) + log(1.6) participant)``, so the young also
  leave sooner and the naive comparison with the non-participants overstates
  the effect;
* entry uniform over the 18 months from ``2020-01``, on kontanthjælp (code
  130) from the entry month until the exit, no returns; follow-up to the
  data cut-off.

The truth is known exactly: ``S_g(t | age) = (1 - h_g(age))^t`` and the effect
on the participants is the mean of ``S_0 - S_1`` over their ages
(:func:`true_difference`). Adjusting for ``age`` recovers it
(``tests/pipeline/test_adjusted.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from survival_invest._arrays import ragged_arange
from survival_invest.io.periods import month_label, parse_as_of

__all__ = ["AdjustedCase", "adjusted_case", "exit_hazard", "true_difference"]


def exit_hazard(age: np.ndarray, participant: np.ndarray | float) -> np.ndarray:
    """Monthly exit hazard: the young leave sooner; the effort multiplies the odds by 1.6."""
    return np.asarray(expit(-2.6 + 0.05 * (40.0 - np.asarray(age)) + np.log(1.6) * np.asarray(participant)))


def true_difference(age: np.ndarray, horizon: int) -> np.ndarray:
    """The participants' mean ``S_0(t) - S_1(t)`` on ``t = 0 .. horizon - 1`` for participants of these ages."""
    t = np.arange(horizon)[None, :]
    s0 = (1 - exit_hazard(age, 0.0))[:, None] ** t
    s1 = (1 - exit_hazard(age, 1.0))[:, None] ** t
    return np.asarray((s0 - s1).mean(axis=0))


@dataclass(frozen=True)
class AdjustedCase:
    """The extract of the case: ``spells``, ``memberships``, ``persons`` and the participants' ages at entry."""

    spells: pd.DataFrame
    memberships: pd.DataFrame
    persons: pd.DataFrame
    ages: np.ndarray


def adjusted_case(
    *, seed: int, case_id: str = "6", n: int = 3000, cutoff: str = "2022-05", first_entry: str = "2020-01"
) -> AdjustedCase:
    """Draw the case (module docstring).

    Parameters
    ----------
    seed : int
        Seed; the stream is ``default_rng([seed, 16])``. Equal seeds give identical frames.
    case_id : str
        The case's id in the memberships; person ids are ``A<case_id>P<k>``.
    n : int
        Persons of the target group (participants included).
    cutoff : str
        The last month of the spells (``YYYY-MM``): the data cut-off.
    first_entry : str
        The first entry month; entries are uniform over 18 months from it.

    Returns
    -------
    AdjustedCase
        ``spells`` (``person_id, period, benefit, amount_kr``), ``memberships``
        (a target row per person, an intervention row per participant),
        ``persons`` (``person_id, birth_date, sex``) and the participants' ages.
    """
    rng = np.random.default_rng([seed, 16])
    age = rng.uniform(20, 60, n)
    part = rng.random(n) < expit(-0.8 + 0.08 * (40.0 - age))
    female = rng.random(n) < 0.5
    start, last = parse_as_of(first_entry, "month"), parse_as_of(cutoff, "month")
    entry = start + rng.integers(0, 18, n)
    duration = rng.geometric(exit_hazard(age, part.astype(float)))  # months on support from entry, >= 1
    months = np.minimum(entry + duration, last + 1) - entry
    pid = np.char.add(f"A{case_id}P", np.char.zfill(np.arange(n).astype(str), 5))
    who, k = ragged_arange(months)
    spells = pd.DataFrame(
        {"person_id": pid[who], "period": month_label(entry[who] + k), "benefit": "130", "amount_kr": 12000.0}
    )
    target = pd.DataFrame({"person_id": pid, "case_id": case_id, "group": "target", "entry_period": month_label(entry)})
    memberships = pd.concat([target, target[part].assign(group="intervention")], ignore_index=True)
    first_day = pd.to_datetime(pd.Series(month_label(entry)) + "-01").to_numpy()
    birth = pd.DatetimeIndex(first_day - np.round(age * 365.25).astype("timedelta64[D]"))  # age at entry
    persons = pd.DataFrame(
        {"person_id": pid, "birth_date": birth.strftime("%Y-%m-%d"), "sex": np.where(female, "F", "M")}
    )
    return AdjustedCase(spells, memberships, persons, age[part])
