"""Bootstrap over persons with replicate weights: all replicates in one counting pass.

Each replicate resamples persons with replacement *within their group* (group
sizes are kept, as the groups are fixed by design). A resample is a vector of
integer counts per person, so replicate *b* of group *g* is a weighted
Kaplan-Meier fit with those counts as weights — and integer case weights give
exactly the curve of the duplicated rows. All ``B x G`` curves are fitted by a
single :func:`~survival_invest.estimate.kaplan_meier_by` call on the
replicate-expanded arrays (group key ``b * G + g``); there is no Python loop
over replicates. Percentile intervals; seeded with ``numpy.random.default_rng``.

Memory grows with ``B x n`` (the expanded arrays); for a job centre's cohort
(thousands of persons) and 1,000 replicates that is a few million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.errors import InputError
from survival_invest.estimate.checks import check_survival_input, check_taus, group_codes
from survival_invest.estimate.fit import kaplan_meier_by

__all__ = ["BootstrapResult", "bootstrap", "crossed_counts", "replicate_counts"]


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates of RMST per group and horizon.

    Attributes
    ----------
    labels : ndarray
        Group labels.
    taus : ndarray
    estimate : ndarray, shape (G, Q)
        RMST of the original sample.
    replicates : ndarray, shape (B, G, Q)
        RMST of every replicate.
    alpha : float
    """

    labels: np.ndarray
    taus: np.ndarray
    estimate: np.ndarray
    replicates: np.ndarray
    alpha: float

    def _row(self, label: object) -> int:
        hit = np.flatnonzero(self.labels == label)
        if hit.size == 0:
            raise KeyError(f"no group {label!r}; groups are {list(self.labels)}")
        return int(hit[0])

    def _repr_html_(self) -> str:
        b = self.replicates.shape[0]
        return (
            f"<div><b>Bootstrap</b>: {b} replicates over persons, {100 * (1 - self.alpha):g} % percentile "
            "intervals</div>" + self.rmst().to_html(index=False, float_format=lambda x: f"{x:.4g}")
        )

    def rmst(self) -> pd.DataFrame:
        """RMST per group and horizon with bootstrap SE and percentile interval."""
        lo, hi = np.quantile(self.replicates, [self.alpha / 2, 1 - self.alpha / 2], axis=0)
        g, q = np.meshgrid(np.arange(len(self.labels)), np.arange(len(self.taus)), indexing="ij")
        return pd.DataFrame(
            {
                "group": self.labels[g.ravel()],
                "tau": self.taus[q.ravel()],
                "value": self.estimate.ravel(),
                "se": self.replicates.std(axis=0, ddof=1).ravel(),
                "lower": lo.ravel(),
                "upper": hi.ravel(),
            }
        )

    def area(self, comparison: object, intervention: object) -> pd.DataFrame:
        """``RMST_comparison - RMST_intervention`` per horizon with bootstrap SE and percentile interval."""
        c, i = self._row(comparison), self._row(intervention)
        reps = self.replicates[:, c, :] - self.replicates[:, i, :]
        lo, hi = np.quantile(reps, [self.alpha / 2, 1 - self.alpha / 2], axis=0)
        return pd.DataFrame(
            {
                "tau": self.taus,
                "value": self.estimate[c] - self.estimate[i],
                "se": reps.std(axis=0, ddof=1),
                "lower": lo,
                "upper": hi,
            }
        )


