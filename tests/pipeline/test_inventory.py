"""``validate``'s per-file report: format, rows, persons, periods, code families, unknown codes, pseudonymisation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survival_invest.cli import main
from survival_invest.config import load_config
from survival_invest.io import read_memberships, read_spells
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.pipeline.inventory import file_format, file_inventory
from survival_invest.synthetic.cli import write_synthetic_portfolio


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_portfolio(tmp_path_factory.mktemp("inv"), seed=6)


def test_each_file_reported_with_unknown_codes_suppressed_below_the_minimum(synth: Path, tmp_path: Path) -> None:
    spells = pd.read_csv(synth.parent / "spells_monthly.csv", dtype=str, keep_default_na=False)
    first = spells["person_id"].unique()[:7]
    spells.loc[spells["person_id"] == first[0], "benefit"] = "4711"  # one person with an unknown code
    spells.loc[spells["person_id"].isin(first[1:7]), "benefit"] = "4712"  # six persons with another
    spells.to_csv(tmp_path / "s.csv", sep=";", index=False)
    config = load_config(synth)
    sp, ms = read_spells(tmp_path / "s.csv"), read_memberships(config.data.memberships)
    lines, problems = file_inventory(config, PLAIN, sp, ms)
    assert problems == []
    text = "\n".join(lines)
    head = next(line for line in lines if line.startswith("file spells"))
    assert "long spells, CSV, ';'-separated with decimal commas" in head and "months 2017-" in head
    assert "1,668 persons" in head and "no CPR pseudonymisation" in head
    assert "support/kontanthjaelp 5 codes" in text and "self_support/su 1 codes" in text
    assert "'4711' (" in text and "<5 persons)" in text and "6 persons)" in text
    assert "file memberships" in text and "entries 2020-01 to 2020-12" in text
    assert "national payment file" in text and "weeks 2019-W01" in text and "corrections (negative lines)" in text
    pseudo, _ = file_inventory(config, IdPolicy(b"k" * 32), sp, ms)
    assert "ids pseudonymised (CPR, HMAC)" in pseudo[0]


def test_validate_prints_the_inventory_and_a_payment_file_problem(
    synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--config", str(synth)]) == 0
    out = capsys.readouterr().out
    assert out.count("\nfile ") + out.startswith("file ") == 3  # spells, memberships, payments
    lines = (synth.parent / "payments.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(";Kontanthjælp;", ";Kontanthjælp;").rsplit(";", 5)[0] + ";x;80;1;0;0"
    bad = tmp_path / "p.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = synth.read_text(encoding="utf-8").replace('payments = "payments.csv"', f'payments = "{bad}"')
    for name in ("spells_monthly.csv", "memberships.csv", "finance.csv"):
        text = text.replace(f'"{name}"', f'"{synth.parent / name}"')
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    assert main(["validate", "--config", str(tmp_path / "c.toml")]) == 2
    assert "column 'Beregnet udbetalingsbeløb', row 2: 'x' is not an amount" in capsys.readouterr().err


def test_file_format() -> None:
    assert file_format(Path("x.sas7bdat")) == "SAS dataset" and file_format(Path("x.dta")) == "Stata file"
    assert file_format("s3a://bucket/spells") == "a URI read by the engine"
