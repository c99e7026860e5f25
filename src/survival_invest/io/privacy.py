"""CPR numbers stay in: person ids normalised and pseudonymised with a keyed hash at read time.

Decisions (the configuration's ``[privacy]`` section declares the ids; nothing is guessed):

* **Declared, not guessed.** With ``[privacy] ids = "cpr"`` every reader
  (spells, memberships, persons) replaces its id column by pseudonyms before
  anything else sees it (:meth:`IdPolicy.apply`). Without the declaration the
  ids are used as they are, and an id column whose values look like CPR
  numbers gives a warning naming the file and the column (never a value).
* **Normalised first** (:func:`normalise_cpr`): ``DDMMYY-XXXX`` and
  ``DDMMYYXXXX`` are the same person; a 9-digit number is a CPR number whose
  leading zero a spreadsheet or an integer column dropped (days 01-09) and
  gets it back; a number stored as a float (``101901234.0``) loses its
  ``.0``. A CPR number then has 10 digits, a month 01-12 and a day 01-31 (or
  61-91, the replacement numbers that add 60 to the day). Anything else is an
  error naming the file, the column and the rows, never the value.
* **Pseudonym** = ``"p"`` + the first 24 hex digits (96 bits) of
  HMAC-SHA256(key, the 10 normalised digits). The same key gives the same
  person the same pseudonym in every file and every month; without the key
  the pseudonym cannot be turned back into the CPR number by trying the
  (few million) possible numbers. 96 bits make a collision among 10^7
  persons less likely than 10^-14. The leading letter keeps a pseudonym from
  ever being read as a number.
* **Vectorised.** The distinct ids are normalised and hashed once each (the
  standard library's one-shot ``hmac.digest``) and mapped back to the rows by
  their factorisation codes; the raw column is replaced, so no frame keeps a
  CPR number after reading.

The key itself is never in the configuration text: it comes from an
environment variable or a key file the configuration names
(:func:`survival_invest.config.pseudonym_key`).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError
from survival_invest.io.tables import clean_codes, rows_text

__all__ = ["PLAIN", "PSEUDONYM_HEX", "IdPolicy", "first_distinct", "looks_like_cpr", "normalise_cpr", "pseudonyms"]

log = logging.getLogger(__name__)

#: Hex digits of the HMAC-SHA256 digest kept in a pseudonym (96 bits).
PSEUDONYM_HEX = 24
#: Share of the sampled ids that must look like CPR numbers for the undeclared-CPR warning.
_CPR_SHARE = 0.9
_SAMPLE = 2000


def normalise_cpr(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """CPR numbers as 10 digits, and the mask of values that are not CPR numbers (rules: module docstring).

    Blank values stay missing and are not marked (the reader reports empty ids itself).

    Returns
    -------
    (Series of str, ndarray of bool)
        The normalised numbers (missing where blank or invalid) and the invalid mask.
    """
    text = clean_codes(values).str.replace(r"^(\d{6})-(\d{4})$", r"\1\2", regex=True)
    text = text.where(~text.str.fullmatch(r"\d{9}").fillna(False), "0" + text)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    digits = text.str.fullmatch(r"\d{10}").fillna(False).to_numpy(dtype=bool)
    day = pd.to_numeric(text.str.slice(0, 2), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    month = pd.to_numeric(text.str.slice(2, 4), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    valid_day = ((day >= 1) & (day <= 31)) | ((day >= 61) & (day <= 91))
    ok = digits & valid_day & (month >= 1) & (month <= 12)
    return text.where(ok), ~ok & ~blank


def first_distinct(values: pd.Series, n: int) -> np.ndarray:
    """The first ``n`` distinct non-missing values in order of appearance (``pd.unique`` of them, cut to ``n``).

    Read from growing prefixes of the column (64 k rows, then four times longer each time) until ``n`` distinct values are seen:
    a national file of 10^8 rows is never copied or hashed whole for a sample of 2000 ids.
    """
    size = 1 << 16
    while True:
        head = values.iloc[:size]
        distinct = pd.unique(head.dropna().to_numpy())
        if distinct.shape[0] >= n or size >= len(values):
            return distinct[:n]
        size *= 4


def looks_like_cpr(values: pd.Series) -> bool:
    """Whether an id column looks like CPR numbers: >= 90 % of (up to 2000) distinct non-blank ids normalise."""
    distinct = pd.Series(first_distinct(values, _SAMPLE))
    if not len(distinct):
        return False
    _, bad = normalise_cpr(distinct)
    blank = clean_codes(distinct).fillna("").eq("").to_numpy(dtype=bool)
    given = ~blank
    return bool(given.sum()) and float((~bad & given).sum()) >= _CPR_SHARE * float(given.sum())


def pseudonyms(values: pd.Series, key: bytes, *, source: str, column: str) -> pd.Series:
    """The pseudonym of every id of a CPR column (rules: module docstring); blank ids stay missing.

    Parameters
    ----------
    values : Series
        The raw id column (strings, integers or floats).
    key : bytes
        The secret key of the HMAC.
    source : str
        File name, for messages.
    column : str
        The id column's name, for messages.

    Returns
    -------
    Series
        ``string[pyarrow]`` pseudonyms, same index as ``values``.

    Raises
    ------
    ExtractError
        Values that are not CPR numbers (file, column and rows named; never the value).
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    normal, bad = normalise_cpr(pd.Series(np.asarray(uniq, dtype=object)))
    if bad.any():
        rows = (codes >= 0) & bad[np.maximum(codes, 0)]
        raise ExtractError(
            f"{source}: column '{column}', {rows_text(rows)}: not a CPR number ([privacy] ids = \"cpr\"); "
            "expected DDMMYY-XXXX or 10 digits (9 digits get their leading zero back)."
        )
    known = normal.notna().to_numpy(dtype=bool)
    digests = np.full(len(normal), None, dtype=object)
    # one digest per distinct person: the standard library's HMAC has no array form
    digests[known] = [
        "p" + hmac.digest(key, s.encode("ascii"), "sha256").hex()[:PSEUDONYM_HEX] for s in normal[known].tolist()
    ]
    mapped = digests[np.maximum(codes, 0)] if len(digests) else np.full(len(codes), None, dtype=object)
    mapped[codes < 0] = None
    return pd.Series(mapped, index=values.index, name=values.name, dtype="string[pyarrow]")


