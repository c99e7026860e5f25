"""``survival-invest init``: a configuration for one's own files that loads, validates and says what to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from survival_invest.cli import main
from survival_invest.config import load_config
from survival_invest.pipeline.template import spells_format_of, write_config
from survival_invest.synthetic.cli import write_synthetic_portfolio


@pytest.fixture(scope="module")
def own_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 'own' files: the synthetic extracts, without the synthetic config."""
    config = write_synthetic_portfolio(tmp_path_factory.mktemp("own"), seed=4)
    config.unlink()
    return config.parent


def test_init_writes_a_config_that_loads_and_validates(own_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = own_files / "mine.toml"
    args = ["init", "--out", str(out), "--spells", str(own_files / "spells_monthly.csv")]
    args += ["--memberships", str(own_files / "memberships.csv"), "--finance", str(own_files / "finance.csv")]
    assert main(args) == 0
    assert "survival-invest validate --config" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Written by `survival-invest init`") and "EXAMPLE" in text
    assert 'spells = "spells_monthly.csv"' in text  # relative to the config's folder
    assert '# payments = "payments.csv"' in text and '# persons = "persons.csv"' in text  # not given: commented
    config = load_config(out)
    assert config.data.spells == own_files / "spells_monthly.csv"
    assert config.data.spells_format == "long" and config.data.payments is None
    assert config.data.finance is not None and config.data.finance.resolve() == (own_files / "finance.csv").resolve()
    assert [c.id for c in config.cases] == ["1", "2", "3", "4", "5"]
    assert main(["validate", "--config", str(out), "--as-of", "2022-06"]) == 0
    assert main(args) == 2  # exists
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force", "--cpr"]) == 0
    assert load_config(out).privacy.ids == "cpr"


def test_wide_dream_detected_and_missing_files_refused(own_files: Path, tmp_path: Path) -> None:
    assert spells_format_of(own_files / "dream_weekly.csv") == "dream_wide"
    assert spells_format_of(own_files / "spells_monthly.csv") == "long"
    assert spells_format_of(tmp_path / "x.sas7bdat") == "dream_wide"  # by its suffix, unread
    path = write_config(
        tmp_path / "w.toml",
        spells=own_files / "dream_weekly.csv",
        memberships=own_files / "memberships.csv",
        payments=own_files / "payments.csv",
    )
    config = load_config(path)
    assert config.data.spells_format == "dream_wide"  # outside the config's folder: absolute paths
    assert config.data.payments == (own_files / "payments.csv").resolve()
    assert f'payments = "{(own_files / "payments.csv").resolve()}"' in path.read_text(encoding="utf-8")
    code = main(["init", "--out", str(tmp_path / "n.toml"), "--spells", "nope.csv", "--memberships", "m.csv"])
    assert code == 2 and not (tmp_path / "n.toml").exists()
