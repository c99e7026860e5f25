"""The confounded extract: seeded, and its selection is built in."""

from __future__ import annotations

import pytest

from survival_invest.synthetic.confounded import simulate_confounded


def test_confounded_extract_is_seeded_and_its_selection_is_built_in() -> None:
    a = simulate_confounded(3000, seed=4)
    b = simulate_confounded(3000, seed=4)
    c = simulate_confounded(3000, seed=5)
    assert all(x.equals(y) for x, y in zip(a[:3], b[:3], strict=True)) and not a[0].equals(c[0])
    _, members, people, truth = a
    parts = truth.participants
    assert set(parts["person_id"]) == set(members.loc[members.group == "intervention", "person_id"])
    assert set(people["person_id"]) == set(members["person_id"])
    assert parts["prior_months"].median() < 6  # short spells are picked first
    areas = truth.participant_areas(24)
    assert (areas["area"] > 0).all() and truth.area(24) == pytest.approx(areas["area"].mean())
    assert simulate_confounded(3000, seed=4, missing_from_person_table=0.1)[2].shape[0] < len(people)
