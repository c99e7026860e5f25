"""Seeded synthetic register extracts with a known true effect.

A portfolio of cases, each with a target group and an intervention group
(participants are members of both, as in the municipal notes), simulated month
by month (a loop over calendar months, vectorised over persons):

* **Entry**: staggered, uniform over the case's entry window; each person has a
  spell of 0-30 months on support before entry (for prior weeks and refusion)
  and is on support at entry (``t = 0``).
* **First exit**: at duration ``t >= 1`` a person still in the entry spell
  leaves support with a piecewise-constant hazard ``h_g(t)`` that differs by
  group (intervention vs non-participants) and by duration band.
* **Returns**: after the first exit a person comes back to support with
  probability ``p_return`` per month and leaves again with ``p_releave``.
* **Benefit switches**: an on-support month changes code with probability
  ``p_switch`` (a switch is not an exit).
* **Self-support codes**: an off-support month carries an explicit
  ``self_support`` code (SU, fleksjob) with probability ``p_self_code``;
  otherwise it has no row.
* **Censor codes**: from entry, each month ends follow-up with probability
  ``p_censor`` (death ``999`` or emigration ``997``; independent of exit); no
  rows follow.
* **Data lag**: the extract ends at ``as_of - data_lag``.

Truth for the first-exit clock (``durable_exit = 1``): ``S_g(t) = prod_{u=1}^t
(1 - h_g(u))``, ``RMST_g(tau) = sum_{t=0}^{tau-1} S_g(t)`` and the area
``RMST_comparison - RMST_intervention`` = true months saved per participant,
where "comparison" is the non-participants.

Both extract forms are written from the same simulated months: long monthly
spells and a wide weekly DREAM file in which every ISO week carries the code of
the month containing its Thursday, except that some spell starts and ends fall
mid-month and some spells hold a week off support (:func:`dream_wide`,
``partial``), so that rolling the weeks back up to months under the ``any``
rule reproduces the monthly extract exactly while the ``majority`` and ``all``
rules, the occupancy shares and the prior weeks see partly supported months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.io.memberships import memberships_from_frame
from survival_invest.io.periods import month_label, parse_as_of
from survival_invest.io.spells import Spells
from survival_invest.synthetic.cases import (
    CENSOR_CODES,
    CODE_TABLE,
    NORDDJURS_CASES,
    SELF_SUPPORT_CODES,
    SUPPORT_CODES,
    CaseSpec,
    PortfolioTruth,
)
from survival_invest.synthetic.dream import dream_wide

__all__ = ["NORDDJURS_CASES", "CaseSpec", "PortfolioTruth", "dream_wide", "simulate_large", "simulate_portfolio"]


def _draw_persons(cases: tuple[CaseSpec, ...], rng: np.random.Generator, prior_max: int) -> dict[str, np.ndarray]:
    """Every person's id, case, participant flag, entry month, case index and months on support before entry."""
    ids, case_of, is_int, entry, spec_idx = [], [], [], [], []
    for k, c in enumerate(cases):
        n = c.n_target
        start = parse_as_of(c.entry_start, "month")
        e = start + rng.integers(0, c.entry_months, size=n)
        inter = np.zeros(n, dtype=bool)
        inter[rng.choice(n, size=c.n_intervention, replace=False)] = True
        ids.append(np.char.add(f"C{c.case_id}P", np.char.zfill(np.arange(n).astype(str), 5)))
        case_of.append(np.full(n, c.case_id, dtype=object))
        is_int.append(inter)
        entry.append(e)
        spec_idx.append(np.full(n, k))
    pid = np.concatenate(ids)
    prior = rng.integers(0, prior_max + 1, size=len(pid))
    return {
        "pid": pid,
        "case_id": np.concatenate(case_of),
        "participant": np.concatenate(is_int),
        "entry": np.concatenate(entry).astype(np.int64),
        "spec": np.concatenate(spec_idx),
        "prior": prior,
    }


def _hazard_table(cases: tuple[CaseSpec, ...], t_max: int) -> np.ndarray:
    """First-exit hazard by case, group (0 comparison, 1 intervention) and duration 0..t_max (a loop over cases)."""
    table = np.zeros((len(cases), 2, t_max + 1))
    for k, c in enumerate(cases):
        table[k, 0] = c.hazard("comparison", np.arange(t_max + 1))
        table[k, 1] = c.hazard("intervention", np.arange(t_max + 1))
    return table


