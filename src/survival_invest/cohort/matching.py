"""Sequential (risk-set) matching: comparison persons chosen at each participant's entry month.

``build_cohort(..., comparison="matched")`` uses this module. The rules
(also in ``docs/comparisons.md``):

Who can be a control for a participant who starts in month ``m``
------------------------------------------------------------------
A member of the case's *target group* (a ``target`` row of the memberships) who,
in month ``m``,

* is in the target group already: target entry ``<= m``;
* is on support (a ``support``-class code in ``m``) and has no censor code in ``m``;
* is not a participant yet: no intervention entry of this case at or before
  ``m`` (a person who starts the effort *later* is eligible; see below);
* has the participant's **benefit group** at entry (the group of the
  on-support code at the latest period ``<= entry``; a code without a benefit
  group matches only codes without one);
* has the participant's **prior-duration band**: weeks on support before entry
  (``Cohort.persons.prior_weeks``, the refusion count: since the last 52-week
  break within 3 years), cut at ``Matching.prior_bands`` (default 13, 26, 52
  and 104 weeks: bands 0-12, 13-25, 26-51, 52-103 and 104+). A fractional week
  count (monthly data count 52/12 weeks per month) falls in the band of its
  whole part.

The control's duration clock starts at ``m`` (``t = 0`` in the participant's
entry month), exactly as the participant's: the comparison clock starts at a
comparable moment, so there is no immortal time (the participant did not have
to survive on support until some later date to be counted, and neither does the
control).

How many, and drawn how
-----------------------
* **1:k without replacement within an entry month** (``Matching.ratio = k``,
  default 2). In each stratum (entry month, benefit group, prior band) the
  eligible persons are put in a seeded random order and dealt out to the
  stratum's participants (also in a seeded random order) like cards: the first
  goes to participant 1, the second to participant 2, ..., until every
  participant has ``k`` or the stratum runs out. So within a month a person is
  a control for at most one participant, and when controls are scarce each
  participant gets ``floor`` or ``ceil`` of the share rather than some getting
  ``k`` and others none. Seeded (``Matching.seed``): the same inputs give the same
  controls.
* Chosen over "all eligible with stratum weights" because the rest of the
  engine (curves, economics, reports) works on unweighted persons: the matched
  comparison group is then an ordinary group of persons. The cost is that a
  participant with fewer than ``k`` controls is represented a little less in
  the comparison curve; the summary counts participants by number of controls,
  and :func:`match_weights` gives weights (1 / controls of the set) that
  restore equal representation for a weighted curve.
* **One person can be a control in several months** (a new row each time, each
  with its own clock), as in sequential trial emulation (Hernán & Robins 2016;
  Lu 2005, risk-set matching). Within one month, at most once.
* **A later participant can be a control before their own start** and is then
  **censored at their participation start** (follow-up ends the period before
  the intervention entry; ``censor_reason = "participation_start"``): excluding
  future participants from the risk set would condition on the future (they
  must stay on support until they are picked) and bias the comparison.
* Participants with no eligible control are **excluded** from the matched
  cohort (the effect is estimated for the participants who found a match) and
  counted: summary row ``excluded_no_match``, and
  ``matching_participants_with_<j>_controls`` for ``j = 0 .. k``.

Everything is vectorised: eligible (person, month) pairs come from one mask
over the status rows, strata from one ``groupby().ngroup()``, and the dealing
from a ``lexsort`` on (stratum, random key) and ranks within strata; there is
no Python loop over persons or months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.cohort.status import Status
from survival_invest.errors import CohortError

__all__ = [
    "DEFAULT_PRIOR_BANDS",
    "Matching",
    "band_labels",
    "deal_controls",
    "eligible_pairs",
    "match_weights",
    "prior_band",
]

#: Cut points (weeks on support before entry) of the default prior-duration bands.
DEFAULT_PRIOR_BANDS = (13, 26, 52, 104)


@dataclass(frozen=True)
class Matching:
    """Settings of ``comparison = "matched"`` (see the module docstring).

    Parameters
    ----------
    ratio : int
        Controls wanted per participant (1:k), at least 1.
    prior_bands : tuple of int
        Increasing cut points in whole weeks; band ``i`` is
        ``[prior_bands[i-1], prior_bands[i])`` with 0 before the first and no
        upper limit after the last.
    seed : int
        Seed of the random order in which controls are dealt.
    """

    ratio: int = 2
    prior_bands: tuple[int, ...] = DEFAULT_PRIOR_BANDS
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.ratio, bool) or not isinstance(self.ratio, (int, np.integer)) or self.ratio < 1:
            raise CohortError(
                f"Matching.ratio must be a whole number of controls per participant >= 1; got {self.ratio!r}."
            )
        bands = tuple(self.prior_bands)
        if not all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in bands) or any(
            b <= a for a, b in zip((0, *bands), bands, strict=False)
        ):
            raise CohortError(
                f"Matching.prior_bands must be increasing whole numbers of weeks above 0, like (13, 26, 52, 104); got {self.prior_bands!r}."
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise CohortError(f"Matching.seed must be a whole number; got {self.seed!r}.")
        object.__setattr__(self, "prior_bands", tuple(int(b) for b in bands))

    def describe(self) -> str:
        """``1:2, prior bands 0-12, 13-25, ... weeks, seed 0``."""
        return f"1:{self.ratio}, prior bands {', '.join(band_labels(self.prior_bands))} weeks, seed {self.seed}"


def band_labels(prior_bands: tuple[int, ...]) -> list[str]:
    """Labels of the bands: ``["0-12", "13-25", "26-51", "52-103", "104+"]`` for the default cut points."""
    lows = (0, *tuple(prior_bands))
    closed = [f"{lo}-{hi - 1}" for lo, hi in zip(lows[:-1], prior_bands, strict=True)]
    return [*closed, f"{lows[-1]}+"]


def prior_band(prior_weeks: np.ndarray, prior_bands: tuple[int, ...] = DEFAULT_PRIOR_BANDS) -> np.ndarray:
    """Band number (0 = shortest) of each prior-weeks value: the band of its whole part.

    Sums of 52/12 weeks per month carry rounding noise (3 months = 12.999...),
    so values are rounded to 6 decimals before the whole part is taken.
    """
    whole = np.floor(np.round(np.asarray(prior_weeks, dtype=float), 6))
    return np.searchsorted(np.asarray(prior_bands, dtype=float), whole, side="right").astype(np.int64)


def eligible_pairs(
    st: Status,
    target_person: np.ndarray,
    target_entry: np.ndarray,
    target_start: np.ndarray,
    months: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible (target row, month) pairs: the risk sets of the participants' entry months.

    Parameters
    ----------
    st : Status
        The classified extract.
    target_person : ndarray of int
        Per target row of the case, the person's position in ``st.persons``
        (-1 when the person has no spell rows).
    target_entry : ndarray of int
        Per target row, the target entry period.
    target_start : ndarray of int
        Per target row, the person's intervention entry period in this case (a
        huge number when the person never participates).
    months : ndarray of int
        The participants' entry periods.

    Returns
    -------
    (target_row, status_row)
        One pair per person and month in ``months`` in which the person is on
        support without a censor code, in the target group already and not yet
        a participant; ``status_row`` indexes the status arrays (its period is
        the month). Sorted by status row, i.e. by (person, month).
    """
    row_of_person = np.full(len(st.persons), -1, dtype=np.int64)
    has = target_person >= 0
    row_of_person[target_person[has]] = np.flatnonzero(has)
    mask = st.on & ~st.censor & np.isin(st.period, months)
    rows = np.flatnonzero(mask)
    tr = row_of_person[st.person[rows]]
    period = st.period[rows].astype(np.int64)
    ok = tr >= 0
    tr_ok = np.where(ok, tr, 0)
    ok &= (target_entry[tr_ok] <= period) & (period < target_start[tr_ok])
    return tr[ok], rows[ok]


