"""CPR numbers in every input, the whole job run, and none of them (nor their digits) in anything it writes.

The synthetic portfolio of ``survival-invest synth`` with every person id
replaced by a CPR-shaped number, written differently per file as real files
do: ``DDMMYY-XXXX`` in the spells, 10 digits in the memberships and the person
table, and in the payment file 9 digits where the day starts with 0 (the
leading zero lost by a spreadsheet). With ``[privacy] ids = "cpr"`` the run,
``validate`` and an error path are driven through ``cli.main``; every file
under the output folder (report, tables, figures, ``run.json``, the DuckDB
history, the run folders), stdout, stderr and every log record are searched
for each person's number in all three forms.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.cli import main
from survival_invest.config.model import PSEUDONYM_KEY_ENV
from survival_invest.synthetic.cli import write_synthetic_portfolio

KEY = "a-test-key-of-more-than-sixteen-bytes"


def _cpr_numbers(ids: np.ndarray, seed: int = 7) -> pd.DataFrame:
    """A distinct CPR-shaped number per id (a third of them with days 01-09): the dash, 10- and 9-digit forms."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    day = np.where(np.arange(n) % 3 == 0, rng.integers(1, 10, n), rng.integers(10, 29, n))
    month = rng.integers(1, 13, n)
    year = rng.integers(50, 100, n)
    serial = rng.permutation(np.arange(1000, 10000))[:n]
    date = np.char.add(
        np.char.add(np.char.zfill(day.astype(str), 2), np.char.zfill(month.astype(str), 2)), year.astype(str)
    )
    ten = np.char.add(date, serial.astype(str))
    return pd.DataFrame(
        {
            "id": ids,
            "dash": np.char.add(np.char.add(date, "-"), serial.astype(str)),
            "ten": ten,
            "pay": np.where(day < 10, np.char.lstrip(ten, "0"), ten),
        }
    ).set_index("id")


@pytest.fixture(scope="module")
def cpr_portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The synthetic portfolio with CPR-shaped ids in every input and ``[privacy] ids = "cpr"``."""
    config = write_synthetic_portfolio(tmp_path_factory.mktemp("cpr"), seed=3)
    folder = config.parent
    members = pd.read_csv(folder / "memberships.csv", dtype=str, keep_default_na=False)
    cpr = _cpr_numbers(np.unique(members["person_id"].to_numpy()))
    for name, column, form, sep in (
        ("spells_monthly.csv", "person_id", "dash", ","),
        ("memberships.csv", "person_id", "ten", ","),
        ("persons.csv", "person_id", "ten", ","),
        ("payments.csv", "CPR nummer", "pay", ";"),
    ):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False, sep=sep)
        frame[column] = cpr[form].reindex(frame[column]).to_numpy()
        assert frame[column].notna().all()
        frame.to_csv(folder / name, index=False, sep=sep, lineterminator="\n")
    for name in ("dream_weekly.csv", "truth.json", "truth_curves.csv"):  # not inputs of this config
        (folder / name).unlink()
    text = config.read_text(encoding="utf-8").replace(
        'memberships = "memberships.csv"\n', 'memberships = "memberships.csv"\npersons = "persons.csv"\n'
    )
    config.write_text(text + '\n[privacy]\nids = "cpr"\n', encoding="utf-8")
    return config, cpr


def _forms(cpr: pd.DataFrame) -> list[str]:
    return sorted(set(cpr["dash"]) | set(cpr["ten"]) | set(cpr["pay"]) | set(cpr["dash"].str.replace("-", " ")))


def _leaks(blobs: dict[str, bytes], forms: list[str]) -> list[str]:
    """``"where: form"`` for every CPR form found in any of the texts or files."""
    found = []
    for where, blob in blobs.items():
        text = blob.decode("utf-8", errors="replace")
        found += [f"{where}: {f}" for f in forms if f in text]
    return found


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _copied(source: Path, folder: Path) -> Path:
    """A copy of the portfolio's files in ``folder``, for a test to edit without touching the shared one."""
    folder.mkdir()
    for p in source.iterdir():
        if p.is_file():
            (folder / p.name).write_bytes(p.read_bytes())
    return folder