def _simulate_codes(
    cases: tuple[CaseSpec, ...],
    end: int,
    rng: np.random.Generator,
    *,
    p_return: float,
    p_releave: float,
    p_switch: float,
    p_self_code: float,
    p_censor: float,
    prior_max: int,
) -> dict[str, np.ndarray]:
    """Simulate every person's monthly code up to month ``end`` (see the module docstring).

    Returns arrays: ``pid`` (str ids), ``case_id``, ``participant``, ``entry``,
    ``months`` (calendar month numbers) and ``code`` (persons x months, int8
    positions in ``CODE_TABLE``, 0 = no row).
    """
    persons = _draw_persons(cases, rng, prior_max)
    pid, participant, e, spec, prior = (persons[k] for k in ("pid", "participant", "entry", "spec", "prior"))
    n = len(pid)
    months = np.arange(int((e - prior).min()), end + 1)
    t_max = int(end - e.min()) + 1
    table = _hazard_table(cases, t_max)

    # codes are small integers into CODE_TABLE (0 = no row) so the month x person matrix stays compact
    n_sup, n_self = len(SUPPORT_CODES), len(SELF_SUPPORT_CODES)
    code = np.zeros((n, months.shape[0]), dtype=np.int8)
    state_on = np.zeros(n, dtype=bool)
    in_first = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    current: np.ndarray = rng.integers(1, n_sup + 1, size=n).astype(np.int8)
    grp = participant.astype(np.int64)
    for j, m in enumerate(months):  # loop over calendar months, vectorised over persons
        t = m - e
        start_prior = (m == e - prior) & (prior > 0)
        at_entry = t == 0
        state_on |= start_prior | at_entry
        in_first |= start_prior | at_entry
        running = t >= 1
        u = rng.random(n)
        h = table[spec, grp, np.clip(t, 0, t_max)]
        leave_first = running & in_first & alive & (u < h)
        in_first &= ~leave_first
        state_on &= ~leave_first
        after = running & ~in_first & alive
        u2 = rng.random(n)
        back = after & ~state_on & ~leave_first & (u2 < p_return)
        away = after & state_on & (u2 < p_releave)
        state_on = (state_on | back) & ~away
        censor_now = (t >= 0) & alive & (rng.random(n) < p_censor)
        switch = rng.random(n) < p_switch
        current = np.where(switch, rng.integers(1, n_sup + 1, size=n), current).astype(np.int8)
        col = np.zeros(n, dtype=np.int8)
        on_now = state_on & alive & (t >= -prior)
        col[on_now] = current[on_now]
        selfc = ~on_now & alive & (t >= 0) & (rng.random(n) < p_self_code)
        col[selfc] = n_sup + 1 + rng.integers(0, n_self, size=int(selfc.sum()))
        col[censor_now] = n_sup + n_self + 1 + rng.integers(0, len(CENSOR_CODES), size=int(censor_now.sum()))
        code[:, j] = col
        alive &= ~censor_now
        state_on &= alive
    return {
        "pid": pid,
        "case_id": persons["case_id"],
        "participant": participant,
        "entry": e,
        "months": months,
        "code": code,
    }