def deal_controls(
    participant_stratum: np.ndarray, candidate_stratum: np.ndarray, ratio: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deal candidates to participants of the same stratum, 1:``ratio``, without replacement.

    Parameters
    ----------
    participant_stratum, candidate_stratum : ndarray of int
        Stratum numbers (equal number = same entry month, benefit group and
        band). The input order must be deterministic (the random keys are drawn
        in it).
    ratio : int
    seed : int

    Returns
    -------
    (candidate, participant, n_controls)
        The chosen candidates (positions), the participant each one is a
        control for (positions), and the number of controls per participant.

    Notes
    -----
    Participants and candidates are each put in a seeded random order within
    their stratum; the candidate of rank ``r`` goes to the participant of rank
    ``r mod n_p`` if ``r < ratio * n_p`` (``n_p`` participants in the stratum),
    so each participant gets ``min(ratio, floor or ceil(n_c / n_p))`` controls.
    """
    rng = np.random.default_rng(seed)
    n_s = int(max(participant_stratum.max(initial=-1), candidate_stratum.max(initial=-1))) + 1
    p_order = np.lexsort((rng.random(int(participant_stratum.shape[0])), participant_stratum))
    c_order = np.lexsort((rng.random(int(candidate_stratum.shape[0])), candidate_stratum))
    n_p = np.bincount(participant_stratum, minlength=n_s)
    p_first = np.cumsum(n_p) - n_p  # position in p_order where each stratum starts
    c_sorted = candidate_stratum[c_order]
    n_c = np.bincount(candidate_stratum, minlength=n_s)
    c_rank = np.arange(c_sorted.shape[0]) - (np.cumsum(n_c) - n_c)[c_sorted]
    take = c_rank < ratio * n_p[c_sorted]
    s = c_sorted[take]
    participant = p_order[p_first[s] + c_rank[take] % n_p[s]]
    candidate = c_order[take]
    n_controls = np.bincount(participant, minlength=participant_stratum.shape[0])
    return candidate, participant, n_controls


def strata(month: np.ndarray, benefit_group: np.ndarray, band: np.ndarray) -> np.ndarray:
    """One integer per distinct (month, benefit group, band); missing benefit groups form their own group.

    Parameters
    ----------
    month : ndarray of int
        Entry month of each participant or candidate.
    benefit_group : ndarray of object
        Benefit group at entry (missing = no group).
    band : ndarray of int
        Prior-duration band (:func:`prior_band`).

    Returns
    -------
    ndarray of int64
        Stratum numbers ``0 .. n - 1`` in sorted (month, group, band) order.
    """
    frame = pd.DataFrame({"m": month, "g": pd.Series(benefit_group, dtype="string").fillna("").to_numpy(), "b": band})
    return frame.groupby(["m", "g", "b"], sort=True).ngroup().to_numpy(dtype=np.int64)


def match_weights(persons: pd.DataFrame) -> np.ndarray:
    """Weights that give every matched participant's set equal total weight in the comparison curve.

    Participants 1, controls ``1 / (controls in their set)``, using the
    ``matched_set`` column of a matched cohort's persons. With these weights a
    participant with fewer than ``k`` controls counts as much as one with ``k``.
    """
    if "matched_set" not in persons.columns:
        raise CohortError(
            "match_weights needs the persons of a cohort built with comparison='matched' (column 'matched_set')."
        )
    comp = (persons["group"] != "intervention").to_numpy()
    sets = persons["matched_set"].to_numpy(dtype=np.int64)
    per_set = np.bincount(sets[comp], minlength=int(sets.max(initial=-1)) + 1)
    return np.where(comp, 1.0 / np.maximum(per_set[sets], 1), 1.0)
