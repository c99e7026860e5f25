"""validate(): what was found, or every problem at once, without computing (pipeline.validate)."""

from __future__ import annotations

from pathlib import Path

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