def simulate_portfolio(
    cases: tuple[CaseSpec, ...] = NORDDJURS_CASES,
    *,
    as_of: str = "2022-06",
    data_lag: int = 2,
    seed: int = 0,
    p_return: float = 0.05,
    p_releave: float = 0.15,
    p_switch: float = 0.05,
    p_self_code: float = 0.2,
    p_censor: float = 0.002,
    prior_max: int = 30,
) -> tuple[pd.DataFrame, pd.DataFrame, PortfolioTruth]:
    """Simulate a portfolio and return (monthly long spells, memberships, truth).

    Parameters
    ----------
    cases : tuple of CaseSpec
        The cases with their group sizes and true hazards.
    as_of : str
        Month of the run (``YYYY-MM``); the extract ends at ``as_of - data_lag``.
    data_lag : int
        Months of data lag.
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical data.
    p_return, p_releave : float
        Monthly probabilities of coming back to support after the first exit,
        and of leaving again.
    p_switch : float
        Monthly probability that an on-support month changes benefit code.
    p_self_code : float
        Probability that an off-support month carries a self-support code.
    p_censor : float
        Monthly probability of a censoring code (death, emigration) from entry.
    prior_max : int
        Months on support before entry are uniform on ``0 .. prior_max``.

    Returns
    -------
    spells : DataFrame
        ``person_id, period`` (``YYYY-MM``), ``benefit``, ``amount_kr``; one row
        per person-month with a code, up to the extract end ``as_of - data_lag``.
    memberships : DataFrame
        ``person_id, case_id, group, entry_period``: every person a ``target``
        row; participants also an ``intervention`` row with the same entry.
    truth : PortfolioTruth
    """
    params = dict(
        p_return=p_return,
        p_releave=p_releave,
        p_switch=p_switch,
        p_self_code=p_self_code,
        p_censor=p_censor,
        prior_max=prior_max,
    )
    rng = np.random.default_rng(seed)
    end = parse_as_of(as_of, "month") - data_lag
    sim = _simulate_codes(
        tuple(cases),
        end,
        rng,
        p_return=p_return,
        p_releave=p_releave,
        p_switch=p_switch,
        p_self_code=p_self_code,
        p_censor=p_censor,
        prior_max=prior_max,
    )
    code, months, pid = sim["code"], sim["months"], sim["pid"]
    rows, cols = np.nonzero(code)
    values = code[rows, cols]
    spells = pd.DataFrame(
        {
            "person_id": pid[rows],
            "period": month_label(months[cols]),
            "benefit": np.asarray(CODE_TABLE, dtype=object)[values],
        }
    )
    spells["amount_kr"] = np.where(values <= len(SUPPORT_CODES), 12000.0, 0.0)
    target = pd.DataFrame(
        {"person_id": pid, "case_id": sim["case_id"], "group": "target", "entry_period": month_label(sim["entry"])}
    )
    inter = target[sim["participant"]].assign(group="intervention")
    memberships = pd.concat([target, inter], ignore_index=True)
    truth = PortfolioTruth(tuple(cases), as_of, data_lag, seed, params)
    return spells, memberships, truth


def simulate_large(
    n_persons: int, *, n_intervention: int | None = None, as_of: str = "2024-06", seed: int = 0, prior_max: int = 24
) -> tuple[Spells, pd.DataFrame]:
    """A large single-case extract as compact arrays, for benchmarks (no string periods).

    The model of :func:`simulate_portfolio` with its default probabilities, one
    case entering over 24 months from 2020-01, no data lag.

    Parameters
    ----------
    n_persons : int
        Target-group size.
    n_intervention : int, optional
        Participants (default a fifth of ``n_persons``).
    as_of : str
        Last month of the extract (``YYYY-MM``).
    seed : int
        Seed of ``numpy.random.default_rng``.
    prior_max : int
        Months on support before entry are uniform on ``0 .. prior_max``.

    Returns
    -------
    (Spells, DataFrame)
        A :class:`~survival_invest.io.spells.Spells` with ``int64`` person ids,
        integer month numbers and a categorical benefit code, already sorted by
        (person, period), and a memberships DataFrame ready for
        :func:`survival_invest.build_cohort`.
    """
    n_int = n_persons // 5 if n_intervention is None else n_intervention
    case = CaseSpec("1", n_persons, n_int, entry_start="2020-01", entry_months=24)
    rng = np.random.default_rng(seed)
    end = parse_as_of(as_of, "month")
    sim = _simulate_codes(
        (case,),
        end,
        rng,
        p_return=0.05,
        p_releave=0.15,
        p_switch=0.05,
        p_self_code=0.2,
        p_censor=0.002,
        prior_max=prior_max,
    )
    code, months = sim["code"], sim["months"]
    rows, cols = np.nonzero(code)
    benefit = pd.Categorical.from_codes(code[rows, cols].astype(np.int16) - 1, categories=pd.Index(CODE_TABLE[1:]))
    frame = pd.DataFrame(
        {"person_id": rows.astype(np.int64), "period": months[cols].astype(np.int64), "benefit": benefit}
    )
    del rows, cols
    spells = Spells(frame, "month", "<simulate_large>")
    pid = np.arange(code.shape[0], dtype=np.int64)
    target = pd.DataFrame(
        {"person_id": pid, "case_id": "1", "group": "target", "entry_period": month_label(sim["entry"])}
    )
    members = pd.concat([target, target[sim["participant"]].assign(group="intervention")], ignore_index=True)
    members = memberships_from_frame(members.astype({"person_id": str}))
    return spells, members
