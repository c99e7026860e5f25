"""Portfolios whose cases share target-group persons, with the truth of :func:`simulate_portfolio` kept.

The Norddjurs layout puts two cases on one target group (cases 1 and 2 on one,
3 and 4 on another). :func:`share_comparison` rewrites the memberships of a
simulated portfolio so that the second case of each pair has the first case's
non-participants as its own: both cases' comparison curves are estimated from
the same persons, so the two cases' figures are correlated, while each case's
participants stay its own. The simulated comparison hazards of a pair must be
equal (they are for ``NORDDJURS_CASES``), so that every case's true curves,
and thus :func:`survival_invest.synthetic.truth.realised_truth`, are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from survival_invest.errors import InputError
from survival_invest.synthetic.cases import NORDDJURS_CASES, CaseSpec

__all__ = ["NORDDJURS_PAIRS", "share_comparison"]

#: The cases that share a target group in the Norddjurs layout: (first, second).
NORDDJURS_PAIRS = (("1", "2"), ("3", "4"))


def _non_participants(memberships: pd.DataFrame, case_id: str) -> pd.DataFrame:
    """The target rows of ``case_id`` whose person has no intervention row in it."""
    rows = memberships[memberships["case_id"].astype(str) == case_id]
    inside = set(rows.loc[rows["group"] == "intervention", "person_id"])
    target = rows[rows["group"] == "target"]
    return target[~target["person_id"].isin(inside)]


def share_comparison(
    memberships: pd.DataFrame,
    pairs: Sequence[tuple[str, str]] = NORDDJURS_PAIRS,
    cases: Sequence[CaseSpec] = NORDDJURS_CASES,
) -> pd.DataFrame:
    """Memberships in which the second case of each pair takes the first case's non-participants as its own.

    Parameters
    ----------
    memberships : DataFrame
        :func:`~survival_invest.synthetic.simulate_portfolio`'s memberships
        (``person_id, case_id, group, entry_period``).
    pairs : sequence of (str, str)
        ``(first, second)`` case ids.
    cases : sequence of CaseSpec
        The simulated cases (to check that a pair's comparison hazards agree).

    Returns
    -------
    DataFrame
        The same columns; the second case's own non-participants are left out
        of it (they stay in the spells, unused), the first case's are added with
        their entry.

    Raises
    ------
    InputError
        A pair whose comparison hazards differ (the truth would no longer hold).
    """
    specs = {c.case_id: c for c in cases}
    out = memberships
    for first, second in pairs:  # two pairs
        a, b = specs[first], specs[second]
        if (a.breaks, a.hazard_comparison) != (b.breaks, b.hazard_comparison):
            raise InputError(
                f"share_comparison: cases {first!r} and {second!r} have different comparison hazards; "
                "expected equal ones, so that the shared comparison group is one population."
            )
        own = _non_participants(out, second)
        shared = _non_participants(out, first).assign(case_id=second)
        out = pd.concat([out.drop(index=own.index), shared], ignore_index=True)
    return out.reset_index(drop=True)
