"""The results' horizon columns and the run's horizon warnings (pipeline.horizon)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.config import load_config
from survival_invest.pipeline.horizon import flag_rows
from survival_invest.pipeline.portfolio import run_portfolio_full

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")


def test_capped_and_tailed_runs_say_so_in_the_table_and_the_warnings() -> None:
    capped = run_portfolio_full(CONFIG, "2022-06")
    r = capped.results
    fc = r[(r["kind"] == "forecast") & (r["measure"] == "savings") & (r["case_id"] != "5")]
    assert (fc["horizon"] < 36).all() and (fc["extrapolated"] == 0).all()
    assert r.loc[r["kind"] == "budget", ["horizon", "extrapolated"]].isna().all().all()
    assert len(capped.notes) == 4 and all("counts nothing beyond it" in n for n in capped.notes)
    tailed_config = replace(
        CONFIG, cases=tuple(replace(c, tail="exponential") if c.method == "survival" else c for c in CONFIG.cases)
    )
    tailed = run_portfolio_full(tailed_config, "2022-06")
    t = tailed.results
    fc = t[(t["kind"] == "forecast") & (t["case_id"] == "1")].set_index(["measure", "year"])
    assert (fc.loc["savings", "horizon"] == 36).all()
    assert fc.loc[("savings", 2020), "extrapolated"] == 0 and fc.loc[("savings", 2023), "extrapolated"] < 0
    assert fc.loc[("net", 2023), "extrapolated"] == fc.loc[("savings", 2023), "extrapolated"]
    assert fc.loc[("saved_fte", 2023), "extrapolated"] > 0  # persons are positive, kroner savings negative
    assert all("declared tail ('exponential')" in n for n in tailed.notes)


def test_flag_rows_takes_each_measure_in_the_table_unit() -> None:
    figures = pd.DataFrame(
        {
            "year": [2022],
            "saved_fte_extrapolated": [2.0],
            "savings_kr_extrapolated": [3e6],
            "refusion_part_kr_extrapolated": [1e6],
        }
    )
    rows = [{"year": 2022, "measure": m} for m in ("saved_fte", "savings", "refusion_part")]
    out = flag_rows(rows, figures, 36)
    np.testing.assert_allclose([r["extrapolated"] for r in out], [2.0, -3.0, -1.0])
    assert {r["horizon"] for r in out} == {36.0}
