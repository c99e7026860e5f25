"""Readers for extracts (long spells, wide DREAM), memberships, person covariates and code tables; period labels."""

from survival_invest.io.readers import (
    Spells,
    default_classification,
    read_classification,
    read_memberships,
    read_persons,
    read_spells,
)

__all__ = ["Spells", "default_classification", "read_classification", "read_memberships", "read_persons", "read_spells"]
