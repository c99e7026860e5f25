"""The cohort rules that every engine shares: who is compared, the prior-duration clock, the refusals.

Comparison groups (``comparison``; ``docs/comparisons.md`` compares them)
-------------------------------------------------------------------------
* ``"non_participants"`` (default): target-group members of the case who are
  not in its intervention group, each from their own target entry period.
* ``"target_all"``: every target-group member, participants included (as the
  municipal notes do), from the target entry period; participants without a
  target row enter the comparison group at their intervention entry period.
* ``"matched"``: sequential (risk-set) matching. For each participant's entry
  month, up to ``k`` target-group members on support that month, not yet
  participants, with the same benefit group and prior-duration band, each with
  a clock that starts in that month (no immortal time). A person can be a
  control in several months (one row each); a later participant is censored at
  their own participation start (``censor_reason = "participation_start"``).
  Participants without a control are excluded and counted
  (``excluded_no_match``). Rules, choices and summary rows:
  :mod:`survival_invest.cohort.matching`. The ``memberships`` row then counts
  control rows (comparison) and participants (intervention); ``persons`` gets
  the columns ``prior_band`` and ``matched_set`` (the participant's set number,
  not an id).

* ``"adjusted"``: the ``non_participants`` group, whose curves are then
  adjusted for the case's covariates (:mod:`survival_invest.economics.adjusted`).

The intervention group is every intervention member from the intervention entry
period. Persons with no row at all in the spells extract are excluded from
both groups and counted (most likely an id mismatch, not a self-supporting
person).

The prior-duration clock
------------------------
``prior_weeks`` counts weeks on support before entry, looking back 3 years, and
only the stretch since the last break of 52 weeks or more off support
(:func:`lookback_reset`). The in-memory follow-up
(:mod:`survival_invest.cohort.follow`) and the SQL engines use the same two
numbers from here.

The run clock
-------------
A cohort is followed up to the data cut-off ``RunClock.cutoff`` (the last
complete period). Entries after it, and an extract that ends before it, are
refused (:func:`refuse_late_entries`, :func:`refuse_short_extract`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.choices import COMPARISONS, Comparison
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io.ids import person_keys
from survival_invest.io.periods import Frequency, RunClock, period_label
from survival_invest.io.tables import rows_text

__all__ = [
    "case_members",
    "comparison_rows",
    "id_form",
    "lookback_reset",
    "refuse_empty_groups",
    "refuse_late_entries",
    "refuse_short_extract",
    "refuse_unfollowed",
]


def lookback_reset(frequency: Frequency) -> tuple[int, int]:
    """The prior-duration clock in periods: ``(lookback, reset)``.

    Prior weeks are counted over the ``lookback`` periods before entry (3
    years), and a run of ``reset`` or more periods off support (52 weeks)
    starts the count again.

    Parameters
    ----------
    frequency : {"month", "week"}
        The analysis frequency.

    Returns
    -------
    (lookback, reset)
        ``(36, 12)`` for months, ``(156, 52)`` for weeks.
    """
    return (36, 12) if frequency == "month" else (156, 52)


def comparison_rows(
    memberships: pd.DataFrame, case_id: str, comparison: Comparison | str, keys: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Row positions (into ``memberships``) of a case's comparison and intervention members, and notes.

    The comparison rules:

    * ``non_participants``: target rows of persons who are not in the case's
      intervention group;
    * ``target_all``: every target row, plus the intervention rows of
      participants missing from the target group (at their intervention entry);
    * ``matched``: every target row (the pool the controls are drawn from, see
      :mod:`survival_invest.cohort.matching`).

    Index arithmetic only: no copy of the (possibly national) table.

    Parameters
    ----------
    memberships : DataFrame
        From :func:`survival_invest.read_memberships` (columns ``case_id,
        group, person_id``).
    case_id : str
        The case.
    comparison : {"non_participants", "target_all", "matched"}
        The comparison rule.
    keys : ndarray of int, optional
        Integer person keys of all rows (:func:`survival_invest.io.ids.person_keys`),
        computed once when several cases are taken from the same table.

    Returns
    -------
    (comparison, intervention, notes)
        Row positions of the comparison and intervention members, and counts
        for the summary (``target_rows_of_participants`` and the rule's note).

    Raises
    ------
    CohortError
        An unknown comparison rule, a case without memberships, or an empty group.
    """
    if comparison not in COMPARISONS:
        raise CohortError(f"comparison must be one of {list(COMPARISONS)}; got {comparison!r}.")
    src = memberships.attrs.get("source", "memberships")
    in_case = (memberships["case_id"] == str(case_id)).to_numpy(dtype=bool, na_value=False)
    if not in_case.any():
        cases = sorted(memberships["case_id"].unique().tolist())
        raise CohortError(f"case {case_id!r}: no memberships in {src}; cases present: {cases[:20]}.")
    is_inter = (memberships["group"] == "intervention").to_numpy(dtype=bool, na_value=False)
    inter = np.flatnonzero(in_case & is_inter)
    target = np.flatnonzero(in_case & ~is_inter)
    if keys is None:
        k_target, k_inter = person_keys(memberships["person_id"].iloc[target], memberships["person_id"].iloc[inter])
    else:
        k_target, k_inter = keys[target], keys[inter]
    participant = np.isin(k_target, k_inter)
    notes = {"target_rows_of_participants": int(participant.sum())}
    if comparison in ("non_participants", "adjusted"):  # adjusted: the non-participants, adjusted for covariates
        comp = target[~participant]
        notes["participants_left_out_of_comparison"] = int(participant.sum())
    elif comparison == "matched":
        comp = target
    else:
        missing = inter[~np.isin(k_inter, k_target)]
        comp = np.concatenate([target, missing])
        notes["participants_added_to_comparison_at_intervention_entry"] = len(missing)
    for name, rows in (("comparison", comp), ("intervention", inter)):
        if rows.size == 0:
            what = (
                "target group (the pool of matched controls)"
                if name == "comparison" and comparison == "matched"
                else f"{name} group"
            )
            raise CohortError(
                f"case {case_id!r}: the {what} is empty (comparison rule {comparison!r}); "
                f"check the 'group' column of {src}."
            )
    return comp, inter, notes


