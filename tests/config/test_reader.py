"""Config values refused with file, section and key: nan/inf anywhere, unsafe case ids, several problems at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survival_invest.config import ConfigError, load_config
from survival_invest.config.reader import ConfigProblems

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def _config(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    out = tmp_path / "portfolio.toml"
    out.write_text(text, encoding="utf-8")
    return out


def _number_edit(key: str, value: str) -> tuple[str, str]:
    """Replace the first number after ``key =`` in the example by ``value``."""
    text = EXAMPLE.read_text(encoding="utf-8")
    m = re.search(rf"(?m)(\b{re.escape(key)}\s*=\s*\[?\s*)(-?[0-9][0-9.]*)", text)
    assert m is not None, key
    return m.group(0), m.group(1) + value


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("budget_savings", "case '1', key 'budget_savings'"),
        ("budget_investment", "case '1', key 'budget_investment'"),
        ("kontanthjaelp", "case '1', key 'cost_per_fte.kontanthjaelp'"),
        ("per_month", "case '1' planned_inflow 1, key 'per_month'"),
        ("saving_per_placement", "case '5', key 'saving_per_placement'"),
        ("pre_reform_share", "[refusion], key 'pre_reform_share'"),
        ("2021", "[run], key 'price_index.2021'"),
        ("reduction", "[targets], key 'reduction'"),
    ],
)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused_naming_file_section_and_key(tmp_path: Path, key: str, where: str, value: str) -> None:
    cfg = _config(tmp_path, _number_edit(key, value))
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    msg = str(exc.value)
    assert str(cfg) in msg and where in msg and value.lstrip("-") in msg, msg


@pytest.mark.parametrize(
    ("ident", "why"),
    [
        ("a/b", "not a safe case id"),
        ("a:b", "not a safe case id"),
        ("x" * 250, "(250 characters)"),
        ("=1+1", "not a safe case id"),
        ("-1", "not a safe case id"),
        ("Portfolio", "reserved"),
        ("x" * 25, "not a safe case id"),
    ],
)
def test_unsafe_case_ids_are_refused_with_the_rule(tmp_path: Path, ident: str, why: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(_config(tmp_path, ('id = "1"', f'id = "{ident}"')))
    msg = str(exc.value)
    assert "key 'id'" in msg and why in msg and len(msg) < 400, msg
    if why != "reserved":
        assert "letters, digits, '-', '_' or '.'" in msg and "24" in msg


def test_safe_ids_pass_and_the_bundled_ids_are_safe(tmp_path: Path) -> None:
    assert [c.id for c in load_config(EXAMPLE).cases] == ["1", "2", "3", "4", "5"]
    ok = load_config(_config(tmp_path, ('id = "1"', 'id = "job-net_2.v1"'))).cases[0].id
    assert ok == "job-net_2.v1"


def test_several_config_problems_are_all_reported_one_line_each(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        _number_edit("budget_savings", "nan"),
        ("[run]", "[run]\nlanguag = 'da'"),
        _number_edit("pre_reform_share", "inf"),
        ('id = "2"', 'id = "a/b"'),
    )
    with pytest.raises(ConfigProblems) as exc:
        load_config(cfg)
    lines = exc.value.problems
    assert str(exc.value).splitlines() == lines and len(lines) == 4, lines
    assert any("did you mean 'language'" in line for line in lines)
    assert any("'budget_savings'" in line and "nan" in line for line in lines)
    assert any("'pre_reform_share'" in line and "inf" in line for line in lines)
    assert any("'a/b' is not a safe case id" in line for line in lines)
    assert all(line.startswith(str(cfg)) for line in lines)
