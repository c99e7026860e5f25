"""``validate``'s per-file report: what each input file is and holds, read as a run reads it.

One line per file, then indented detail lines:

* **format detected**: long or wide DREAM, and the container (SAS dataset,
  SAS transport, Stata, CSV with its separator, Parquet file, a folder of
  Parquet parts), the payment file's layout (national or long);
* **rows, persons** (distinct ids; a count below ``min_persons`` reads ``<N``)
  and the **period range**;
* **code families**: the extract's codes by class of the classification
  (support, self-support, censor) and benefit group, each with its number of
  codes and rows; DREAM's other column families (``branche_YYYY_MM``, ...);
* **unknown codes** (not in the classification) with the rows and the
  persons carrying each — the persons suppressed below ``min_persons``, the
  first :data:`MAX_UNKNOWN` codes listed;
* **CPR pseudonymisation** on or off for the file's ids.

Nothing here prints a person id. Files already read by ``validate`` are passed
in (not read twice); the payment file is read here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survival_invest.config import Portfolio
from survival_invest.errors import SurvivalInvestError
from survival_invest.io import Spells, read_classification
from survival_invest.io.payments import read_payments
from survival_invest.io.periods import Frequency, period_label
from survival_invest.io.privacy import IdPolicy
from survival_invest.io.sources import Location, remote_scheme

__all__ = ["MAX_UNKNOWN", "entry_frequency", "file_format", "file_inventory"]

#: Unknown codes listed per file (the rest counted).
MAX_UNKNOWN = 10
_CONTAINERS = {
    ".sas7bdat": "SAS dataset",
    ".xpt": "SAS transport file",
    ".dta": "Stata file",
    ".parquet": "Parquet file",
    ".pq": "Parquet file",
}


def file_format(location: Location) -> str:
    """The container of an input: SAS dataset, transport, Stata, CSV (its separator), Parquet file or parts, URI."""
    if remote_scheme(location) is not None:
        return "a URI read by the engine"
    p = Path(location)
    if p.is_dir():
        return f"a folder of {sum(1 for _ in p.rglob('*.parquet'))} Parquet parts"
    if any(c in str(p) for c in "*?["):
        return "a glob of Parquet parts"
    suffix = p.suffix.lower()
    if suffix in _CONTAINERS:
        return _CONTAINERS[suffix]
    try:
        with p.open("rb") as fh:
            head = fh.readline().decode("utf-8", errors="replace")
    except OSError:
        return "a file that cannot be opened"
    return "CSV, ';'-separated with decimal commas" if head.count(";") > head.count(",") else "CSV, ','-separated"


def _count(n: int, min_persons: int) -> str:
    """A head count as shown: ``<min_persons`` below the minimum."""
    return f"<{min_persons}" if 0 < n < min_persons else f"{n:,}"


def _code_lines(spells: Spells, classes: pd.DataFrame, min_persons: int) -> list[str]:
    """The codes by class and benefit group, and the unknown codes with rows and persons."""
    f = spells.frame
    codes = f["benefit"].astype(str)
    known = classes.set_index("code")
    cls = codes.map(known["class"])
    group = codes.map(known["benefit_group"]).fillna("-")
    table = pd.DataFrame({"class": cls, "group": group, "code": codes}).dropna(subset=["class"])
    fam = table.groupby(["class", "group"]).agg(codes=("code", "nunique"), rows=("code", "size")).reset_index()
    lines = [
        "  code families: "
        + "; ".join(f"{r['class']}/{r['group']} {r['codes']} codes, {r['rows']:,} rows" for _, r in fam.iterrows())
    ]
    unknown = cls.isna()
    if unknown.any():
        u = pd.DataFrame({"code": codes[unknown], "person": f["person_id"][unknown]})
        per = u.groupby("code").agg(rows=("code", "size"), persons=("person", "nunique")).sort_values("rows")[::-1]
        shown = [
            f"{code!r} ({r['rows']:,} rows, {_count(int(r['persons']), min_persons)} persons)"
            for code, r in per.head(MAX_UNKNOWN).iterrows()
        ]
        more = f" and {len(per) - MAX_UNKNOWN} more" if len(per) > MAX_UNKNOWN else ""
        lines.append(f"  unknown codes (not in the classification): {', '.join(shown)}{more}")
    else:
        lines.append("  unknown codes: none")
    if spells.ignored:
        lines.append(
            "  other column families (not read): " + ", ".join(f"{k} ({v})" for k, v in spells.ignored.items())
        )
    return lines


def _spells_lines(portfolio: Portfolio, spells: Spells, min_persons: int, cpr: str) -> list[str]:
    """The spells file's lines."""
    d = spells.describe()
    kind = "wide DREAM" if portfolio.data.spells_format == "dream_wide" else "long spells"
    head = (
        f"file spells {d['source']}: {kind}, {file_format(spells.source)}; {d['rows']:,} rows, "
        f"{_count(int(str(d['persons'])), min_persons)} persons, {d['frequency']}s {d['first_period']} to "
        f"{d['last_period']}; {cpr}"
    )
    lines = [head]
    try:
        lines += _code_lines(spells, read_classification(portfolio.data.classification), min_persons)
    except SurvivalInvestError as exc:  # the classification's own problem is validate's to report
        lines.append(f"  code families: not known ({str(exc).splitlines()[0][:120]})")
    return lines