def test_no_cpr_number_in_any_output_log_message_or_history(
    cpr_portfolio: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, cpr = cpr_portfolio
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY)
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "reports"
    assert main(["-v", "validate", "--config", str(config), "--as-of", "2022-06"]) == 0
    validated = capsys.readouterr()
    assert "pseudonym" in validated.out.lower()  # validate says the ids are pseudonymised
    for month in ("2022-06", "2022-07"):
        assert main(["-v", "run", "--config", str(config), "--as-of", month, "--out", str(out), "-q"]) == 0
    ran = capsys.readouterr()
    outputs = _outputs(out)
    assert any(name.endswith("run.json") for name in outputs) and any("history" in name for name in outputs)
    results = pd.read_csv(out / "2022-07" / "results.csv")
    assert (results.loc[results["measure"] == "savings", "basis"] == "payments").any()  # payments matched the ids
    blobs = {
        **outputs,
        "validate stdout": validated.out.encode(),
        "validate stderr": validated.err.encode(),
        "run stdout": ran.out.encode(),
        "run stderr": ran.err.encode(),
        "log records": caplog.text.encode(),
    }
    assert _leaks(blobs, _forms(cpr)) == []


def test_error_paths_name_rows_never_the_number(
    cpr_portfolio: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, cpr = cpr_portfolio
    folder = _copied(config.parent, tmp_path / "bad")
    members = pd.read_csv(folder / "memberships.csv", dtype=str, keep_default_na=False)
    bad = members["person_id"].iloc[3]
    members.loc[3, "person_id"] = bad[:2] + "13" + bad[4:]  # month 13: not a CPR number
    members.to_csv(folder / "memberships.csv", index=False, lineterminator="\n")
    caplog.set_level(logging.DEBUG)
    # without the key: a clear error naming the variable
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    assert (
        main(["run", "--config", str(folder / "portfolio.toml"), "--as-of", "2022-06", "--out", str(tmp_path / "o")])
        == 2
    )
    no_key = capsys.readouterr()
    assert PSEUDONYM_KEY_ENV in no_key.err
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY)
    code = main(["run", "--config", str(folder / "portfolio.toml"), "--as-of", "2022-06", "--out", str(tmp_path / "o")])
    failed = capsys.readouterr()
    assert code == 2
    assert "not a CPR number" in failed.err and "row 4" in failed.err and "'person_id'" in failed.err
    assert main(["validate", "--config", str(folder / "portfolio.toml")]) == 2
    validated = capsys.readouterr()
    assert "not a CPR number" in validated.err
    forms = [*_forms(cpr), members.loc[3, "person_id"]]
    blobs = {"no key": no_key.err.encode(), "run": failed.err.encode(), "validate": validated.err.encode()}
    blobs |= {"log": caplog.text.encode(), "validate out": validated.out.encode()}
    assert _leaks(blobs, forms) == []
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.csv"))


def test_undeclared_cpr_ids_warn_naming_the_column_not_the_values(
    cpr_portfolio: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, cpr = cpr_portfolio
    folder = _copied(config.parent, tmp_path / "plain")
    text = (folder / "portfolio.toml").read_text(encoding="utf-8").replace('ids = "cpr"', 'ids = "plain"')
    (folder / "portfolio.toml").write_text(text, encoding="utf-8")
    caplog.set_level(logging.WARNING)
    # plain ids are compared as text: the dash form of the spells does not match the memberships' 10 digits
    assert main(["validate", "--config", str(folder / "portfolio.toml")]) == 2
    err = capsys.readouterr().err
    assert "10 digits with leading zeros in the memberships" in err  # how the ids look, never an id
    for name in ("spells_monthly.csv", "memberships.csv", "persons.csv"):
        assert f"{name}: column 'person_id' looks like CPR numbers" in caplog.text, caplog.text
    assert _leaks({"stderr": err.encode(), "log": caplog.text.encode()}, _forms(cpr)) == []
