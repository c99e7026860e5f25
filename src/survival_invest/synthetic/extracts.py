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
the month containing its Thursday, so that rolling the weeks back up to months
reproduces the monthly extract exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from survival_invest.io.periods import month_label, parse_as_of, week_to_month

__all__ = ["NORDDJURS_CASES", "CaseSpec", "PortfolioTruth", "dream_wide", "simulate_large", "simulate_portfolio"]

SUPPORT_CODES = ("130", "131", "133", "135", "137")  # kontanthjaelp (jobparat) variants
SELF_SUPPORT_CODES = ("651", "771")  # SU, fleksjob
CENSOR_CODES = ("999", "997")  # dead, not resident
CODE_TABLE = ("", *SUPPORT_CODES, *SELF_SUPPORT_CODES, *CENSOR_CODES)


@dataclass(frozen=True)
class CaseSpec:
    """One synthetic investment case.

    ``hazard_*`` are per-month first-exit probabilities on duration bands:
    ``hazard[i]`` applies to durations ``t`` with ``breaks[i] <= t < breaks[i+1]``
    (the last band is open).
    """

    case_id: str
    n_target: int
    n_intervention: int
    breaks: tuple[int, ...] = (1, 6, 18)
    hazard_comparison: tuple[float, ...] = (0.04, 0.03, 0.02)
    hazard_intervention: tuple[float, ...] = (0.08, 0.05, 0.03)
    entry_start: str = "2020-01"
    entry_months: int = 12

    def hazard(self, group: str, t: np.ndarray) -> np.ndarray:
        """First-exit hazard at durations ``t`` (0 at ``t = 0``)."""
        h = np.asarray(self.hazard_intervention if group == "intervention" else self.hazard_comparison)
        band = np.searchsorted(np.asarray(self.breaks), t, side="right") - 1
        return np.where(t >= self.breaks[0], h[np.clip(band, 0, len(h) - 1)], 0.0)

    def survival(self, group: str, t_max: int) -> np.ndarray:
        """True ``S(t)`` for ``t = 0 .. t_max``."""
        t = np.arange(t_max + 1)
        return np.cumprod(1.0 - self.hazard(group, t))

    def rmst(self, group: str, tau: int) -> float:
        """True ``RMST(tau) = sum_{t<tau} S(t)`` (integer ``tau``)."""
        return float(self.survival(group, tau)[:tau].sum())

    def area(self, tau: int) -> float:
        """True months saved per participant to ``tau``: RMST_comparison - RMST_intervention."""
        return self.rmst("comparison", tau) - self.rmst("intervention", tau)


#: The four survival cases of Norddjurs (seed 004): target / intervention sizes.
NORDDJURS_CASES = (
    CaseSpec("1", 300, 60),
    CaseSpec("2", 300, 40, hazard_intervention=(0.07, 0.045, 0.025)),
    CaseSpec("3", 534, 184, hazard_comparison=(0.05, 0.035, 0.02), hazard_intervention=(0.08, 0.05, 0.03)),
    CaseSpec("4", 534, 40, hazard_comparison=(0.05, 0.035, 0.02), hazard_intervention=(0.10, 0.06, 0.03)),
)


