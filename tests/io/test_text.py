"""Danish CSV exports: semicolons with decimal commas, Windows-1252 text (warned), undecodable text refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from survival_invest.errors import ExtractError
from survival_invest.io.readers import read_memberships, read_spells
from survival_invest.io.tables import read_table
from survival_invest.io.text import decimal_commas

LONG = "person_id,period,benefit,amount_kr\nA1,2020-01,137,12000.5\nA1,2020-02,137,-250.25\nB2,2020-01,131,1234.5\n"


def test_a_semicolon_file_with_decimal_commas_reads_like_the_comma_file(tmp_path: Path) -> None:
    comma = tmp_path / "comma.csv"
    comma.write_text(LONG, encoding="utf-8")
    semi = tmp_path / "semi.csv"
    semi.write_text(
        "person_id;period;benefit;amount_kr\nA1;2020-01;137;12000,5\nA1;2020-02;137;-250,25\nB2;2020-01;131;1.234,5\n",
        encoding="utf-8",
    )
    a, b = read_spells(comma), read_spells(semi)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert b.frame["amount_kr"].tolist() == [12000.5, -250.25, 1234.5]


def test_decimal_commas_touch_only_whole_numbers_with_a_comma() -> None:
    frame = pd.DataFrame({"a": ["1,5", "-0,25", "1.234,5", "x,1", "2020-01", None], "b": ["12", "7", "0", "", "", ""]})
    out = decimal_commas(frame)
    assert out["a"].tolist()[:5] == ["1.5", "-0.25", "1234.5", "x,1", "2020-01"] and out["a"].isna().iloc[5]
    assert out["b"].tolist() == frame["b"].tolist()


def test_a_windows_1252_file_is_read_with_a_warning_naming_the_file_and_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "members.csv"
    text = "person_id,case_id,group,entry_period\nA1,1,target,2020-01\nSøren,1,intervention,2020-02\n"
    path.write_bytes(text.encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        members = read_memberships(path)
    assert "Søren" in members["person_id"].tolist()  # the letter kept its meaning
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert str(path) in warning and "Windows-1252" in warning and "data row 2" in warning


def test_text_in_neither_encoding_is_refused_with_the_row_and_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"person_id,period,benefit\nA1,2020-01,137\nA\x81\xff,2020-02,137\n")
    with pytest.raises(ExtractError) as exc:
        read_table(path, what="spells")
    msg = str(exc.value)
    assert str(path) in msg and "data row 2" in msg and "CSV UTF-8" in msg


def test_an_empty_file_and_a_header_only_file_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ExtractError, match="is empty; expected a header line"):
        read_spells(empty)
    header = tmp_path / "header.csv"
    header.write_text("person_id,period,benefit\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="header but no data rows"):
        read_spells(header)
    members = tmp_path / "members.csv"
    members.write_text("person_id,case_id,group,entry_period\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="memberships file has a header but no data rows"):
        read_memberships(members)


def test_the_streamed_rules_of_the_sql_engines_are_the_in_memory_readers(tmp_path: Path, caplog) -> None:
    from survival_invest.io.text import csv_files_dialect, first_c1_byte, streamed_encoding, to_utf8

    utf8 = tmp_path / "u.csv"
    utf8.write_text("person_id;period;benefit\nÆ1;2020-01;137\n", encoding="utf-8")
    cp = tmp_path / "c.csv"
    cp.write_bytes("person_id;period;benefit\nA;2020-01;137\nØ2;2020-01;137\n".encode("cp1252"))
    assert streamed_encoding(utf8, "spells") == "utf-8-sig"
    with caplog.at_level(logging.WARNING):
        assert streamed_encoding(cp, "spells") == "cp1252"
    assert "c.csv: the spells file is not UTF-8 (first at data row 2, byte 0xd8)" in caplog.text
    assert csv_files_dialect([utf8, cp], "spells") == type(csv_files_dialect([utf8], "spells"))("cp1252", ";")
    assert to_utf8(cp, tmp_path / "copy.csv", "cp1252").read_text(encoding="utf-8").endswith("Ø2;2020-01;137\n")
    assert first_c1_byte(cp) is None  # æøå are the same in Latin-1
    euro = tmp_path / "e.csv"
    euro.write_bytes("a;b\n1;2\n3;4 €\n".encode("cp1252"))
    assert first_c1_byte(euro) == 2


def test_a_character_cut_by_the_streaming_chunks_is_still_utf_8(tmp_path: Path) -> None:
    from survival_invest.io.text import streamed_encoding

    path = tmp_path / "big.csv"
    line = "person_id,period,benefit\n" + ("Å" * 1000 + ",2020-01,137\n") * 5000  # > 4 MiB: several chunks
    path.write_text(line, encoding="utf-8")
    assert path.stat().st_size > (1 << 22)
    assert streamed_encoding(path, "spells") == "utf-8-sig"
    bad = path.read_bytes() + b"\x81\n"  # undefined in Windows-1252 too
    path.write_bytes(bad)
    with pytest.raises(
        ExtractError, match=r"first at data row 5001, byte 0x81\) nor in Windows-1252 \(byte 0x81 at data row 5001\)"
    ):
        streamed_encoding(path, "spells")
