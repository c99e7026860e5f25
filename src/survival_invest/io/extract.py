"""The spells extract every reader returns: :class:`Spells` (long person-period rows) and its counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from survival_invest.io.periods import Frequency, period_label

__all__ = ["Spells", "excluded_counts"]


def excluded_counts(**counts: int) -> pd.DataFrame:
    """The ``reason, rows`` table of :attr:`Spells.excluded` (one row per reason, in the order given)."""
    return pd.DataFrame({"reason": list(counts), "rows": [int(v) for v in counts.values()]})


@dataclass(frozen=True)
class Spells:
    """Person-period spells on a benefit, in long form.

    Attributes
    ----------
    frame : DataFrame
        ``person_id`` (string), ``period`` (int64 period number, see
        :mod:`survival_invest.io.periods`), ``benefit`` (code, string), and
        ``amount_kr`` / ``refusion_kr`` when the source had them. One row per
        person and period.
    frequency : {"month", "week"}
    source : str
        File name (or ``"<DataFrame>"``) used in messages.
    excluded : DataFrame
        ``reason, rows``: rows the reader removed (identical duplicates), with counts.
    ignored : dict
        Column families of a wide DREAM file that are not benefit weeks and
        were not read (``branche_YYYY_MM``, ``grad_YYYY_MM``, ``akYY``, and
        background columns by name) -> number of columns
        (:func:`survival_invest.io.dream.column_families`).
    """

    frame: pd.DataFrame
    frequency: Frequency
    source: str
    excluded: pd.DataFrame = field(default_factory=lambda: excluded_counts())
    ignored: dict[str, int] = field(default_factory=dict)

    @property
    def first_period(self) -> int:
        """The smallest period number in the extract."""
        return int(self.frame["period"].min())

    @property
    def last_period(self) -> int:
        """The largest period number in the extract."""
        return int(self.frame["period"].max())

    def describe(self) -> dict[str, object]:
        """Persons, rows, codes, period range and ignored columns (for ``validate`` and logs; no person ids)."""
        return {
            "source": self.source,
            "frequency": self.frequency,
            "persons": int(self.frame["person_id"].nunique()),
            "rows": len(self.frame),
            "codes": int(self.frame["benefit"].nunique()),
            "first_period": str(period_label(self.first_period, self.frequency)) if len(self.frame) else None,
            "last_period": str(period_label(self.last_period, self.frequency)) if len(self.frame) else None,
            "ignored_columns": dict(self.ignored),
        }
