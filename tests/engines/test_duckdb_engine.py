"""DuckDB reads the extract by the in-memory reader's rules: separators, encodings, the id column (issue 14).

The bundled portfolio is written as a Danish office would export it —
semicolons, decimal commas, Windows-1252 text, the id column ``PNR`` — and
run through the in-memory and DuckDB engines; both must give the results of
the original files. The messages of refused inputs are the in-memory reader's.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from survival_invest.config import ConfigError, load_config
from survival_invest.engines.duckdb_engine import DuckDBBackend
from survival_invest.errors import ExtractError
from survival_invest.pipeline.portfolio import run_portfolio_full

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def danish_portfolio(tmp: Path, *, encoding: str = "cp1252", sep: str = ";", id_column: str = "PNR") -> Path:
    """The bundled portfolio with spells and memberships as a Danish export: ``sep``, decimal commas, ``encoding``."""
    cfg = load_config(EXAMPLE)
    spells = pd.read_csv(cfg.data.spells, dtype=str)
    spells.insert(3, "kommune", "Århus Ø")  # a text column with Danish letters: the file is not ASCII
    members = pd.read_csv(cfg.data.memberships, dtype=str)
    if sep == ";":
        spells["amount_kr"] = spells["amount_kr"].str.replace(".", ",", regex=False)
    for frame, name in ((spells, "spells.csv"), (members, "memberships.csv")):
        frame.rename(columns={"person_id": id_column}).to_csv(tmp / name, sep=sep, index=False, encoding=encoding)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^spells\s*=.*$", 'spells = "spells.csv"', text)
    text = re.sub(r"(?m)^memberships\s*=.*$", f'memberships = "memberships.csv"\nid_column = "{id_column}"', text)
    if cfg.data.finance:
        text = re.sub(r"(?m)^finance\s*=.*$", f'finance = "{cfg.data.finance}"', text)
    text = re.sub(r"(?m)^classification\s*=.*$", "", text)
    (tmp / "portfolio.toml").write_text(text, encoding="utf-8")
    return tmp / "portfolio.toml"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return run_portfolio_full(EXAMPLE, "2022-06", engine="memory").results


@pytest.mark.parametrize(("encoding", "sep"), [("cp1252", ";"), ("utf-8", ";"), ("utf-8-sig", ","), ("cp1252", ",")])
def test_a_danish_export_gives_the_results_of_the_original_files_in_memory_and_in_duckdb(
    tmp_path, reference, caplog, encoding, sep
) -> None:
    config = danish_portfolio(tmp_path, encoding=encoding, sep=sep)
    for engine in ("memory", "duckdb"):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            got = run_portfolio_full(config, "2022-06", engine=engine)
        assert got.engine == engine
        pd.testing.assert_frame_equal(got.results, reference)
        warned = [r.getMessage() for r in caplog.records if "read as Windows-1252" in r.getMessage()]
        if encoding == "cp1252":  # the same warning from both engines, naming the file and the row
            assert any("spells.csv: the spells file is not UTF-8 (first at data row 1" in w for w in warned), warned
        else:
            assert not warned


def test_duckdb_refuses_undecodable_text_with_the_row_and_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "spells.csv"
    path.write_bytes(b"person_id;period;benefit\nA;2020-01;137\nB;2020-01;13\x817\n")
    with pytest.raises(ExtractError) as refused:
        DuckDBBackend(path)
    message = str(refused.value)
    assert "nor in Windows-1252 (byte 0x81 at data row 2)" in message and "save it as 'CSV UTF-8'" in message


def test_duckdb_refuses_parts_that_mix_separators(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("person_id;period;benefit\nA;2020-01;137\n", encoding="utf-8")
    (tmp_path / "parts" / "b.csv").write_text("person_id,period,benefit\nB,2020-01,137\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"the spells files mix separators \(a.csv use ';', others ','\)"):
        DuckDBBackend(tmp_path / "parts" / "*.csv")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_the_id_column_setting_is_read_by_duckdb_regardless_of_case(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"pnr": ["0101", "0202"], "period": ["2020-01", "2020-02"], "benefit": ["137", "111"]})
    path = tmp_path / f"spells.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, index=False)
    with DuckDBBackend(path, id_column="PNR") as backend:
        got = backend.query("SELECT person_id, period, benefit FROM spells ORDER BY period")
        assert list(got.columns) == ["person_id", "period", "benefit"] and len(got) == 2
    with pytest.raises(ExtractError) as refused:
        DuckDBBackend(path)
    message = str(refused.value)
    assert "missing column 'person_id' ('pnr' looks like it:" in message
    assert 'or set [data] id_column = "pnr"' in message and "found 3 columns: 'pnr', 'period', 'benefit'" in message


def test_a_wide_file_given_to_duckdb_gets_the_in_memory_message_cut_to_a_few_columns(tmp_path: Path) -> None:
    weeks = [f"y_{y:02d}{w:02d}" for y in range(17, 23) for w in range(1, 53)][:260]
    pd.DataFrame([["0101", *["137"] * len(weeks)]], columns=["CPR", *weeks]).to_parquet(tmp_path / "w.parquet")
    with pytest.raises(ExtractError) as refused:
        DuckDBBackend(tmp_path / "w.parquet")
    message = str(refused.value)
    assert f"found 261 columns: 'CPR', '{weeks[0]}', … '{weeks[-1]}'" in message
    assert 'set [data] id_column = "CPR"' in message and 'spells_format = "dream_wide"' in message
    assert len(message) < 600 and "y_1720" not in message
    with pytest.raises(ExtractError, match=r"missing the person id column 'PNR_X' \(\[data\] id_column\)"):
        DuckDBBackend(tmp_path / "w.parquet", id_column="PNR_X")


def test_duckdb_reads_a_small_input_it_is_given_and_refuses_a_scheme_it_cannot(tmp_path: Path) -> None:
    members = pd.DataFrame({"person_id": ["007", "8"], "case_id": ["1", "1"], "group": ["target", "intervention"]})
    members.to_csv(tmp_path / "m.csv", index=False)
    spells = tmp_path / "s.parquet"
    pd.DataFrame({"person_id": ["1"], "period": ["2020-01"], "benefit": ["137"]}).to_parquet(spells)
    with DuckDBBackend(spells) as backend:
        got = backend.read_frame(str(tmp_path / "m.csv"), "memberships")
        assert got["person_id"].tolist() == ["007", "8"]  # text, leading zeros kept, as the in-memory reader
        assert backend.describe_input(spells) == {}  # local: run.json identifies it itself
        with pytest.raises(ConfigError, match="DuckDB cannot read hdfs:// storage; use engine 'spark'"):
            backend.read_frame("hdfs://127.0.0.1:9/m.parquet", "memberships")
        with pytest.raises(ExtractError, match="DuckDB cannot read the memberships"):
            backend.read_frame(str(tmp_path / "none.parquet"), "memberships")


def test_a_part_that_is_not_parquet_is_refused_naming_the_part(tmp_path: Path) -> None:
    folder = tmp_path / "spells"
    folder.mkdir()
    pd.DataFrame({"person_id": ["1", "2"], "period": ["2021-01", "2021-02"], "benefit": ["111", "111"]}).to_parquet(
        folder / "part-0.parquet", index=False
    )
    (folder / "part-1.parquet").write_bytes(b"PAR1" + b"cut off by a failed copy" * 8)
    with pytest.raises(ExtractError) as err:
        DuckDBBackend(folder)
    message = str(err.value)
    assert "part-1.parquet" in message and "cannot read the spells file" in message
    assert "export the part again" in message
