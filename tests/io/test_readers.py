"""The former module path ``survival_invest.io.readers`` still offers every public name it had."""

from __future__ import annotations

import survival_invest.io.readers as readers
from survival_invest.io import classification, finance, memberships, persons, spells, tables

OLD_NAMES = {
    "SEXES": persons,
    "BIRTH_YEARS": persons,
    "CLASSES": classification,
    "GROUPS": memberships,
    "Spells": spells,
    "classification_from_frame": classification,
    "default_classification": classification,
    "memberships_from_frame": memberships,
    "persons_from_frame": persons,
    "read_classification": classification,
    "read_finance": finance,
    "read_memberships": memberships,
    "read_persons": persons,
    "read_spells": spells,
    "spells_from_frame": spells,
    "rows_text": tables,
    "repeated_keys": memberships,
}


def test_every_old_name_is_the_new_object() -> None:
    for name, module in OLD_NAMES.items():
        assert getattr(readers, name) is getattr(module, name), name
    assert set(readers.__all__) == set(OLD_NAMES)
