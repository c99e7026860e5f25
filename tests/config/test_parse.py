"""Portfolio configuration: the Norddjurs example, and every error names file, case and key."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from survival_invest.config import DEFAULT_REFUSION_BANDS, ConfigError, load_config

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"
REFERENCE = ROOT.parent / "shared" / "reference" / "norddjurs_cases_2020.csv"


def test_norddjurs_example_carries_the_published_budgets() -> None:
    portfolio = load_config(EXAMPLE)
    ref = pd.read_csv(REFERENCE, dtype={"case_id": str})
    assert [c.id for c in portfolio.cases] == sorted(ref["case_id"].unique())
    for case in portfolio.cases:
        rows = ref[ref["case_id"] == case.id].sort_values("year")
        assert list(case.years) == rows["year"].tolist()
        assert list(case.budget_investment) == pytest.approx(rows["budget_investment_mkr"].tolist(), abs=0)
        assert list(case.budget_savings) == pytest.approx(rows["budget_savings_mkr"].tolist(), abs=0)
        assert case.method == ("count" if rows["follow_up"].iloc[0] == "count_based" else "survival")
    assert portfolio.run.price_level == 2020 and portfolio.run.language == "da"
    assert portfolio.refusion.bands == DEFAULT_REFUSION_BANDS
    assert portfolio.data.spells.is_file() and portfolio.data.memberships.is_file()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "portfolio.toml"
    p.write_text(text, encoding="utf-8")
    return p


BASE = """
[run]
price_level = 2020
[run.price_index]
2020 = 100.0
2021 = 102.0
[data]
spells = "s.csv"
memberships = "m.csv"
[[case]]
id = "1"
years = [2020, 2021]
budget_investment = [1.0, 1.0]
budget_savings = [-0.5, -1.5]
cost_per_fte = 165000
"""


def test_minimal_config_defaults(tmp_path: Path) -> None:
    p = load_config(_write(tmp_path, BASE))
    c = p.case("1")
    assert (c.method, c.comparison, c.curve, c.durable_exit, c.horizon) == (
        "survival",
        "non_participants",
        "first_exit",
        1,
        36,
    )
    assert c.cost_for("kontanthjaelp") == 165000.0
    assert p.run.data_lag == 2 and p.run.min_persons == 5
    assert p.refusion.enabled and math.isinf(p.refusion.bands[-1].to_week)
    assert p.data.spells == tmp_path / "s.csv"


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda s: s.replace("price_level = 2020", "price_levle = 2020"),
            r"\[run\], key 'price_levle': unknown key \(did you mean 'price_level'\?\)",
        ),
        (
            lambda s: s.replace("cost_per_fte = 165000", "cost_per_ftp = 165000"),
            r"case '1', key 'cost_per_ftp': unknown key \(did you mean 'cost_per_fte'\?\)",
        ),
        (
            lambda s: s.replace("budget_savings = [-0.5, -1.5]", "budget_savings = [-0.5]"),
            r"case '1', key 'budget_savings': has 1 values but 'years' has 2",
        ),
        (
            lambda s: s.replace("cost_per_fte = 165000", 'cost_per_fte = "lots"'),
            r"case '1', key 'cost_per_fte': expected kroner per year",
        ),
        (
            lambda s: s.replace("years = [2020, 2021]", "years = [2020, 2022]"),
            r"case '1', key 'years': no price index for 2022",
        ),
        (
            lambda s: s.replace('id = "1"', 'id = "1"\nmethod = "curves"'),
            r"case '1', key 'method': 'curves' is not one of \['survival', 'count'\]",
        ),
        (
            lambda s: s.replace('id = "1"', 'id = "1"\ncomparison = "non_participant"'),
            r"did you mean 'non_participants'",
        ),
        (
            lambda s: s.replace('id = "1"', 'id = "1"\nsaving_per_placement = 0.1'),
            r"case '1', key 'saving_per_placement': only for count cases",
        ),
        (lambda s: s.replace('memberships = "m.csv"\n', ""), r"\[data\], key 'memberships': missing"),
        (
            lambda s: (
                s + "\n[refusion]\nbands = [{from_week = 1, to_week = 4, share = 0.8}, {from_week = 6, share = 0.2}]\n"
            ),
            r"\[refusion\], key 'bands': band starting at week 6 does not follow",
        ),
        (
            lambda s: s + "\n[refusion]\nbands = [{from_week = 1, share = 1.5}]\n",
            r"\[refusion\] band 1, key 'share': 1.5 is outside 0 .. 1",
        ),
        (
            lambda s: s.replace("[run.price_index]\n2020 = 100.0", "[run.price_index]\n2019 = 100.0"),
            r"\[run\], key 'price_index': has no entry for the price level year 2020",
        ),
        (
            lambda s: (
                s
                + '\n[[case]]\nid = "1"\nyears = [2020]\nbudget_investment = [1.0]\nbudget_savings = [0.0]\ncost_per_fte = 1\n'
            ),
            r"case '1', key 'id': used by more than one case",
        ),
        (lambda s: s + "\n[reports]\nx = 1\n", r"top level, key 'reports': unknown key"),
    ],
)
def test_errors_name_file_case_and_key(tmp_path: Path, edit, pattern: str) -> None:
    path = _write(tmp_path, edit(BASE))
    with pytest.raises(ConfigError, match=pattern) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_missing_file_and_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.toml: configuration file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"portfolio.toml: not valid TOML: .*line 3"):
        load_config(_write(tmp_path, "[run]\nprice_level = 2020\nx = = 1\n"))


def test_count_case(tmp_path: Path) -> None:
    text = BASE.replace("cost_per_fte = 165000", 'method = "count"\nsaving_per_placement = 0.2\nplacements = [3, 4]')
    c = load_config(_write(tmp_path, text)).case("1")
    assert c.method == "count" and c.saving_per_placement == 0.2 and c.placements == (3.0, 4.0)
    bad = text.replace('method = "count"', 'method = "count"\nhorizon = 12')
    with pytest.raises(ConfigError, match=r"case '1', key 'horizon': not used by a count case"):
        load_config(_write(tmp_path, bad))


def test_targets_section(tmp_path: Path) -> None:
    text = (
        BASE
        + "\n[targets]\nyears = [2020, 2021]\nreduction = [-2.0, -3.0]\nother_initiatives = { unge = [-0.5, -0.5] }\n"
    )
    t = load_config(_write(tmp_path, text)).targets
    assert t is not None and t.reduction == (-2.0, -3.0) and t.other_initiatives["unge"] == (-0.5, -0.5)
    with pytest.raises(ConfigError, match=r"\[targets\], key 'reduction': has 1 values but 'years' has 2"):
        load_config(_write(tmp_path, BASE + "\n[targets]\nyears = [2020, 2021]\nreduction = [-2.0]\n"))
    with pytest.raises(ConfigError, match=r"\[targets\], key 'reductions': unknown key \(did you mean 'reduction'\?\)"):
        load_config(_write(tmp_path, BASE + "\n[targets]\nyears = [2020]\nreductions = [-2.0]\n"))


def test_person_table_path_and_matched_comparison(tmp_path: Path) -> None:
    text = BASE.replace('memberships = "m.csv"', 'memberships = "m.csv"\npersons = "people.parquet"')
    text = text.replace('id = "1"', 'id = "1"\ncomparison = "matched"')
    p = load_config(_write(tmp_path, text))
    assert p.data.persons == tmp_path / "people.parquet" and p.case("1").comparison == "matched"
    assert load_config(_write(tmp_path, BASE)).data.persons is None
    with pytest.raises(ConfigError, match=r"\[data\], key 'person': unknown key \(did you mean 'persons'\?\)"):
        load_config(_write(tmp_path, BASE.replace('memberships = "m.csv"', 'memberships = "m.csv"\nperson = "p.csv"')))
    with pytest.raises(
        ConfigError, match=r"case '1', key 'comparison': 'match' is not one of .*\(did you mean 'matched'\?\)"
    ):
        load_config(_write(tmp_path, BASE.replace('id = "1"', 'id = "1"\ncomparison = "match"')))


def test_month_rule_per_case(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, BASE)).case("1").month_rule == "any"  # the default
    for rule in ("any", "majority", "all"):
        text = BASE.replace("cost_per_fte = 165000", f'cost_per_fte = 165000\nmonth_rule = "{rule}"')
        assert load_config(_write(tmp_path, text)).case("1").month_rule == rule
    bad = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\nmonth_rule = "majorty"')
    with pytest.raises(
        ConfigError,
        match=r"portfolio.toml: case '1', key 'month_rule': 'majorty' is not one of \['any', 'majority', 'all'\] "
        r"\(did you mean 'majority'\?\)",
    ):
        load_config(_write(tmp_path, bad))
    typo = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\nmonth_rules = "all"')
    with pytest.raises(ConfigError, match=r"case '1', key 'month_rules': unknown key \(did you mean 'month_rule'\?\)"):
        load_config(_write(tmp_path, typo))
    count = BASE.replace("cost_per_fte = 165000", 'method = "count"\nsaving_per_placement = 0.2\nplacements = [3, 4]')
    with pytest.raises(ConfigError, match=r"case '1', key 'month_rule': not used by a count case"):
        load_config(_write(tmp_path, count.replace('method = "count"', 'method = "count"\nmonth_rule = "all"')))


def test_the_template_documents_month_rule() -> None:
    from importlib import resources

    text = (resources.files("survival_invest") / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    assert text.count('month_rule = "any"') == 4 and '"majority"' in text and '"all"' in text


def test_tail_per_case(tmp_path: Path) -> None:
    case = load_config(_write(tmp_path, BASE)).case("1")
    assert (case.tail, case.tail_months) == ("none", 12)  # the default: the horizon is capped at the last observed
    for tail in ("flat", "exponential", "weibull", "loglogistic"):
        text = BASE.replace("cost_per_fte = 165000", f'cost_per_fte = 165000\ntail = "{tail}"')
        assert load_config(_write(tmp_path, text)).case("1").tail == tail
    text = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\ntail = "exponential"\ntail_months = 6')
    assert load_config(_write(tmp_path, text)).case("1").tail_months == 6
    bad = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\ntail = "exponental"')
    with pytest.raises(
        ConfigError, match=r"case '1', key 'tail': 'exponental' is not one of .*did you mean 'exponential'"
    ):
        load_config(_write(tmp_path, bad))
    months = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\ntail = "weibull"\ntail_months = 6')
    with pytest.raises(ConfigError, match=r"key 'tail_months': used only with tail = 'exponential'"):
        load_config(_write(tmp_path, months))
    occ = BASE.replace("cost_per_fte = 165000", 'cost_per_fte = 165000\ncurve = "occupancy"\ntail = "weibull"')
    with pytest.raises(ConfigError, match=r"key 'tail': 'weibull' fits first-exit hazards"):
        load_config(_write(tmp_path, occ))


def test_the_template_declares_a_tail() -> None:
    from importlib import resources

    text = (resources.files("survival_invest") / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    assert text.count('tail = "exponential"') == 4 and text.count("tail_months = 12") == 4
