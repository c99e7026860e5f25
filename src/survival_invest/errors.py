"""Exception and warning classes of survival-invest.

One base class, :class:`SurvivalInvestError`; specific subclasses say what kind
of input was wrong. Those about a wrong *value* also subclass :class:`ValueError`
so that ``except ValueError`` in user code keeps working. The command line maps
every subclass to exit code 2 with a one-line message.
"""

from __future__ import annotations

__all__ = [
    "CohortError",
    "EngineError",
    "ExtractError",
    "InputError",
    "SurvivalInvestError",
    "SurvivalInvestWarning",
    "plain_repr",
]


class SurvivalInvestError(Exception):
    """Base class of every error raised on purpose by survival-invest."""


class InputError(SurvivalInvestError, ValueError):
    """An argument passed to an estimation function is invalid.

    The message names the argument, the first offending position and its value.
    """


class ExtractError(SurvivalInvestError, ValueError):
    """A register extract, membership file or code table is malformed.

    The message names the file, the column, the row number(s) (1-based data
    rows, header excluded, as a spreadsheet user counts them after the header)
    and the offending value, and says what was expected.
    """


class CohortError(SurvivalInvestError, ValueError):
    """A cohort cannot be built as asked (e.g. an empty group for a case)."""


class EngineError(SurvivalInvestError):
    """An engine could not run as configured (Spark master unreachable, a failed job); names the setting."""


class SurvivalInvestWarning(UserWarning):
    """Base class of warnings emitted by survival-invest."""


def plain_repr(value: object) -> str:
    """repr of a value for a message, numpy scalars as plain Python values (``-2``, not ``np.int64(-2)``)."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        value = item()
    return repr(value)