@dataclass(frozen=True)
class PortfolioTruth:
    """True curves and effects of a simulated portfolio."""

    cases: tuple[CaseSpec, ...]
    as_of: str
    data_lag: int
    seed: int
    params: dict = field(default_factory=dict)

    def curves(self, t_max: int = 48) -> pd.DataFrame:
        """True S(t) per case and group: ``case_id, group, t, survival``."""
        rows = []
        for c in self.cases:
            for g in ("comparison", "intervention"):
                s = c.survival(g, t_max)
                rows.append(pd.DataFrame({"case_id": c.case_id, "group": g, "t": np.arange(t_max + 1), "survival": s}))
        return pd.concat(rows, ignore_index=True)

    def effects(self, taus: tuple[int, ...] = (12, 24, 36)) -> pd.DataFrame:
        """True RMST per group and area between curves per case and horizon."""
        rows = []
        for c in self.cases:
            for tau in taus:
                rows.append(
                    {
                        "case_id": c.case_id,
                        "tau": tau,
                        "rmst_comparison": c.rmst("comparison", tau),
                        "rmst_intervention": c.rmst("intervention", tau),
                        "area": c.area(tau),
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "as_of": self.as_of,
            "data_lag": self.data_lag,
            "seed": self.seed,
            "params": self.params,
            "cases": [asdict(c) for c in self.cases],
            "model": "first-exit hazard piecewise constant by duration band; see survival_invest.synthetic.extracts",
        }


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
    case_id = np.concatenate(case_of)
    participant = np.concatenate(is_int)
    e = np.concatenate(entry).astype(np.int64)
    spec = np.concatenate(spec_idx)
    n = pid.shape[0]
    prior = rng.integers(0, prior_max + 1, size=n)
    first = int((e - prior).min())
    months = np.arange(first, end + 1)

    # hazard table by case, group and duration (a loop over the few cases only)
    t_max = int(end - e.min()) + 1
    table = np.zeros((len(cases), 2, t_max + 1))
    for k, c in enumerate(cases):
        table[k, 0] = c.hazard("comparison", np.arange(t_max + 1))
        table[k, 1] = c.hazard("intervention", np.arange(t_max + 1))

    # codes are small integers into CODE_TABLE (0 = no row) so the month x person matrix stays compact
    n_sup, n_self = len(SUPPORT_CODES), len(SELF_SUPPORT_CODES)
    code = np.zeros((n, months.shape[0]), dtype=np.int8)
    state_on = np.zeros(n, dtype=bool)
    in_first = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    current = rng.integers(1, n_sup + 1, size=n).astype(np.int8)
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
    return {"pid": pid, "case_id": case_id, "participant": participant, "entry": e, "months": months, "code": code}


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
    sim = _simulate_codes(tuple(cases), end, rng, **params)
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
):
    """A large single-case extract as compact arrays, for benchmarks (no string periods).

    Returns ``(spells, memberships)``: a :class:`~survival_invest.io.readers.Spells`
    with ``int64`` person ids, integer month numbers and a categorical benefit
    code, already sorted by (person, period), and a memberships DataFrame ready
    for :func:`survival_invest.build_cohort`.
    """
    from survival_invest.io.readers import Spells, memberships_from_frame

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
    benefit = pd.Categorical.from_codes(code[rows, cols].astype(np.int16) - 1, categories=list(CODE_TABLE[1:]))
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


def dream_wide(spells: pd.DataFrame) -> pd.DataFrame:
    """Turn monthly long spells into a wide weekly DREAM frame (``person_id, y_YYWW...``).

    Every ISO week whose Thursday lies in a month carries that month's code; weeks
    without a code are blank. Vectorised: a (person x week) array filled by fancy
    indexing.
    """
    from survival_invest.io.periods import parse_periods, week_label

    months, _, _ = parse_periods(spells["period"], "month")
    first_m, last_m = int(months.min()), int(months.max())
    # ISO weeks whose Thursday falls in [first_m, last_m]
    lo = (np.datetime64(f"{first_m // 12}-{first_m % 12 + 1:02d}-01") - np.datetime64("1970-01-05")).astype(
        int
    ) // 7 - 1
    hi = (np.datetime64(f"{last_m // 12}-{last_m % 12 + 1:02d}-28") - np.datetime64("1970-01-05")).astype(int) // 7 + 2
    weeks = np.arange(lo, hi + 1)
    wm = week_to_month(weeks)
    weeks = weeks[(wm >= first_m) & (wm <= last_m)]
    wm = week_to_month(weeks)
    persons, p_idx = np.unique(spells["person_id"].to_numpy(), return_inverse=True)
    grid = np.full((persons.shape[0], last_m - first_m + 1), "", dtype=object)
    grid[p_idx, months - first_m] = spells["benefit"].to_numpy()
    wide = grid[:, wm - first_m]
    labels = week_label(weeks)
    cols = ["y_" + lab[2:4] + lab[-2:] for lab in labels]
    out = pd.DataFrame(wide, columns=cols)
    out.insert(0, "person_id", persons)
    return out
