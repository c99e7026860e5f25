"""Engine choice (engines.select): a matched case picks the in-memory engine before any extract is read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import survival_invest as si
from survival_invest.cli import main
from survival_invest.config import load_config
from survival_invest.engines import choose_engine, engine_choice, portfolio_statistics
from survival_invest.pipeline import validate

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def _with_matched(tmp_path: Path, engine: str | None = None) -> Path:
    """The example portfolio with case 3 matched (and an [engine] name when given), paths made absolute."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    head, sep, rest = text.partition('id = "3"')
    assert sep, "the example has a case 3"
    text = head + sep + '\ncomparison = "matched"' + rest.replace('comparison = "non_participants"', "", 1)
    if engine is not None:
        text += f'\n[engine]\nname = "{engine}"\n'
    out = tmp_path / "portfolio.toml"
    out.write_text(text, encoding="utf-8")
    return out


def test_auto_picks_memory_for_a_matched_case_even_above_the_size_threshold(tmp_path: Path) -> None:
    cfg = load_config(_with_matched(tmp_path))
    assert [c.comparison for c in cfg.cases if c.id == "3"] == ["matched"]
    big = replace(cfg, engine=replace(cfg.engine, auto_threshold_mb=0.0))  # any extract is "large" now
    choice = engine_choice(big)
    assert choice.name == "memory"
    assert "case '3' uses comparison 'matched'" in choice.reason and "must fit in memory" in choice.reason
    assert choose_engine(big) == "memory"


def test_a_sql_engine_with_a_matched_case_is_refused_before_any_extract_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(_with_matched(tmp_path))
    missing = replace(cfg, data=replace(cfg.data, spells=tmp_path / "no_such_file.parquet"))
    for engine in ("duckdb", "spark"):
        with pytest.raises(si.ConfigError, match=rf"engine '{engine}' cannot run case '3'.*in-memory engine"):
            portfolio_statistics(missing, "2022-06", engine)  # refused before the (missing) extract is touched
    monkeypatch.setenv("SURVIVAL_INVEST_ENGINE", "duckdb")
    with pytest.raises(si.ConfigError, match="SURVIVAL_INVEST_ENGINE: engine 'duckdb' cannot run case '3'"):
        choose_engine(cfg)


def test_the_configuration_refuses_a_sql_engine_with_a_matched_case(tmp_path: Path) -> None:
    with pytest.raises(si.ConfigError, match=r"\[engine\], key 'name': engine 'duckdb' cannot run case '3'"):
        load_config(_with_matched(tmp_path, engine="duckdb"))
    assert load_config(_with_matched(tmp_path, engine="memory")).engine.name == "memory"


def test_validate_says_which_engine_and_why(tmp_path: Path) -> None:
    found, problems = validate(_with_matched(tmp_path))
    assert not problems
    assert any(line.startswith("engine memory: auto: case '3' uses comparison 'matched'") for line in found)
    found, problems = validate(_with_matched(tmp_path), engine="spark")
    assert any("engine 'spark' cannot run case '3'" in p for p in problems)
    found, problems = validate(EXAMPLE)
    assert any(line.startswith("engine memory: auto:") and "MB of spells" in line for line in found)


def test_validate_command_checks_the_engine_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _with_matched(tmp_path)
    assert main(["validate", "--config", str(cfg), "--engine", "duckdb"]) == 2
    assert "engine 'duckdb' cannot run case '3'" in capsys.readouterr().err
    assert main(["validate", "--config", str(cfg)]) == 0
    assert "engine memory: auto: case '3' uses comparison 'matched'" in capsys.readouterr().out


def test_auto_picks_memory_for_an_occupancy_case_and_a_sql_engine_says_its_interval_is_approximate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The occupancy clock's person-level variance needs the persons: auto runs in memory, SQL engines say why not."""
    cfg = load_config(EXAMPLE)
    occ = replace(cfg, cases=tuple(replace(c, curve="occupancy") if c.id == "2" else c for c in cfg.cases))
    auto = engine_choice(occ, "auto")
    assert auto.name == "memory" and "case '2' uses the occupancy clock" in auto.reason
    assert "occupancy" not in engine_choice(cfg, "auto").reason
    big = replace(occ, engine=replace(occ.engine, auto_threshold_mb=0.0))
    with caplog.at_level("WARNING", logger="survival_invest.engines.select"):
        large = engine_choice(big, "auto")
        chosen = engine_choice(occ, "duckdb")
    assert large.name == "duckdb" and "interval of occupancy case '2' is then the statistics-only" in large.reason
    assert chosen.name == "duckdb" and "engine memory gives the person-level one" in chosen.reason
    assert sum("occupancy case '2'" in r.getMessage() for r in caplog.records) == 2


def _with_case_lines(tmp_path: Path, lines: str, engine: str | None = None) -> Path:
    """The example portfolio with ``lines`` added to case 3 (its comparison replaced when they set one)."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    head, sep, rest = text.partition('id = "3"')
    if "comparison" in lines:
        rest = rest.replace('comparison = "non_participants"', "", 1)
    text = head + sep + "\n" + lines + rest
    if engine is not None:
        text += f'\n[engine]\nname = "{engine}"\n'
    out = tmp_path / "portfolio.toml"
    out.write_text(text, encoding="utf-8")
    return out


ADJUSTED = 'comparison = "adjusted"\nadjust = { covariates = ["prior_weeks", "benefit_group"] }'


@pytest.mark.parametrize(
    ("lines", "why"),
    [(ADJUSTED, "case '3' uses comparison 'adjusted'"), ("destinations = true", "case '3' asks for destinations")],
)
def test_auto_picks_memory_for_an_adjusted_or_destinations_case(tmp_path: Path, lines: str, why: str) -> None:
    cfg = load_config(_with_case_lines(tmp_path, lines))
    big = replace(cfg, engine=replace(cfg.engine, auto_threshold_mb=0.0))  # any extract is "large" now
    choice = engine_choice(big)
    assert choice.name == "memory" and why in choice.reason and "only the in-memory engine runs" in choice.reason
    with pytest.raises(si.ConfigError, match=r"engine 'duckdb' cannot run case '3' \((comparison 'adjusted'|dest)"):
        engine_choice(cfg, "duckdb")
    found, problems = validate(_with_case_lines(tmp_path, lines))
    assert not problems and any(line.startswith("engine memory: auto: " + why) for line in found)
    found, problems = validate(_with_case_lines(tmp_path, lines), engine="spark")
    assert any("engine 'spark' cannot run case '3'" in p for p in problems)
