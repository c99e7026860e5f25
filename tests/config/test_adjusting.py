"""A case's ``comparison = "adjusted"`` with ``adjust = {...}`` and ``destinations``: parsed once, refusals named."""

from __future__ import annotations

from pathlib import Path

import pytest

from survival_invest.choices import ADJUST_METHODS, COMPARISONS, ESTIMANDS
from survival_invest.config import ConfigError, load_config
from survival_invest.config.adjusting import ADJUST_COVARIATES
from survival_invest.config.model import AdjustConfig

BASE = """
[run]
price_level = 2020
[run.price_index]
2020 = 100.0
2021 = 102.0
[data]
spells = "s.csv"
memberships = "m.csv"
persons = "p.csv"
[[case]]
id = "1"
years = [2020, 2021]
budget_investment = [1.0, 1.0]
budget_savings = [-0.5, -1.5]
cost_per_fte = 165000
"""


def _load(tmp_path: Path, case_lines: str, base: str = BASE):  # type: ignore[no-untyped-def]
    p = tmp_path / "portfolio.toml"
    p.write_text(base.replace('id = "1"', 'id = "1"\n' + case_lines), encoding="utf-8")
    return load_config(p)


def test_the_choices_are_declared_once() -> None:
    assert "adjusted" in COMPARISONS
    assert ADJUST_METHODS == ("aipw", "ipw", "gformula") and ESTIMANDS == ("att", "ate")


def test_an_adjusted_case_gets_its_defaults_and_its_covariates(tmp_path: Path) -> None:
    cfg = _load(tmp_path, 'comparison = "adjusted"\nadjust = { covariates = ["age", "sex", "prior_weeks"] }')
    case = cfg.case("1")
    assert case.comparison == "adjusted"
    assert case.adjust == AdjustConfig(covariates=("age", "sex", "prior_weeks"), method="aipw", estimand="att")
    assert not case.destinations
    cfg = _load(
        tmp_path,
        'comparison = "adjusted"\ndestinations = true\n'
        'adjust = { method = "gformula", estimand = "ate", covariates = ["benefit_group"] }',
    )
    assert cfg.case("1").adjust == AdjustConfig(("benefit_group",), "gformula", "ate")
    assert cfg.case("1").destinations is True
    assert _load(tmp_path, "").case("1").adjust is None  # another comparison: no adjust table


@pytest.mark.parametrize(
    ("lines", "pattern"),
    [
        ('comparison = "adjusted"', r"case '1', key 'adjust': missing; comparison = 'adjusted' needs adjust"),
        (
            'comparison = "adjusted"\nadjust = { method = "aipw" }',
            r"case '1' adjust, key 'covariates': missing",
        ),
        (
            'comparison = "adjusted"\nadjust = { method = "dr", covariates = ["age"] }',
            r"case '1' adjust, key 'method': 'dr' is not one of \['aipw', 'ipw', 'gformula'\]",
        ),
        (
            'comparison = "adjusted"\nadjust = { estimand = "atc", covariates = ["age"] }',
            r"case '1' adjust, key 'estimand': 'atc' is not one of \['att', 'ate'\]",
        ),
        (
            'comparison = "adjusted"\nadjust = { covariates = ["income"] }',
            r"key 'covariates': 'income' is not a column of the cohort's persons; allowed: \['age', 'age_band'",
        ),
        ('comparison = "adjusted"\nadjust = { covariates = [] }', r"key 'covariates': expected a list"),
        ('comparison = "adjusted"\nadjust = { covariates = ["age", "age"] }', r"named twice"),
        (
            'comparison = "adjusted"\nadjust = { covariates = ["age"], methods = "ipw" }',
            r"key 'methods': unknown key \(did you mean 'method'\?\)",
        ),
        ('comparison = "adjusted"\nadjust = "aipw"', r"key 'adjust': expected a table"),
        ('adjust = { covariates = ["age"] }', r"key 'adjust': used only with comparison = 'adjusted'"),
        (
            'comparison = "adjusted"\ncurve = "occupancy"\nadjust = { covariates = ["age"] }',
            r"key 'curve': comparison = 'adjusted' adjusts first-exit curves",
        ),
        (
            'comparison = "adjusted"\ntail = "weibull"\nadjust = { covariates = ["age"] }',
            r"key 'tail': comparison = 'adjusted' has no tail model",
        ),
        ('destinations = "yes"', r"case '1', key 'destinations': expected true or false, got 'yes'"),
    ],
)
def test_refusals_name_the_file_case_and_key(tmp_path: Path, lines: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern) as info:
        _load(tmp_path, lines)
    assert str(tmp_path / "portfolio.toml") in str(info.value)


def test_person_table_covariates_need_the_person_table(tmp_path: Path) -> None:
    no_table = BASE.replace('persons = "p.csv"\n', "")
    with pytest.raises(ConfigError, match=r"case '1', key 'adjust.covariates': 'sex' comes from the person table"):
        _load(tmp_path, 'comparison = "adjusted"\nadjust = { covariates = ["prior_weeks", "sex"] }', no_table)
    cfg = _load(tmp_path, 'comparison = "adjusted"\nadjust = { covariates = ["prior_weeks"] }', no_table)
    assert cfg.case("1").adjust is not None and set(cfg.case("1").adjust.covariates) <= set(ADJUST_COVARIATES)


def test_a_count_case_refuses_the_survival_only_keys(tmp_path: Path) -> None:
    count = 'method = "count"\nsaving_per_placement = 0.1\nplacements = [1, 2]\n'
    with pytest.raises(ConfigError, match=r"key 'destinations': not used by a count case"):
        _load(tmp_path, count + "destinations = true").case("1")


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_an_sql_engine_is_refused_for_adjusted_and_destinations_cases(tmp_path: Path, engine: str) -> None:
    base = BASE + f'\n[engine]\nname = "{engine}"\n'
    with pytest.raises(ConfigError, match=rf"engine '{engine}' cannot run case '1' \(comparison 'adjusted'"):
        _load(tmp_path, 'comparison = "adjusted"\nadjust = { covariates = ["age"] }', base)
    with pytest.raises(ConfigError, match=rf"engine '{engine}' cannot run case '1' \(destinations = true"):
        _load(tmp_path, "destinations = true", base)
    assert _load(tmp_path, "destinations = false", base).engine.name == engine
