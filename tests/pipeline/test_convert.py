"""``survival-invest convert``: wide DREAM to long Parquet parts that the in-memory and DuckDB engines read alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.cli import main
from survival_invest.config import load_config
from survival_invest.errors import ExtractError
from survival_invest.io.dream import read_dream_wide
from survival_invest.io.privacy import IdPolicy
from survival_invest.io.spells import read_spells
from survival_invest.pipeline.convert import convert_dream
from survival_invest.pipeline.portfolio import run_portfolio
from survival_invest.synthetic.cli import write_portfolio


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wide")
    write_portfolio(folder, seed=2, as_of="2022-07", data_lag=2)
    return folder / "dream_weekly.csv"


def test_parts_hold_the_weeks_the_wide_reader_reads(wide: Path, tmp_path: Path) -> None:
    done = convert_dream(wide, tmp_path / "parts", persons_per_part=300)
    parts = sorted((tmp_path / "parts").iterdir())
    assert done.parts == len(parts) == 6 and parts[0].name == "part-00000.parquet"  # 1,668 persons / 300
    assert done.persons == 1668 and not any(p.name.startswith(".convert") for p in tmp_path.iterdir())
    long = read_spells(tmp_path / "parts", "long")
    direct = read_dream_wide(wide)
    assert long.frequency == "week" and done.rows == len(direct.frame) == len(long.frame)
    key = ["person_id", "period"]
    a = long.frame[[*key, "benefit"]].sort_values(key).reset_index(drop=True)
    b = direct.frame[[*key, "benefit"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a.astype(str), b.astype(str))


def test_duckdb_on_the_parts_gives_the_memory_engine_figures_on_the_wide_file(wide: Path, tmp_path: Path) -> None:
    convert_dream(wide, tmp_path / "parts", persons_per_part=500)
    text = (Path(__file__).parents[2] / "src/survival_invest/data/portfolio_template.toml").read_text(encoding="utf-8")
    text = text.replace('finance = "finance.csv"', "").replace('payments = "payments.csv"', "")
    text = text.replace('memberships = "memberships.csv"', f'memberships = "{wide.parent / "memberships.csv"}"')
    (tmp_path / "wide.toml").write_text(
        text.replace('spells = "spells_monthly.csv"', f'spells = "{wide}"').replace('"long"', '"dream_wide"'), "utf-8"
    )
    (tmp_path / "parts.toml").write_text(text.replace('spells = "spells_monthly.csv"', 'spells = "parts"'), "utf-8")
    memory = run_portfolio(load_config(tmp_path / "wide.toml"), "2022-07", engine="memory")
    duck = run_portfolio(load_config(tmp_path / "parts.toml"), "2022-07", engine="duckdb")
    cols = ["case_id", "year", "measure", "kind"]
    m, d = memory.sort_values(cols).reset_index(drop=True), duck.sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(m[cols], d[cols])
    np.testing.assert_allclose(d["value"], m["value"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d["lower"], m["lower"], rtol=1e-9, atol=1e-12)


def test_cpr_ids_are_pseudonymised_before_a_part_is_written(tmp_path: Path) -> None:
    frame = pd.DataFrame({"PNR": ["010190-1234", "2512851111", "101901235"], "y_9101": ["130", "", "131"]})
    frame["y_2301"] = ["130", "131", ""]
    frame.to_csv(tmp_path / "d.csv", index=False, sep=";")
    convert_dream(tmp_path / "d.csv", tmp_path / "parts", ids=IdPolicy(b"k" * 32))
    blob = b"".join(p.read_bytes() for p in (tmp_path / "parts").iterdir())
    for digits in ("0101901234", "010190-1234", "2512851111", "101901235", "1234", "1111"):
        assert digits.encode() not in blob
    ids = read_spells(tmp_path / "parts", "long").frame["person_id"]
    assert ids.str.startswith("p").all() and ids.nunique() == 3


def test_a_person_on_two_rows_in_different_chunks_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    pd.DataFrame({"PNR": ["a", "b", "c", "a"], "y_2001": ["130", "130", "", "131"]}).to_csv(
        tmp_path / "d.csv", index=False
    )
    with pytest.raises(ExtractError, match=r"column 'PNR', rows 1, 4: a person appears on several rows"):
        convert_dream(tmp_path / "d.csv", tmp_path / "parts", persons_per_part=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_command_line(wide: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--data", str(wide), "--out", str(tmp_path / "p"), "--persons-per-part", "1000"]) == 0
    assert "2 Parquet part(s)" in capsys.readouterr().out
    assert main(["convert", "--data", str(wide), "--out", str(tmp_path / "p")]) == 2  # not empty
    assert "new or empty folder" in capsys.readouterr().err
    assert main(["convert", "--data", str(tmp_path / "none.sas7bdat"), "--out", str(tmp_path / "q")]) == 2
    assert "not found" in capsys.readouterr().err
