"""The synthetic case confounded by age (synthetic.adjusted_case) and ``synth --demo`` that adds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.config import load_config
from survival_invest.synthetic.adjusted_case import adjusted_case, exit_hazard, true_difference
from survival_invest.synthetic.cli import write_synthetic_portfolio


def test_the_case_is_seeded_and_confounded_by_age() -> None:
    a, b = adjusted_case(seed=4), adjusted_case(seed=4)
    pd.testing.assert_frame_equal(a.spells, b.spells)
    assert not adjusted_case(seed=5).spells.equals(a.spells)
    part = a.memberships[a.memberships["group"] == "intervention"]["person_id"]
    ages = a.persons.set_index("person_id")["birth_date"]
    assert len(a.ages) == len(part) and 0 < len(part) < len(a.persons)
    # the young are picked more: the participants are younger than the target group
    born = pd.to_datetime(ages)
    assert born[part].mean() > born.mean()
    assert exit_hazard(np.array([25.0]), 0.0)[0] > exit_hazard(np.array([55.0]), 0.0)[0]
    d = true_difference(a.ages, 24)
    assert d[0] == 0.0 and (d[1:] > 0).all()  # the effort speeds the exit: S_1 < S_0, months of support saved


def test_synth_demo_adds_case_6_and_destinations_leaving_cases_1_to_5_as_they_were(tmp_path: Path) -> None:
    plain = write_synthetic_portfolio(tmp_path / "plain", seed=7)
    demo = write_synthetic_portfolio(tmp_path / "demo", seed=7, demo=True)
    assert [c.id for c in load_config(plain).cases] == ["1", "2", "3", "4", "5"]
    cfg = load_config(demo)
    assert [c.id for c in cfg.cases] == ["1", "2", "3", "4", "5", "6"]
    assert cfg.case("1").destinations and not load_config(plain).case("1").destinations
    assert cfg.case("6").comparison == "adjusted" and cfg.data.persons is not None
    for name in ("spells_monthly.csv", "memberships.csv", "persons.csv", "payments.csv", "finance.csv"):
        before = (tmp_path / "plain" / name).read_text(encoding="utf-8")
        after = (tmp_path / "demo" / name).read_text(encoding="utf-8")
        assert after.startswith(before) and len(after) > len(before), name  # case 6 appended, nothing else changed
    assert (tmp_path / "plain" / "dream_weekly.csv").read_bytes() == (
        tmp_path / "demo" / "dream_weekly.csv"
    ).read_bytes()
