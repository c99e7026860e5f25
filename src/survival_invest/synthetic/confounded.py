"""A seeded register extract in which participants are *selected*: known truth under confounding.

The statistician's test case for comparison groups and adjustment
(``docs/comparisons.md``, ``notebooks/02_comparison_groups.ipynb``). One case,
simulated month by month (a loop over calendar months, vectorised over
persons):

* **Spells**: every person starts one spell on support in a month ``s``
  uniform over the ``history_months`` (60) months before the investment window
  and the window itself, on kontanthjælp (code 130) or uddannelseshjælp (code 140, a share
  ``p_education``). No returns after the first exit (so first exit and spell
  end coincide); 20 % of months off support carry a self-support code.
* **Exit** depends on the *current duration on support* ``d = month - s``
  (negative duration dependence, the classic confounder): a monthly hazard
  ``hazard[i]`` on duration bands ``[0, 3), [3, 6), [6, 12), [12, 24), 24+``
  months, times ``education_factor`` on uddannelseshjælp.
* **Target group**: persons on support in some month of the window; target
  entry = ``max(s, window start)``.
* **Selection**: in each window month a target member on support who is not
  yet a participant starts the effort with probability ``select[i]`` by the
  same duration bands (short durations are picked more: "creaming"), times
  ``education_select`` on uddannelseshjælp and ``exp(age_select * (40 -
  age))`` (younger persons are picked more; age does *not* affect the exit).
* **Effect**: from the month after the start, the participant's hazard is
  ``min(effect * h, 0.95)``.
* **Censoring**: from target entry, 1 in 500 person-months a death code (999)
  ends follow-up; and the data cut-off ``as_of - data_lag``.

Because the selection and the hazard depend on the duration band and the
benefit group only, participants and the persons on support in the same month,
benefit group and duration band are exchangeable: sequential matching on
exactly those keys recovers the effect, while comparing with the
non-participants does not (they are the persons who left support before anyone
picked them, and their clock starts at target entry).

Truth: for a participant who starts after ``D`` months on support on benefit
group ``g``, ``S_0(t) = prod_{u=1}^t (1 - h_g(D + u))`` without and ``S_1``
with the effort; the true area to ``tau`` is ``sum_{t<tau} S_0(t) - S_1(t)``,
and the effect on the participants is its mean over them
(:meth:`ConfoundedTruth.area`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.io.periods import month_label, parse_as_of

__all__ = ["DURATION_BANDS", "ConfoundedTruth", "simulate_confounded"]

#: Duration bands (months on support) of the exit hazard and the selection.
DURATION_BANDS = (3, 6, 12, 24)
_CODES = {"kontanthjaelp": "130", "uddannelseshjaelp": "140"}


@dataclass(frozen=True)
class ConfoundedTruth:
    """True per-participant effects of :func:`simulate_confounded`.

    Attributes
    ----------
    participants : DataFrame
        ``person_id, entry_period, prior_months`` (months on support before the
        start, ``D``), ``benefit_group``.
    hazard, effect, education_factor : the exit model
    """

    participants: pd.DataFrame
    hazard: tuple[float, ...]
    effect: float
    education_factor: float

    def _h(self, d: np.ndarray, education: np.ndarray) -> np.ndarray:
        band = np.searchsorted(np.asarray(DURATION_BANDS), d, side="right")
        return np.asarray(self.hazard)[band] * np.where(education, self.education_factor, 1.0)

    def participant_areas(self, tau: int) -> pd.DataFrame:
        """Per participant: true ``RMST_0(tau)``, ``RMST_1(tau)`` and ``area`` (months saved)."""
        p = self.participants
        d0 = p["prior_months"].to_numpy()[:, None]
        edu = (p["benefit_group"] == "uddannelseshjaelp").to_numpy()[:, None]
        u = np.arange(1, tau)[None, :]
        h0 = self._h(d0 + u, edu)
        h1 = np.minimum(self.effect * h0, 0.95)
        ones = np.ones((len(p), 1))
        s0 = np.hstack([ones, np.cumprod(1 - h0, axis=1)])
        s1 = np.hstack([ones, np.cumprod(1 - h1, axis=1)])
        r0, r1 = s0.sum(axis=1), s1.sum(axis=1)
        return pd.DataFrame({"person_id": p["person_id"], "rmst_0": r0, "rmst_1": r1, "area": r0 - r1})

    def area(self, tau: int, person_ids: pd.Series | np.ndarray | None = None) -> float:
        """The true effect on the participants: mean area over ``person_ids`` (default all participants)."""
        a = self.participant_areas(tau)
        if person_ids is not None:
            a = a[a["person_id"].isin(pd.Series(person_ids).astype(str))]
        return float(a["area"].mean())


def _simulate_months(
    rng: np.random.Generator,
    start: np.ndarray,
    months: np.ndarray,
    window: tuple[int, int],
    rates: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    effect: float,
    p_censor: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The monthly loop of :func:`simulate_confounded` (vectorised over persons).

    ``rates`` = (hazard by band, selection by band, per-person hazard factor,
    per-person selection factor). Returns the code matrix (persons x months:
    0 none, 1 support, 2 self-support, 3 death), the target entry month and the
    participation start month of every person (-1: none).
    """
    hz, sel, h_factor, s_factor = rates
    w0, window_months = window
    n = len(start)
    bands = np.asarray(DURATION_BANDS)
    code = np.zeros((n, months.shape[0]), dtype=np.int8)  # 0 none, 1 support, 2 self-support, 3 death
    on = np.zeros(n, dtype=bool)
    started = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    target_entry = np.full(n, -1, dtype=np.int64)
    part = np.full(n, -1, dtype=np.int64)
    for j, m in enumerate(months):  # loop over calendar months, vectorised over persons
        d = m - start
        begin = d == 0
        on |= begin
        started |= begin
        in_window = (m >= w0) & (m < w0 + window_months)
        band = np.searchsorted(bands, np.maximum(d, 0), side="right")
        h = hz[band] * h_factor
        treated = (part >= 0) & (m > part)
        h = np.where(treated, np.minimum(effect * h, 0.95), h)
        leave = on & alive & (d >= 1) & (rng.random(n) < h)
        on &= ~leave
        new_target = in_window & on & (target_entry < 0)  # on support in the month of target entry
        target_entry[new_target] = m
        followed = target_entry >= 0
        dead = followed & alive & (rng.random(n) < p_censor)
        pick = in_window & on & alive & ~dead & followed & (part < 0) & (rng.random(n) < sel[band] * s_factor)
        part[pick] = m
        col = np.zeros(n, dtype=np.int8)
        col[on & alive & ~dead] = 1
        col[started & ~on & alive & ~dead & (rng.random(n) < 0.2)] = 2
        col[dead] = 3
        code[:, j] = col
        alive &= ~dead
        on &= alive
    return code, target_entry, part


