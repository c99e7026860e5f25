"""Exception and warning classes of survival-invest.

One base class, :class:`SurvivalInvestError`; specific subclasses say what kind
of input was wrong. Those about a wrong *value* also subclass :class:`ValueError`
so that ``except ValueError`` in user code keeps working. The command line maps
every subclass to exit code 2 with a one-line message.
"""

from __future__ import annotations

__all__ = [
    "SurvivalInvestError",
    "InputError",
    "SurvivalInvestWarning",
]


class SurvivalInvestError(Exception):
    """Base class of every error raised on purpose by survival-invest."""


class InputError(SurvivalInvestError, ValueError):
    """An argument passed to an estimation function is invalid.

    The message names the argument, the first offending position and its value.
    """


class SurvivalInvestWarning(UserWarning):
    """Base class of warnings emitted by survival-invest."""