def case_members(
    memberships: pd.DataFrame, case_id: str, comparison: Comparison | str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The case's comparison and intervention members with their entry periods.

    Parameters
    ----------
    memberships : DataFrame
        From :func:`survival_invest.read_memberships` (with its ``row`` column).
    case_id : str
        The case.
    comparison : {"non_participants", "target_all", "matched"}
        The comparison rule (:func:`comparison_rows`).

    Returns
    -------
    (members, notes)
        ``person_id, group, entry_period, row``: the comparison members first,
        then the intervention members; and the notes of :func:`comparison_rows`.
    """
    comp, inter, notes = comparison_rows(memberships, case_id, comparison)
    rows = np.concatenate([comp, inter])
    out = memberships.iloc[rows][["person_id", "entry_period", "row"]].reset_index(drop=True)
    out.insert(1, "group", np.repeat(np.array(["comparison", "intervention"], dtype=object), [comp.size, inter.size]))
    return out, notes


def refuse_late_entries(members: pd.DataFrame, memberships: pd.DataFrame, case_id: str, clock: RunClock) -> None:
    """Refuse members whose entry lies after the data cut-off (``entry_period > clock.cutoff``).

    Parameters
    ----------
    members : DataFrame
        ``entry_period`` (period number) and ``row`` (1-based row of the
        memberships file) of the case's members.
    memberships : DataFrame
        The memberships table (for its ``row`` count and source name).
    case_id : str
        The case, named in the message.
    clock : RunClock
        The run's as-of, lag and cut-off.

    Raises
    ------
    ExtractError
        Naming the memberships rows, the first late entry and the cut-off.
    """
    late = members["entry_period"].to_numpy() > clock.cutoff
    if late.any():
        mask = np.zeros(int(memberships["row"].max()), dtype=bool)
        mask[members["row"].to_numpy()[late] - 1] = True
        first = members.loc[late, "entry_period"].iloc[0]
        msrc = memberships.attrs.get("source", "memberships")
        raise ExtractError(
            f"{msrc}: column 'entry_period', {rows_text(mask)} (case {case_id!r}): entry "
            f"{period_label(int(first), clock.frequency)} is after the data cut-off {clock.describe()}; "
            "remove those rows or run a later month."
        )


def refuse_short_extract(source: str, last: int, clock: RunClock) -> None:
    """Refuse an extract whose last period ``last`` lies before the cut-off: missing periods would look like exits.

    Parameters
    ----------
    source : str
        The extract's name, for the message.
    last : int
        The extract's last period number.
    clock : RunClock
        The run's as-of, lag and cut-off.

    Raises
    ------
    ExtractError
        When ``clock.cutoff > last``.
    """
    if clock.cutoff > last:
        raise ExtractError(
            f"{source}: column 'period': the extract ends {period_label(last, clock.frequency)} but the "
            f"cut-off is {clock.describe()}; "
            "the missing newest periods would look like exits from support. Run an earlier as-of month, raise the "
            "data lag, or use a newer extract."
        )


def id_form(ids: pd.Series) -> str:
    """How ids look, for a message that must not show one: ``"5 digits with leading zeros"``, ``"8 characters"``.

    Rule: all digits -> ``"<n> digits"`` (``"<lo>-<hi> digits"`` when the lengths
    differ), ``" with leading zeros"`` when some id of two or more digits
    starts with ``0``; otherwise ``"<n> characters"`` (letters and digits, or
    with other signs). Judged on the distinct ids (at most 100,000 of them).
    """
    text = pd.Series(pd.unique(ids.astype("string").dropna().to_numpy())[:100_000], dtype="string")
    if text.empty:
        return "no ids"
    lengths = text.str.len()
    lo, hi = int(lengths.min()), int(lengths.max())
    size = str(lo) if lo == hi else f"{lo}-{hi}"
    if bool(text.str.fullmatch(r"\d+").all()):
        zeros = bool((text.str.startswith("0") & (lengths > 1)).any())
        return f"{size} digits" + (" with leading zeros" if zeros else "")
    kind = "letters and digits" if bool(text.str.fullmatch(r"[A-Za-z0-9]+").all()) else "letters, digits and signs"
    return f"{size} characters ({kind})"


def refuse_unfollowed(
    members: pd.DataFrame, no_spells: np.ndarray, spell_ids: pd.Series, case_id: str, sources: tuple[str, str]
) -> None:
    """Refuse a case one of whose groups has no member in the spells extract at all.

    Such a case cannot be estimated, and it is almost always an id mismatch
    (ids that lost their leading zeros in one file, or files from different
    extracts), so the message compares the ids' *forms* (:func:`id_form`) in
    the two files and never shows an id. Ids are compared as text.

    Parameters
    ----------
    members : DataFrame
        The case's members: ``person_id`` and ``group`` (``comparison`` or ``intervention``).
    no_spells : ndarray of bool
        Per member: no row in the spells extract.
    spell_ids : Series
        The extract's person ids (for their form).
    case_id : str
        The case, named in the message.
    sources : (str, str)
        The memberships file and the spells file, named in the message.

    Raises
    ------
    CohortError
        Naming the case, the group(s), both files and the id forms.
    """
    groups = members["group"].to_numpy()
    empty = [g for g in ("intervention", "comparison") if (groups == g).any() and no_spells[groups == g].all()]
    if not empty:
        return
    msrc, ssrc = sources
    who = (
        "member (participant or comparison person)"
        if len(empty) == 2
        else ("participant" if empty == ["intervention"] else "comparison person")
    )
    in_members = id_form(members["person_id"][pd.Series(no_spells, index=members.index)])
    in_spells = id_form(spell_ids)
    if in_members != in_spells:
        why = (
            f"the ids differ in form: {in_spells} in the spells, {in_members} in the memberships; "
            "ids are compared as text (write them the same way in both files)"
        )
    else:
        why = f"the ids have the same form ({in_spells}); check that both files come from the same extract"
    raise CohortError(f"{msrc}: case {case_id!r}: no {who} of the case appears in the spells {ssrc}; {why}.")


def refuse_empty_groups(case_id: str, persons: dict[str, int], after: str) -> None:
    """Refuse a case whose comparison or intervention group is empty after the exclusions (nothing to estimate).

    Parameters
    ----------
    case_id : str
        The case, named in the message.
    persons : dict of str to int
        Persons per group (``comparison``, ``intervention``) in the cohort.
    after : str
        What was excluded, for the message.

    Raises
    ------
    CohortError
        Naming the case and the empty group(s).
    """
    empty = [g for g in ("comparison", "intervention") if persons.get(g, 0) == 0]
    if empty:
        raise CohortError(
            f"case {case_id!r}: the {' and '.join(empty)} group is empty after {after}; nothing to estimate. "
            "Run `survival-invest validate` to see the members without spell data per case."
        )