def _extract(
    ids: np.ndarray,
    code: np.ndarray,
    months: np.ndarray,
    education: np.ndarray,
    target_entry: np.ndarray,
    part: np.ndarray,
    case_id: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long monthly spells and memberships of the target group (persons with a target entry)."""
    keep = target_entry >= 0
    rows, cols = np.nonzero(code[keep])
    values = code[keep][rows, cols]
    benefit = np.where(education[keep], _CODES["uddannelseshjaelp"], _CODES["kontanthjaelp"])
    table = np.array(["", "", "651", "999"], dtype=object)
    label = np.where(values == 1, benefit[rows], table[values])
    spells = pd.DataFrame({"person_id": ids[keep][rows], "period": month_label(months[cols]), "benefit": label})
    target = pd.DataFrame(
        {"person_id": ids[keep], "case_id": case_id, "group": "target", "entry_period": month_label(target_entry[keep])}
    )
    is_part = part[keep] >= 0
    inter = pd.DataFrame(
        {
            "person_id": ids[keep][is_part],
            "case_id": case_id,
            "group": "intervention",
            "entry_period": month_label(part[keep][is_part]),
        }
    )
    return spells, pd.concat([target, inter], ignore_index=True)


def simulate_confounded(
    n: int = 6000,
    *,
    seed: int = 0,
    window_start: str = "2020-01",
    window_months: int = 12,
    history_months: int = 60,
    as_of: str = "2022-06",
    data_lag: int = 2,
    hazard: tuple[float, ...] = (0.20, 0.10, 0.05, 0.025, 0.01),
    select: tuple[float, ...] = (0.06, 0.03, 0.008, 0.002, 0.0005),
    p_education: float = 0.3,
    education_factor: float = 1.4,
    education_select: float = 1.5,
    age_select: float = 0.02,
    effect: float = 1.5,
    p_censor: float = 0.002,
    missing_from_person_table: float = 0.0,
    case_id: str = "1",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, ConfoundedTruth]:
    """Simulate one case with selection on prior duration (see the module docstring).

    Parameters
    ----------
    n : int
        Persons simulated (those who leave support before the window are not
        in the target group and not in the output).
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical data.
    hazard, select : tuple of 5 floats
        Monthly exit hazard and monthly selection probability on the duration
        bands ``[0, 3), [3, 6), [6, 12), [12, 24), 24+`` months.
    effect : float
        Hazard ratio of the effort (capped at a monthly hazard of 0.95).
    missing_from_person_table : float
        Share of target-group persons left out of the person table (to show how
        absent persons are counted).

    Returns
    -------
    (spells, memberships, persons, truth)
        Long monthly spells ``person_id, period, benefit``; memberships
        ``person_id, case_id, group, entry_period`` (a target row for every
        target member, an intervention row for participants); the person table
        ``person_id, birth_date, sex``; the truth.
    """
    rng = np.random.default_rng(seed)
    w0 = parse_as_of(window_start, "month")
    end = parse_as_of(as_of, "month") - data_lag
    s = w0 - history_months + rng.integers(0, history_months + window_months, size=n)
    education = rng.random(n) < p_education
    age = rng.uniform(18, 60, size=n)  # at the window start
    female = rng.random(n) < 0.5
    rates = (
        np.asarray(hazard),
        np.asarray(select),
        np.where(education, education_factor, 1.0),
        np.where(education, education_select, 1.0) * np.exp(age_select * (40.0 - age)),
    )
    months = np.arange(int(s.min()), end + 1)
    code, target_entry, part = _simulate_months(rng, s, months, (w0, window_months), rates, effect, p_censor)

    keep = target_entry >= 0
    ids = np.char.add(f"X{case_id}P", np.char.zfill(np.arange(n).astype(str), 6))
    spells, memberships = _extract(ids, code, months, education, target_entry, part, case_id)
    is_part = part[keep] >= 0
    birth = np.datetime64(f"{w0 // 12}-{w0 % 12 + 1:02d}-01") - np.round(age * 365.25).astype("timedelta64[D]")
    in_table = rng.random(n) >= missing_from_person_table
    sel_p = keep & in_table
    persons = pd.DataFrame(
        {
            "person_id": ids[sel_p],
            "birth_date": pd.DatetimeIndex(birth[sel_p]).strftime("%Y-%m-%d"),
            "sex": np.where(female[sel_p], "F", "M"),
        }
    )
    truth = ConfoundedTruth(
        pd.DataFrame(
            {
                "person_id": ids[keep][is_part],
                "entry_period": month_label(part[keep][is_part]),
                "prior_months": (part - s)[keep][is_part],
                "benefit_group": np.where(education[keep][is_part], "uddannelseshjaelp", "kontanthjaelp"),
            }
        ),
        tuple(hazard),
        float(effect),
        float(education_factor),
    )
    return spells, memberships, persons, truth
