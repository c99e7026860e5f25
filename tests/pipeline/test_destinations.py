"""A case with ``destinations = true`` through the monthly job: results rows, the page's part, suppression."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survival_invest.config import ConfigError, load_config
from survival_invest.pipeline import run_monthly
from survival_invest.pipeline.destinations import destination_rows
from survival_invest.pipeline.portfolio import run_portfolio_full

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def _config(tmp_path: Path, min_persons: int = 5) -> Path:
    """The example portfolio with ``destinations = true`` on case 1, paths made absolute."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    text = text.replace('id = "1"', 'id = "1"\ndestinations = true', 1)
    text = text.replace("min_persons = 5", f"min_persons = {min_persons}", 1)
    out = tmp_path / f"portfolio_{min_persons}.toml"
    out.write_text(text, encoding="utf-8")
    return out


def test_the_monthly_job_shows_where_they_went(tmp_path: Path) -> None:
    run_monthly(_config(tmp_path), "2022-06", tmp_path / "out")
    results = pd.read_csv(tmp_path / "out" / "2022-06" / "results.csv", dtype={"case_id": str})
    rows = results[results["measure"].str.startswith("months_in_")]
    assert set(rows["case_id"]) == {"1"}
    assert rows["measure"].tolist() == ["months_in_job", "months_in_education", "months_in_flex_job", "months_in_other"]
    assert (rows["kind"] == "realised").all() and (rows["unit"] == "months").all() and (rows["year"] == 2022).all()
    assert (rows["basis"] == "curves").all() and rows["value"].notna().all()
    saved = results[(results["case_id"] == "1") & (results["measure"] == "saved_fte")]
    assert len(saved) > 0  # the case's own figures are still there
    page = (tmp_path / "out" / "2022-06" / "report.html").read_text(encoding="utf-8")
    assert page.count('<div class="destinations">') == 1 and "Hvor gik de hen?" in page


def test_below_min_persons_the_figures_are_suppressed(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, min_persons=100_000))
    run = run_portfolio_full(cfg, "2022-06", engine="memory")
    rows = destination_rows(cfg.case("1"), cfg, run.cohorts["1"], run.cutoff)
    assert len(rows) == 4 and all(pd.isna(r["value"]) and pd.isna(r["lower"]) for r in rows)
    assert destination_rows(cfg.case("2"), cfg, run.cohorts["2"], run.cutoff) == []  # not asked for
    with pytest.raises(ConfigError, match=r"case '1' has destinations = true.*engine = \"memory\""):
        destination_rows(cfg.case("1"), cfg, run.statistics["1"], run.cutoff)
    r = run.results
    assert r[r["measure"].str.startswith("months_in_")]["value"].isna().all()
