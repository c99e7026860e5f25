"""validate(): what was found, or every problem at once, without computing (pipeline.validate)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survival_invest.cli import main
from survival_invest.pipeline import validate

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def _copy(tmp_path: Path, edit=lambda s: s) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    out = tmp_path / "portfolio.toml"
    out.write_text(edit(text), encoding="utf-8")
    return out


def test_a_good_portfolio_gives_no_problem_and_names_the_cut_off() -> None:
    found, problems = validate(EXAMPLE, as_of="2022-06")
    assert problems == []
    assert any(line.startswith("as-of 2022-06: cut-off 2022-04 (extract ends") for line in found)
    assert sum(line.startswith("case ") for line in found) == 4  # the four survival cases


def test_an_as_of_past_the_extract_and_an_unreadable_as_of_are_problems() -> None:
    _, problems = validate(EXAMPLE, as_of="2031-01")
    assert len(problems) == 1
    assert "the extract ends" in problems[0] and "cut-off is 2030-11 (as-of 2031-01 minus a lag of 2)" in problems[0]
    _, problems = validate(EXAMPLE, as_of="June")
    assert problems == ["--as-of: cannot read period 'June': expected YYYY-MM with a month 01 to 12, e.g. 2022-06"]


def test_every_problem_of_several_files_is_listed(tmp_path: Path) -> None:
    cfg = _copy(
        tmp_path,
        lambda s: s.replace("memberships.csv", "no_memberships.csv").replace("spells_monthly.csv", "no_spells.csv"),
    )
    found, problems = validate(cfg, as_of="2022-06")
    assert len(problems) == 2
    assert any("no_spells.csv" in p for p in problems) and any("no_memberships.csv" in p for p in problems)
    assert found[0].startswith("config ")


def test_a_bad_configuration_is_the_only_problem(tmp_path: Path) -> None:
    found, problems = validate(_copy(tmp_path, lambda s: s.replace("[run]", "[run]\nlanguag = 'da'", 1)))
    assert found == [] and len(problems) == 1 and "did you mean 'language'" in problems[0]


def _censored_at_entry(tmp_path: Path, case: str = "1") -> Path:
    """The bundled spells with every intervention member of ``case`` on a censor code (997) in the entry month."""
    members = pd.read_csv(ROOT / "data" / "synthetic" / "memberships.csv", dtype=str)
    spells = pd.read_csv(ROOT / "data" / "synthetic" / "spells_monthly.csv", dtype=str)
    iv = members[(members["case_id"] == case) & (members["group"] == "intervention")]
    at_entry = pd.MultiIndex.from_arrays([iv["person_id"], iv["entry_period"]])
    hit = pd.MultiIndex.from_arrays([spells["person_id"], spells["period"]]).isin(at_entry)
    spells.loc[hit, "benefit"] = "997"
    have = set(zip(spells["person_id"][hit], spells["period"][hit], strict=True))
    add = [(p, e) for p, e in zip(iv["person_id"], iv["entry_period"], strict=True) if (p, e) not in have]
    extra = pd.DataFrame(add, columns=["person_id", "period"]).assign(benefit="997", amount_kr="0")
    pd.concat([spells, extra]).to_csv(tmp_path / "spells.csv", index=False)
    return tmp_path / "spells.csv"


def test_a_group_emptied_by_the_exclusions_at_entry_is_the_problem_run_would_stop_at(tmp_path: Path, capsys) -> None:
    spells = _censored_at_entry(tmp_path)
    cfg = _copy(tmp_path, lambda s: s.replace(f"{ROOT / 'data'}/synthetic/spells_monthly.csv", str(spells)))
    found, problems = validate(cfg, as_of="2022-06")
    assert problems == [
        "case '1': the intervention group is empty after the exclusions (no spell data, censored at entry); "
        "nothing to estimate. Run `survival-invest validate` to see the members without spell data per case."
    ]
    assert any(line.startswith("case 1: 300 target and 60 intervention members") for line in found)
    assert main(["run", "--config", str(cfg), "--as-of", "2022-06", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert f"error: {problems[0]}" in capsys.readouterr().err  # the run stops at the same problem
    assert validate(cfg)[1] == []  # without --as-of there is no cut-off to follow the members to


def test_every_problem_of_data_and_cases_is_listed_in_one_pass(tmp_path: Path) -> None:
    spells = _censored_at_entry(tmp_path)
    members = pd.read_csv(ROOT / "data" / "synthetic" / "memberships.csv", dtype=str)
    members.loc[(members["case_id"] == "2").to_numpy().nonzero()[0][:3], "entry_period"] = "2022-05"
    members.to_csv(tmp_path / "memberships.csv", index=False)
    cfg = _copy(
        tmp_path,
        lambda s: s.replace(f"{ROOT / 'data'}/synthetic/spells_monthly.csv", str(spells)).replace(
            f"{ROOT / 'data'}/synthetic/memberships.csv", str(tmp_path / "memberships.csv")
        ),
    )
    _, problems = validate(cfg, as_of="2022-06")
    assert len(problems) == 2, problems
    assert "case '1': the intervention group is empty after the exclusions" in problems[0]
    assert "memberships.csv: column 'entry_period', rows 302, 303" in problems[1]
    assert "is after the data cut-off 2022-04" in problems[1]


_SPARK = '\n[engine]\nname = "spark"\n'


def _engine(tmp_path: Path, engine: str, data: str = "", spells: str | None = None) -> Path:
    def edit(s: str) -> str:
        if spells is not None:
            s = s.replace(f"{ROOT / 'data'}/synthetic/spells_monthly.csv", spells)
        s = s.replace("[data]\n", f"[data]\n{data}", 1)
        return s + f'\n[engine]\nname = "{engine}"\n'

    return _copy(tmp_path, edit)


def test_what_the_chosen_engine_refuses_is_a_problem_of_validate(tmp_path: Path) -> None:
    frame = pd.read_csv(ROOT / "data" / "synthetic" / "spells_monthly.csv", dtype=str)
    frame.rename(columns={"person_id": "PNR"}).to_parquet(tmp_path / "pnr.parquet", index=False)
    _, problems = validate(_engine(tmp_path, "duckdb", spells=str(tmp_path / "pnr.parquet")))
    assert len(problems) >= 1 and "pnr.parquet: missing column 'person_id' ('PNR' looks like it:" in problems[0]
    assert 'set [data] id_column = "PNR"' in problems[0]
    found, problems = validate(_engine(tmp_path, "duckdb", 'id_column = "PNR"\n', str(tmp_path / "pnr.parquet")))
    assert problems == [] and any(line.startswith("case 1: ") for line in found)  # memberships keep person_id

    _, problems = validate(_engine(tmp_path, "duckdb", spells="hdfs://127.0.0.1:9/spells"))
    assert any("DuckDB cannot read hdfs:// storage; use engine 'spark'" in p for p in problems), problems
    _, problems = validate(_engine(tmp_path, "memory", spells="hdfs://127.0.0.1:9/spells"))
    assert any("the in-memory engine cannot read; use engine 'spark'" in p for p in problems), problems
    wide = _copy(tmp_path, lambda s: s.replace('spells_format = "long"', 'spells_format = "dream_wide"') + _SPARK)
    _, problems = validate(wide)
    assert any("engine 'spark' reads long spells" in p for p in problems), problems


def test_a_windows_1252_file_spark_would_misread_is_a_problem_for_spark_only(tmp_path: Path) -> None:
    frame = pd.read_csv(ROOT / "data" / "synthetic" / "spells_monthly.csv", dtype=str)
    frame["note"] = "ok"
    frame.loc[3, "note"] = "pris – 5 €"
    frame.to_csv(tmp_path / "euro.csv", sep=";", index=False, encoding="cp1252")
    _, problems = validate(_engine(tmp_path, "spark", spells=str(tmp_path / "euro.csv")))
    assert any("characters such as € or – (data row 4)" in p and "CSV UTF-8" in p for p in problems), problems
    _, problems = validate(_engine(tmp_path, "duckdb", spells=str(tmp_path / "euro.csv")))
    assert problems == []


def test_remote_memberships_are_left_to_the_engine_and_refused_in_memory(tmp_path: Path) -> None:
    uri = "hdfs://127.0.0.1:9/memberships.parquet"

    def remote(engine: str) -> Path:
        return _copy(
            tmp_path,
            lambda s: s.replace(f"{ROOT / 'data'}/synthetic/memberships.csv", uri) + f'\n[engine]\nname = "{engine}"\n',
        )

    found, problems = validate(remote("spark"))
    assert problems == [] and f"memberships {uri}: on remote storage, read and checked by the engine in a run" in found
    _, problems = validate(remote("memory"))
    assert len(problems) == 1 and f"[data] memberships = '{uri}' is on hdfs:// storage" in problems[0]