def replicate_counts(codes: np.ndarray, n_groups: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Resampling counts, shape (B, n): persons drawn with replacement within their group.

    One ``integers`` draw and one ``bincount`` per group (groups are a handful;
    nothing loops over replicates or persons).

    Parameters
    ----------
    codes : ndarray of int, shape (n,)
        Group code 0..G-1 of every person.
    n_groups : int
    n_boot : int
        Replicates B.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (B, n)
        ``counts[b, i]``: how often person ``i`` is drawn in replicate ``b``;
        each row sums to ``n`` and keeps every group's size.
    """
    n = codes.shape[0]
    counts = np.zeros(n_boot * n, dtype=np.int64)
    base = (np.arange(n_boot, dtype=np.int64) * n)[:, None]
    for g in range(n_groups):
        members = np.flatnonzero(codes == g)
        if members.size == 0:
            continue
        draws = members[rng.integers(0, members.size, size=(n_boot, members.size))]
        counts += np.bincount((base + draws).ravel(), minlength=n_boot * n)
    return counts.reshape(n_boot, n)


def crossed_counts(sets: object, persons: object, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap counts ``(B, n)`` of the rows of a crossed (set x person) design, such as a matched cohort.

    A row is a (matched set, person) pair; a control may be reused in several
    sets. Both factors are drawn (a pigeonhole bootstrap restricted to where
    the design is crossed):

    * the sets, with replacement (``M_s``, multinomial over the ``S`` sets);
    * the persons whose rows lie in **two or more** sets, with replacement among
      themselves (``N_p``, multinomial);

    and a row's count is ``M_s N_p`` (``N_p = 1`` for a person in one set).

    Why this scheme. A person in a single set is *nested* in it and goes with
    the set: resampling only the outer level of a nested design is the
    standard rule (Davison and Hinkley 1997, section 3.8), so without reused
    persons this is exactly the set bootstrap, drawn the same way from the same
    generator. Resampling sets alone treats a reused control's rows as
    independent copies and drops the covariance between the sets that share
    the control (on the matched cases of ``benchmarks/coverage.py`` it covered
    89.0-92.2 % by year). Owen's pigeonhole bootstrap over *all* persons (Owen
    2007, "The pigeonhole bootstrap"; Owen and Eckles 2012) multiplies every
    nested row by an independent person draw as well; to first order its
    variance is the two-way clustered one ``V_set + V_person - V_row`` plus
    ``2 V_row`` (standard errors 1.5-1.8 times the two-way one on those
    cases). Restricted to the crossed persons the excess is twice the squared
    influences of the reused persons' rows only (standard errors 1.00-1.15
    times the two-way one). No scheme with non-negative counts reproduces the
    two-way variance exactly (its covariance ``A_set + A_person - I`` of the
    rows need not be positive semi-definite), so this one, like Owen's, is
    mildly conservative by design.

    Parameters
    ----------
    sets : array-like, shape (n,)
        The set label of every row.
    persons : array-like, shape (n,)
        The person label of every row.
    n_boot : int
        Replicates B.
    rng : numpy.random.Generator
        Sets are drawn first, then (if any) the reused persons.

    Returns
    -------
    ndarray of int64, shape (B, n)
        Every row of a set has the set's count (times its person's, for a
        reused person); the sets drawn number ``S`` and the reused persons drawn
        number the reused persons.
    """
    s = pd.factorize(np.asarray(sets))[0]
    who = pd.factorize(np.asarray(persons))[0]
    if s.shape != who.shape:
        raise InputError(
            f"crossed_counts: sets and persons must have one label per row; got {s.shape} and {who.shape}."
        )
    n_sets = int(s.max()) + 1 if s.size else 0
    counts = replicate_counts(np.zeros(n_sets, dtype=np.int64), 1, n_boot, rng)[:, s]
    pairs = np.unique(np.stack([who, s]), axis=1)  # distinct (person, set) pairs
    crossed = np.bincount(pairs[0], minlength=int(who.max()) + 1 if who.size else 0) > 1
    rows = crossed[who]
    if rows.any():
        compact = np.cumsum(crossed) - 1  # person code -> 0 .. reused persons - 1
        per_person = replicate_counts(np.zeros(int(crossed.sum()), dtype=np.int64), 1, n_boot, rng)
        counts[:, rows] *= per_person[:, compact[who[rows]]]
    return counts


def bootstrap(
    durations: object,
    events: object,
    groups: object,
    *,
    tau: object,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Bootstrap RMST (and, via :meth:`BootstrapResult.area`, the area between curves).

    Parameters
    ----------
    durations, events, groups : array-like
        As for :func:`kaplan_meier_by`.
    tau : number or list of numbers
        Horizons.
    n_boot : int
        Replicates (>= 2).
    seed : int
        Seed; equal seeds give identical results.
    alpha : float
        1 - level of the percentile intervals.

    Returns
    -------
    BootstrapResult
    """
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise InputError(f"The 'n_boot' parameter of bootstrap must be a whole number >= 2. Got {n_boot!r} instead.")
    if not (0.0 < float(alpha) < 1.0):
        raise InputError(f"The 'alpha' parameter of bootstrap must be in (0, 1). Got {alpha!r} instead.")
    taus = check_taus(tau, "bootstrap")
    x = check_survival_input(durations, events)
    codes, labels, _ = group_codes(groups, x.durations.shape[0])
    codes = np.asarray(codes, dtype=np.int64)
    present = np.bincount(codes, minlength=len(labels)) > 0
    lut = np.cumsum(present) - 1
    codes, labels = lut[codes], np.asarray(labels)[present]
    n_groups = len(labels)
    original = kaplan_meier_by(x.durations, x.events, codes).rmst(taus)["value"].to_numpy().reshape(n_groups, -1)

    rng = np.random.default_rng(seed)
    counts = replicate_counts(codes, n_groups, int(n_boot), rng)
    rep_key = (np.arange(n_boot, dtype=np.int64)[:, None] * n_groups + codes[None, :]).ravel()
    keep = counts.ravel() > 0  # persons not drawn in a replicate add nothing
    fit = kaplan_meier_by(
        np.tile(x.durations, n_boot)[keep],
        np.tile(x.events, n_boot)[keep],
        rep_key[keep],
        weights=counts.ravel()[keep].astype(np.float64),
    )
    values = fit.rmst(taus)["value"].to_numpy().reshape(n_boot, n_groups, len(taus))
    return BootstrapResult(labels, taus, original, values, float(alpha))
