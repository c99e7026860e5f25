"""Readers for extracts (long spells, wide DREAM), memberships, person covariates and code tables; period labels.

One module per kind of file: :mod:`~survival_invest.io.spells`,
:mod:`~survival_invest.io.memberships`, :mod:`~survival_invest.io.persons`,
:mod:`~survival_invest.io.finance`, :mod:`~survival_invest.io.payments`,
:mod:`~survival_invest.io.classification`;
shared reading helpers in :mod:`~survival_invest.io.tables`; ids and periods in
:mod:`~survival_invest.io.ids` and :mod:`~survival_invest.io.periods`.
"""

from survival_invest.io.classification import default_classification, read_classification
from survival_invest.io.memberships import read_memberships
from survival_invest.io.payments import Payments, read_payments
from survival_invest.io.persons import read_persons
from survival_invest.io.spells import Spells, read_spells

__all__ = [
    "Payments",
    "Spells",
    "default_classification",
    "read_classification",
    "read_memberships",
    "read_payments",
    "read_persons",
    "read_spells",
]
