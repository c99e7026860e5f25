"""The readers under their former module path (the code lives in one module per kind of file).

:mod:`survival_invest.io.spells`, :mod:`~survival_invest.io.memberships`,
:mod:`~survival_invest.io.persons`, :mod:`~survival_invest.io.finance`,
:mod:`~survival_invest.io.classification` and the shared helpers of
:mod:`~survival_invest.io.tables`. Every public name this module had is
re-exported here, so ``from survival_invest.io.readers import ...`` keeps working.
"""

from __future__ import annotations

from survival_invest.io.classification import (
    CLASSES,
    classification_from_frame,
    default_classification,
    read_classification,
)
from survival_invest.io.finance import read_finance
from survival_invest.io.memberships import GROUPS, memberships_from_frame, read_memberships, repeated_keys
from survival_invest.io.persons import BIRTH_YEARS, SEXES, persons_from_frame, read_persons
from survival_invest.io.spells import Spells, read_spells, spells_from_frame
from survival_invest.io.tables import rows_text

__all__ = [
    "BIRTH_YEARS",
    "CLASSES",
    "GROUPS",
    "SEXES",
    "Spells",
    "classification_from_frame",
    "default_classification",
    "memberships_from_frame",
    "persons_from_frame",
    "read_classification",
    "read_finance",
    "read_memberships",
    "read_persons",
    "read_spells",
    "repeated_keys",
    "rows_text",
    "spells_from_frame",
]
