"""Wide DREAM files as delivered: SAS transport and Stata (written by pyreadstat), CSV, Parquet; 1991-2023."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survival_invest.cohort.build import build_cohort
from survival_invest.errors import ExtractError
from survival_invest.io.dream import column_families, dream_year, read_dream_wide
from survival_invest.io.memberships import memberships_from_frame
from survival_invest.io.periods import parse_periods, week_label


def _wide(n: int = 30, seed: int = 3) -> pd.DataFrame:
    """A DREAM-shaped frame: PNR, weeks of 1991 and 2023, and the other column families."""
    rng = np.random.default_rng(seed)
    weeks = ["y_9101", "y_9102", "y_9152", "y_9853", "y_0001", "y_2301", "y_2352"]  # 1998 has an ISO week 53
    codes = rng.choice([np.nan, 111.0, 211.0, 890.0], size=(n, len(weeks)))
    frame = pd.DataFrame(codes, columns=weeks)
    frame.insert(0, "PNR", [f"X{i:04d}" for i in range(n)])
    frame["branche_2020_01"] = 47.0
    frame["grad_2020_01"] = 12.0
    frame["ak91"] = 1.0
    frame["koen"] = 2.0
    return frame


def _expected(frame: pd.DataFrame) -> pd.DataFrame:
    """The long weeks of ``frame`` computed independently (melt, the 19YY/20YY rule by hand)."""
    weeks = [c for c in frame.columns if c.startswith("y_")]
    long = frame.melt(id_vars="PNR", value_vars=weeks).dropna()
    yy = long["variable"].str.slice(2, 4).astype(int)
    labels = np.where(yy >= 90, "19", "20") + long["variable"].str.slice(2, 4) + "-W" + long["variable"].str.slice(4, 6)
    period, _, _ = parse_periods(pd.Series(labels), "week")
    out = pd.DataFrame({"person_id": long["PNR"], "period": period, "benefit": long["value"].astype(int).astype(str)})
    return out.sort_values(["person_id", "period"]).reset_index(drop=True)


def test_two_digit_years() -> None:
    assert dream_year(np.array([90, 91, 99, 0, 23, 89])).tolist() == [1990, 1991, 1999, 2000, 2023, 2089]


@pytest.mark.parametrize("suffix", [".xpt", ".dta", ".csv", ".parquet"])
def test_every_format_reads_the_same_weeks(tmp_path: Path, suffix: str) -> None:
    frame = _wide()
    path = tmp_path / f"dream{suffix}"
    if suffix == ".xpt":
        pyreadstat.write_xport(frame, str(path))
    elif suffix == ".dta":
        pyreadstat.write_dta(frame, str(path))
    elif suffix == ".csv":
        frame.to_csv(path, index=False, sep=";")
    else:
        frame.to_parquet(path)
    spells = read_dream_wide(path, chunk_rows=7)  # several chunks
    got = spells.frame.astype({"person_id": str, "benefit": str})
    pd.testing.assert_frame_equal(got, _expected(frame).astype({"person_id": str, "benefit": str}))
    assert spells.frequency == "week"
    assert spells.ignored == {"branche_YYYY_MM": 1, "grad_YYYY_MM": 1, "akYY": 1, "koen": 1}
    blank = int(spells.excluded.set_index("reason").loc["blank_weeks_no_benefit", "rows"])
    assert blank == int(frame.filter(like="y_").isna().sum().sum())


def test_1990s_weeks_land_in_the_1990s(tmp_path: Path) -> None:
    frame = _wide()
    frame.to_csv(tmp_path / "d.csv", index=False)
    spells = read_dream_wide(tmp_path / "d.csv")
    first, _, _ = parse_periods(pd.Series(["1991-W01"]), "week")
    last, _, _ = parse_periods(pd.Series(["2023-W52"]), "week")
    assert spells.first_period >= first[0] and spells.last_period <= last[0]
    assert spells.describe()["first_period"].startswith("1991")


def test_sas_missing_texts_and_float_codes_are_read(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("PNR,y_9101,y_9102,y_9103\nA,.,111.0, \nB,.A,,211\n", encoding="utf-8")
    got = read_dream_wide(tmp_path / "d.csv").frame
    assert got["benefit"].tolist() == ["111", "211"] and got["person_id"].tolist() == ["A", "B"]


def test_id_column_configurable_and_errors_name_the_problem(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("pnr_x,y_9101\nA,111\nA,211\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="missing the person id column 'PNR' or 'person_id'"):
        read_dream_wide(tmp_path / "d.csv")
    with pytest.raises(ExtractError, match=r"column 'pnr_x', rows 1, 2: a person appears on several rows"):
        read_dream_wide(tmp_path / "d.csv", id_column="PNR_X")
    (tmp_path / "w.csv").write_text("PNR,y_9199\nA,111\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"\['y_9199'\]: not a DREAM week column"):
        read_dream_wide(tmp_path / "w.csv")


def test_column_families() -> None:
    cols = ["branche_2020_01", "branche_2020_02", "grad_1999_12", "ak91", "ak92", "alder"]
    assert column_families(cols) == {"branche_YYYY_MM": 2, "grad_YYYY_MM": 1, "akYY": 2, "alder": 1}


def _weeks(first: str, last: str) -> list[str]:
    """The ``y_YYWW`` columns of the ISO weeks from ``first`` to ``last`` (``YYYY-Www``), in order."""
    (a,), _, _ = parse_periods(pd.Series([first]), "week")
    (b,), _, _ = parse_periods(pd.Series([last]), "week")
    return ["y_" + w[2:4] + w[6:8] for w in week_label(np.arange(a, b + 1))]


def test_1990s_weeks_feed_the_refusion_look_back_through_the_cohort(tmp_path: Path) -> None:
    """A DREAM file of every week 1991-2023, entry January 2000: prior weeks are counted from 1999's weeks."""
    columns = _weeks("1991-W01", "2023-W52")
    assert columns[0] == "y_9101" and "y_9853" in columns and columns[-1] == "y_2352"
    frame = pd.DataFrame("", index=["a", "b", "i"], columns=columns)
    on = {  # support (kontanthjaelp 130) by person: (first week, last week) spans
        "a": [("1999-W01", "2000-W10")],  # 52 weeks of 1999 before entry (1998-W53 off)
        "b": [("1998-W01", "1998-W20"), ("1999-W45", "2000-W10")],  # 76 weeks off in between: the count restarts
        "i": [("1991-W01", "1991-W10"), ("1999-W40", "2000-W20")],  # 1991 is outside the 3-year look-back
    }
    for pid, spans in on.items():
        for first, last in spans:
            frame.loc[pid, _weeks(first, last)] = "130"
    frame.index.name = "PNR"
    frame.reset_index().to_csv(tmp_path / "dream.csv", sep=";", index=False)
    spells = read_dream_wide(tmp_path / "dream.csv")
    assert spells.describe()["first_period"].startswith("1991")
    members = memberships_from_frame(
        pd.DataFrame(
            {
                "person_id": ["a", "b", "i", "i"],
                "case_id": "1",
                "group": ["target", "target", "target", "intervention"],
                "entry_period": "2000-01",
            }
        )
    )
    cohort = build_cohort(spells, members, case_id="1", as_of="2000-06", data_lag=2)
    prior = cohort.persons.drop_duplicates("person_id").set_index("person_id")["prior_weeks"]
    assert prior.to_dict() == {"a": 52.0, "b": 8.0, "i": 13.0}
