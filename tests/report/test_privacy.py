"""No head count below min_persons anywhere: run.json, warnings, validate; members without spell data counted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from survival_invest.pipeline import run_monthly, validate
from survival_invest.report.privacy import shown_count, shown_counts

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"
DATA = ROOT / "data" / "synthetic"


def test_shown_count_hides_1_to_min_minus_1() -> None:
    assert [shown_count(n, 5) for n in (0, 1, 4, 5, 300)] == [0, "<5", "<5", 5, 300]
    assert shown_counts({"a": 3, "b": 7}, 5) == {"a": "<5", "b": 7}


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled portfolio with 3 participants left in case 1 and 2 target members of case 2 without spells."""
    work = tmp_path_factory.mktemp("small")
    members = pd.read_csv(DATA / "memberships.csv", dtype=str, keep_default_na=False)
    inter = (members["case_id"] == "1") & (members["group"] == "intervention")
    keep = members.loc[inter, "person_id"].unique()[:3]
    members = members[~inter | members["person_id"].isin(keep)]
    extra = pd.DataFrame({"person_id": ["ZZ1", "ZZ2"], "case_id": "2", "group": "target", "entry_period": "2020-03"})
    pd.concat([members, extra]).to_csv(work / "memberships.csv", index=False)
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "../data/synthetic/memberships.csv", str(work / "memberships.csv")
    )
    cfg = work / "portfolio.toml"
    cfg.write_text(text.replace("../data/", f"{ROOT / 'data'}/"), encoding="utf-8")
    return cfg


def _small_numbers(text: str) -> list[str]:
    """Counts 1-4 written next to a word about persons (the leak the rule forbids)."""
    return re.findall(r"\b[1-4] (?:persons|participants|intervention|target|comparison|members|without)\b", text)


def test_run_json_and_warnings_show_small_counts_as_less_than(small_case: Path, tmp_path: Path) -> None:
    outcome = run_monthly(small_case, "2022-06", tmp_path / "reports")
    info = json.loads((outcome.folder / "run.json").read_text(encoding="utf-8"))
    case1, case2 = info["cohorts"]["1"], info["cohorts"]["2"]
    assert case1["intervention"] == "<5" and case1["persons"] == "suppressed"  # total - comparison would give 3
    assert isinstance(case1["comparison"], int) and case1["comparison"] >= 5
    assert case2["without_spell_data"] == "<5"
    assert not re.search(r'"(?:intervention|comparison|persons|without_spell_data)": [1-4]\b', json.dumps(info))
    warnings = " ".join(info["warnings"])
    assert "case 2: <5 members without spell data excluded" in warnings
    assert not _small_numbers(warnings)
    html = (outcome.folder / "report.html").read_text(encoding="utf-8")
    assert "&lt;5 members without spell data" in html  # the data-quality line on the page


def test_validate_shows_small_counts_as_less_than(small_case: Path) -> None:
    found, problems = validate(small_case, as_of="2022-06")
    assert problems == []
    text = "\n".join(found)
    assert "case 1: " in text and "<5 intervention members" in text
    assert "<5 without spell data" in text  # case 2's two members without spells
    assert not _small_numbers(text), text
