"""The payment file: what the municipality paid, and got back, per person and week (or month).

Two layouts are read (``read_payments`` decides from the header):

* **National** — the benefit-refusion calculation of the national service
  platform, as municipalities receive it: a ``;``-separated CSV with decimal
  commas and the columns ``Uge`` (the week), ``CPR nummer``, ``Ydelse`` (the
  benefit's name), ``Finansiering Kommunenavn``, ``Beregnet udbetalingsbeløb``
  (paid), ``Refusionssats``, ``Refusionsbeløb`` (refunded by the state),
  ``Medfinansieringssats`` and ``Medfinansieringsbeløb`` (the municipality's
  co-financing of a benefit the state or an a-kasse pays, e.g. a-dagpenge).
* **Long generic** (a Fasit-style extract): ``person_id, period, benefit,
  amount, refusion`` and optionally ``cofinancing``; ``period`` is ``YYYY-MM``
  or ``YYYY-Www``.

Decisions:

* **Week labels as found.** ``Uge`` may be written ``2021-W05``, ``2021W05``,
  ``2021-05``, ``2021/05`` or ``202105`` (ISO year and week); the label is kept
  as found in ``label`` and read as an ISO week. Weeks go to months by the
  Thursday rule of :mod:`survival_invest.io.periods` (:func:`monthly_net`).
* **Net cost to the municipality** of a row (``net``): the co-financing amount
  when the row is co-financed (a co-financing rate or amount other than 0),
  else the payment minus the refusion.
* **Corrections.** Negative amounts (a correction of an earlier week) are kept
  as rows and summed with the rest in :func:`monthly_net`; nothing is netted
  away row by row.
* **Benefit groups.** ``Ydelse`` names (compared case- and blank-insensitively)
  are mapped to benefit groups by a table: the shipped :data:`DEFAULT_BENEFIT_GROUPS`
  updated by ``[data] payment_benefits``. A name in neither gets the group
  ``"other"`` and one warning listing such names (names, never persons).
* **CPR numbers.** ``CPR nummer`` is the person id. With ``[privacy] ids =
  "cpr"`` it is normalised and pseudonymised at read time like every other
  file's ids; otherwise a 9-digit number gets its lost leading zero back (as
  the municipal ETL does), so that it matches the 10-digit ids of the other
  files, and a CPR-looking column is warned about.
* **Validation.** Every problem of the file is reported at once, one line
  each, with the file, column, rows and the first offending value: blank ids,
  unreadable weeks or periods, amounts that are not numbers, blank benefits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import plain_repr
from survival_invest.io.periods import Frequency, parse_periods, week_to_month
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import Problems, clean_codes, read_table, refuse_empty, require_columns, rows_text
from survival_invest.io.text import decimal_commas

__all__ = [
    "DEFAULT_BENEFIT_GROUPS",
    "LONG_COLUMNS",
    "NATIONAL_COLUMNS",
    "NATIONAL_REQUIRED",
    "Payments",
    "monthly_net",
    "payments_from_frame",
    "read_payments",
]

log = logging.getLogger(__name__)

#: The national layout's columns and the canonical name each becomes.
NATIONAL_COLUMNS = {
    "Uge": "period",
    "CPR nummer": "person_id",
    "Ydelse": "benefit",
    "Finansiering Kommunenavn": "municipality",
    "Beregnet udbetalingsbeløb": "amount",
    "Refusionssats": "refusion_rate",
    "Refusionsbeløb": "refusion",
    "Medfinansieringssats": "cofinancing_rate",
    "Medfinansieringsbeløb": "cofinancing",
}
#: The long generic layout's required columns (``cofinancing`` is optional).
LONG_COLUMNS = ("person_id", "period", "benefit", "amount", "refusion")
#: The national columns a file must have (the rates, the municipality and the co-financing may be absent).
NATIONAL_REQUIRED = ("Uge", "CPR nummer", "Ydelse", "Beregnet udbetalingsbeløb", "Refusionsbeløb")
_AMOUNTS = ("amount", "refusion", "cofinancing", "refusion_rate", "cofinancing_rate")

#: ``Ydelse`` names (lower case) -> benefit group; ``[data] payment_benefits`` adds to and overrides it.
DEFAULT_BENEFIT_GROUPS: Mapping[str, str] = {
    "kontanthjælp": "kontanthjaelp",
    "uddannelseshjælp": "uddannelseshjaelp",
    "integrationsydelse": "kontanthjaelp",
    "selvforsørgelses- og hjemrejseydelse": "kontanthjaelp",
    "overgangsydelse": "kontanthjaelp",
    "sygedagpenge": "sygedagpenge",
    "ressourceforløbsydelse": "ressourceforloeb",
    "jobafklaringsforløb": "jobafklaring",
    "ledighedsydelse": "ledighedsydelse",
    "a-dagpenge": "dagpenge",
    "dagpenge": "dagpenge",
    "revalidering": "revalidering",
    "fleksløntilskud": "fleksjob",
    "førtidspension": "foertidspension",
}

_WEEK_RE = r"^\s*(\d{4})\s*[-/ ]?\s*[Ww]?\s*(\d{1,2})\s*$"


@dataclass(frozen=True)
class Payments:
    """A payment file as read: one row per payment line, and the file's period frequency.

    Attributes
    ----------
    frame : DataFrame
        ``person_id`` (string), ``period`` (int64 period number), ``label``
        (the period as found), ``benefit`` (the name as found),
        ``benefit_group``, ``amount``, ``refusion``, ``cofinancing`` (kroner,
        0 where not given) and ``net`` (the municipality's net cost: module docstring).
    frequency : {"week", "month"}
        Periods of the file (the national layout is weekly).
    source : str
        The file name.
    layout : {"national", "long"}
        Which layout the header showed.
    """

    frame: pd.DataFrame
    frequency: Frequency
    source: str
    layout: str

    @property
    def persons(self) -> int:
        """Distinct persons in the file."""
        return int(self.frame["person_id"].nunique())


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values): a national file repeats its weeks, names and many amounts; parse each once.

    Missing values get the code of a missing entry appended at the end, so ``uniq.iloc[codes]`` is the column.
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    values_u = np.empty(len(uniq) + 1, dtype=object)
    values_u[:-1] = np.asarray(uniq, dtype=object)
    uniq_s = pd.Series(values_u)  # the last entry stays None: the missing values' code
    return np.where(codes < 0, len(uniq), codes), uniq_s


def _week_periods(labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO week numbers of ``Uge`` labels (each distinct label parsed once) and the mask of unreadable ones."""
    codes, uniq = _distinct(labels)
    periods, bad = _distinct_week_periods(uniq)
    return periods[codes], bad[codes]


def _distinct_week_periods(labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO week numbers of ``Uge`` labels in any of the accepted spellings, and the mask of unreadable ones."""
    parts = clean_codes(labels).str.extract(_WEEK_RE)
    text = parts[0].str.cat(parts[1].str.zfill(2), sep="-W")
    periods, _, bad = parse_periods(text.astype(object).where(text.notna(), None), "week")
    return periods, bad | text.isna().to_numpy(dtype=bool)


def _numbers(frame: pd.DataFrame, source: str, names: Mapping[str, str], problems: Problems) -> pd.DataFrame:
    """The amount columns as floats (0 where blank); non-numbers recorded as problems."""
    out = {}
    for col in _AMOUNTS:
        if col not in frame.columns:
            out[col] = np.zeros(len(frame))
            continue
        raw = frame[col]
        codes, uniq = _distinct(raw)
        text = decimal_commas(pd.DataFrame({col: uniq}))[col]  # a frame given directly may have decimal commas
        u_blank = uniq.isna().to_numpy(dtype=bool) | clean_codes(uniq.astype("string")).fillna("").eq("").to_numpy(
            dtype=bool
        )
        u_num = pd.to_numeric(text.where(~u_blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        blank, num = u_blank[codes], u_num[codes]
        bad = ~blank & ~np.isfinite(num)
        if bad.any():
            first = raw.iloc[int(np.argmax(bad))]
            problems.add(
                f"{source}: column '{names.get(col, col)}', {rows_text(bad)}: {plain_repr(first)} is not an "
                "amount; expected a number in kroner (decimal comma or point)."
            )
        out[col] = np.where(blank | bad, 0.0, num)
    return pd.DataFrame(out, index=frame.index)


def _benefit_groups(benefit: pd.Series, table: Mapping[str, str], source: str) -> pd.Series:
    """Benefit group of each ``Ydelse`` name (module docstring); unmapped names -> ``other``, warned once."""
    codes, uniq = _distinct(benefit)
    return pd.Series(_groups_of(uniq.astype("string"), table, source).to_numpy()[codes], dtype="string")


def _groups_of(benefit: pd.Series, table: Mapping[str, str], source: str) -> pd.Series:
    """:func:`_benefit_groups` of distinct names."""
    key = benefit.str.strip().str.lower()
    lookup = {**DEFAULT_BENEFIT_GROUPS, **{k.strip().lower(): v for k, v in table.items()}}
    groups = key.map(lookup)
    missing = groups.isna() & key.notna()
    if missing.any():
        names = sorted(benefit[missing].dropna().unique().tolist())
        log.warning(
            "%s: benefit names without a benefit group (counted as 'other'; map them in [data] payment_benefits): %s",
            source,
            ", ".join(repr(n) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else ""),
        )
    return groups.fillna("other").astype("string")


def _person_ids(frame: pd.DataFrame, source: str, column: str, ids: IdPolicy) -> pd.Series:
    """The id column after the policy: pseudonyms (declared CPR) or the ids with a lost leading zero restored."""
    frame = ids.apply(frame, column, source)
    codes, uniq = _distinct(frame[column])
    pid = clean_codes(uniq.astype("string") if uniq.dtype.kind == "O" and not ids.pseudonymised else uniq)
    if not ids.pseudonymised:
        nine = pid.str.fullmatch(r"\d{9}").fillna(False)
        pid = pid.where(~nine, "0" + pid)
    return pd.Series(pid.to_numpy()[codes], dtype="string")


def payments_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    benefits: Mapping[str, str] | None = None,
    ids: IdPolicy = PLAIN,
) -> Payments:
    """Validate a payment table in either layout (module docstring) and return it in canonical form.

    Parameters
    ----------
    frame : DataFrame
        The national columns (:data:`NATIONAL_COLUMNS`) or the long ones (:data:`LONG_COLUMNS`), as text or numbers.
    source : str
        File name used in messages.
    benefits : mapping of str to str, optional
        ``Ydelse`` name -> benefit group, added to :data:`DEFAULT_BENEFIT_GROUPS`.
    ids : IdPolicy
        Declared CPR numbers are pseudonymised here (:mod:`survival_invest.io.privacy`).

    Returns
    -------
    Payments

    Raises
    ------
    ExtractError
        Every problem of the table, one line each (file, column, rows, value).
    """
    national = "Uge" in frame.columns or "CPR nummer" in frame.columns
    require_columns(frame, NATIONAL_REQUIRED if national else LONG_COLUMNS, source)
    names = {v: k for k, v in NATIONAL_COLUMNS.items()} if national else {}
    frame = frame.copy()  # the id column is replaced in place by the policy: never in the caller's frame
    pid = _person_ids(frame, source, names.get("person_id", "person_id"), ids)
    work = frame.rename(columns=NATIONAL_COLUMNS) if national else frame
    problems = Problems()
    blank = (pid.isna() | (pid == "")).to_numpy(dtype=bool)
    if blank.any():
        problems.add(f"{source}: column '{names.get('person_id', 'person_id')}', {rows_text(blank)}: empty person id.")
    p_codes, p_uniq = _distinct(work["period"])
    label = pd.Series(p_uniq.astype("string").str.strip().to_numpy()[p_codes], dtype="string")
    if national:
        periods, bad = _week_periods(work["period"])
        freq: Frequency = "week"
    else:
        periods, freq, bad = parse_periods(label.astype(object).where(label.notna(), None), "auto")
    if bad.any():
        first = work["period"].iloc[int(np.argmax(bad))]
        expected = "an ISO week like 2021-W05 or 202105" if national else "YYYY-MM or YYYY-Www like all rows"
        problems.add(
            f"{source}: column '{names.get('period', 'period')}', {rows_text(bad)}: cannot read the period "
            f"{plain_repr(first)}; expected {expected}."
        )
    b_codes, b_uniq = _distinct(work["benefit"])
    benefit = pd.Series(b_uniq.astype("string").str.strip().to_numpy()[b_codes], dtype="string")
    no_benefit = (benefit.isna() | (benefit == "")).to_numpy(dtype=bool)
    if no_benefit.any():
        problems.add(f"{source}: column '{names.get('benefit', 'benefit')}', {rows_text(no_benefit)}: empty benefit.")
    amounts = _numbers(work, source, names, problems)
    problems.done()
    cofinanced = (amounts["cofinancing_rate"] != 0) | (amounts["cofinancing"] != 0)
    out = pd.DataFrame(
        {
            "person_id": pid.to_numpy(),
            "period": periods.astype(np.int64),
            "label": label.to_numpy(),
            "benefit": benefit.to_numpy(),
            "benefit_group": _benefit_groups(benefit, benefits or {}, source).to_numpy(),
            "amount": amounts["amount"].to_numpy(),
            "refusion": amounts["refusion"].to_numpy(),
            "cofinancing": amounts["cofinancing"].to_numpy(),
            "net": np.where(cofinanced, amounts["cofinancing"], amounts["amount"] - amounts["refusion"]),
        }
    )
    out["person_id"] = out["person_id"].astype("string")
    return Payments(out, freq, source, "national" if national else "long")


def read_payments(path: str | Path, *, benefits: Mapping[str, str] | None = None, ids: IdPolicy = PLAIN) -> Payments:
    """Read a payment file (national layout or long generic; rules: module docstring).

    Parameters
    ----------
    path : str or Path
        CSV (``;`` with decimal commas, or ``,``) or Parquet.
    benefits : mapping of str to str, optional
        ``Ydelse`` name -> benefit group (``[data] payment_benefits``).
    ids : IdPolicy
        The run's id policy (declared CPR numbers are pseudonymised at read time).

    Returns
    -------
    Payments

    Raises
    ------
    ExtractError
        A missing or empty file, missing columns, or every problem of its rows at once.
    """
    frame = read_table(path, what="payments")
    refuse_empty(frame, str(path), "payments", "one row per person, week (or month) and benefit")
    return payments_from_frame(frame, source=str(path), benefits=benefits, ids=ids)


def monthly_net(payments: Payments) -> pd.DataFrame:
    """The net cost per person and calendar month: weeks to months by the Thursday rule, corrections summed.

    Returns
    -------
    DataFrame
        ``person_id, month, net`` (kroner, nominal), one row per person and month with a payment line.
    """
    f = payments.frame
    period = f["period"].to_numpy()
    month = week_to_month(period) if payments.frequency == "week" else period
    grouped = (
        pd.DataFrame({"person_id": f["person_id"], "month": month, "net": f["net"].to_numpy()})
        .groupby(["person_id", "month"], sort=True, observed=True)["net"]
        .sum()
    )
    out = grouped.reset_index()
    out["month"] = out["month"].astype(np.int64)
    return out
