"""Readers for extracts (long spells, wide DREAM), memberships and code tables; period labels."""

from survival_invest.io.readers import (
    Spells,
    default_classification,
    read_classification,
    read_memberships,
    read_spells,
)

__all__ = ["Spells", "default_classification", "read_classification", "read_memberships", "read_spells"]