@dataclass(frozen=True)
class IdPolicy:
    """What a reader does with a file's person ids: pseudonymise declared CPR numbers, or warn about them.

    Attributes
    ----------
    key : bytes or None
        The HMAC key when the ids are declared CPR numbers; ``None``: ids are used as they are.
    """

    key: bytes | None = field(default=None, repr=False)

    @property
    def pseudonymised(self) -> bool:
        """Whether ids are declared CPR numbers and replaced by pseudonyms."""
        return self.key is not None

    def apply(self, frame: pd.DataFrame, column: str, source: str, *, warn: bool = True) -> pd.DataFrame:
        """``frame`` with its id column replaced by pseudonyms (declared), or as it is (warning if CPR-like).

        The column is replaced in ``frame`` itself, so the raw ids do not
        outlive the reading. A missing column is left for the reader's own check.

        Parameters
        ----------
        frame : DataFrame
            The table as read.
        column : str
            Its person id column.
        source : str
            File name, for messages.
        warn : bool
            Whether plain ids that look like CPR numbers are warned about (once per file: the first chunk).

        Returns
        -------
        DataFrame
            ``frame`` (the same object).
        """
        if column not in frame.columns:
            return frame
        if self.key is not None:
            frame[column] = pseudonyms(frame[column], self.key, source=source, column=column)
        elif warn and looks_like_cpr(frame[column]):
            log.warning(
                "%s: column '%s' looks like CPR numbers; declare [privacy] ids = \"cpr\" (with a key) to "
                "pseudonymise them when they are read",
                source,
                column,
            )
        return frame


#: Ids used as they are (the default).
PLAIN = IdPolicy()