def entry_frequency(members: pd.DataFrame) -> Frequency:
    """The frequency of the memberships' entry periods (``attrs["frequency"]`` when the reader set it, else months)."""
    return "week" if members.attrs.get("frequency") == "week" else "month"


def _members_lines(portfolio: Portfolio, members: pd.DataFrame, min_persons: int, cpr: str) -> list[str]:
    """The memberships file's line."""
    entry, span = members["entry_period"], ""
    if len(entry) and entry.dtype.kind in "iu":  # period numbers (months: the readers' default)
        freq = entry_frequency(members)
        span = f", entries {period_label(int(entry.min()), freq)} to {period_label(int(entry.max()), freq)}"
    return [
        f"file memberships {portfolio.data.memberships}: {file_format(portfolio.data.memberships)}; "
        f"{len(members):,} rows, {_count(members['person_id'].nunique(), min_persons)} persons{span}; {cpr}"
    ]


def _payment_lines(portfolio: Portfolio, ids: IdPolicy, min_persons: int, cpr: str) -> tuple[list[str], list[str]]:
    """The payment file's lines, or its problems."""
    path = portfolio.data.payments
    if path is None:
        return [], []
    try:
        pay = read_payments(path, benefits=portfolio.data.payment_benefits, ids=ids)
    except SurvivalInvestError as exc:
        return [], str(exc).splitlines()
    f = pay.frame
    first, last = (str(period_label(int(x), pay.frequency)) for x in (f["period"].min(), f["period"].max()))
    groups = f.groupby("benefit_group").agg(names=("benefit", "nunique"), rows=("benefit", "size"))
    lines = [
        f"file payments {path}: {pay.layout} payment file, {file_format(path)}; {len(f):,} rows, "
        f"{_count(pay.persons, min_persons)} persons, {pay.frequency}s {first} to {last}; {cpr}",
        "  benefit groups: " + "; ".join(f"{g} {r['names']} names, {r['rows']:,} rows" for g, r in groups.iterrows()),
        f"  corrections (negative lines): {int((f['amount'] < 0).sum()):,}; net cost {f['net'].sum():,.0f} kr.",
    ]
    return lines, []


def file_inventory(
    portfolio: Portfolio, ids: IdPolicy, spells: Spells | None, members: pd.DataFrame | None
) -> tuple[list[str], list[str]]:
    """The per-file report of ``validate`` (module docstring) and the problems found reading the payment file.

    Parameters
    ----------
    portfolio : Portfolio
        The configuration (its ``[data]`` files and ``min_persons``).
    ids : IdPolicy
        The run's id policy (pseudonymisation on or off).
    spells : Spells or None
        The extract as ``validate`` read it (None when unreadable or remote).
    members : DataFrame or None
        The memberships as read.

    Returns
    -------
    (lines, problems) : tuple of list of str
    """
    n = portfolio.run.min_persons
    cpr = "ids pseudonymised (CPR, HMAC)" if ids.pseudonymised else "ids as they are (no CPR pseudonymisation)"
    lines: list[str] = []
    if spells is not None:
        lines += _spells_lines(portfolio, spells, n, cpr)
    if members is not None:
        lines += _members_lines(portfolio, members, n, cpr)
    pay_lines, problems = _payment_lines(portfolio, ids, n, cpr)
    return lines + pay_lines, problems
