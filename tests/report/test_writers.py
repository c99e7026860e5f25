"""The writers: a self-contained HTML page; a workbook whose numbers are numbers and whose text stays text."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from survival_invest.report.writers import csv_text, excel_report, html_report, meta_price, neutralise, table_html

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16  # the writer embeds bytes as they are
NASTY = ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x.example","y")']


def _case_table() -> pd.DataFrame:
    cols = pd.MultiIndex.from_tuples([(2021, "Budget"), (2021, "Realiseret")], names=["year", "kind"])
    return pd.DataFrame(
        [[3.0794, np.nan], [-1234.5678, -0.376], [0.5, 0.25]],
        index=["Investering i indsats", "Besparelse på forsørgelse", "Sparede fuldtidspersoner"],
        columns=cols,
    )


def _page(**kw: object) -> str:
    args: dict[str, object] = {
        "title": "Opfølgning 2022-07",
        "language": "da",
        "meta": {"Opgørelsesmåned": "2022-07", "Prisniveau": "2020 p/l"},
        "cases": [
            {
                "id": "1",
                "name": "<Case & co>",
                "settings": {"kurve": "første afgang"},
                "table": _case_table(),
                "png": PNG,
            }
        ],
        "portfolio": pd.DataFrame(
            {
                "measure": ["investment", "savings", "savings"],
                "kind": ["budget", "realised", "realised"],
                "year": [2021, 2021, 0],
                "value": [1.0, -1.2689, -1.2689],
                "lower": [np.nan, -1.9601, -1.9601],
                "upper": [np.nan, -0.5877, -0.5877],
            }
        ),
        "summary": ["Til datagrænsen er der realiseret besparelser for 1,27 mio. kr."],
        "development_png": PNG,
        "notes": ["case 2: <5 persons"],
    }
    args.update(kw)
    return html_report(**args)  # type: ignore[arg-type]  # a dict of mixed values for the keyword arguments


def test_html_is_self_contained() -> None:
    page = _page()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "http://" not in page and "https://" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "url(" not in page  # no remote style resource either


def test_html_escapes_text_from_the_data_and_formats_numbers_in_danish() -> None:
    page = _page()
    assert "&lt;Case &amp; co&gt;" in page and "<Case & co>" not in page
    assert "case 2: &lt;5 persons" in page
    assert "<h3>Advarsler fra kørslen</h3>" in page  # the run's warnings say what they are (English lines)
    assert "Warnings from the run" not in page and "<h3>Warnings from the run</h3>" in _page(language="en")
    assert "Advarsler fra kørslen" not in _page(notes=[])
    assert '<td class="num">3,079</td>' in page and '<td class="num">-1.234,568</td>' in page
    assert '<td class="num">0,5</td>' in page  # full-time persons: one decimal
    assert "mio. kr., 2020 p/l" in page and '<html lang="da">' in page


def test_english_page_uses_english_labels_and_decimal_point() -> None:
    page = _page(language="en", meta={"As-of month": "2022-07", "Price level": "2020 p/l"})
    assert '<html lang="en">' in page and "DKK million, 2020 p/l" in page and "Portfolio: budget, realised" in page
    assert '<td class="num">-1,234.568</td>' in page
    assert '<span class="v">-1.27</span> <span class="ci">(-1.96, -0.59)</span>' in page


def test_the_portfolio_comes_first_with_estimate_and_interval_in_one_cell() -> None:
    page = _page()
    assert page.index("Sammenfatning") < page.index("Porteføljen") < page.index('<section class="case">')
    assert '<span class="v">-1,27</span> <span class="ci">(-1,96; -0,59)</span>' in page
    assert '<th scope="col">I alt</th>' in page and '<th scope="col">2021</th>' in page
    assert '<meta name="viewport"' in page and "@page" in page and "counter(pages)" in page


def test_case_rows_risk_table_and_alt_text_when_given() -> None:
    rows = pd.DataFrame(
        {
            "measure": ["savings"],
            "kind": ["realised"],
            "year": [2021],
            "value": [-0.5],
            "lower": [-0.9],
            "upper": [-0.1],
        }
    )
    risk = pd.DataFrame([[60, 40], [0, 15], [0, "<5"]], index=["at_risk", "events", "censored"], columns=[0.0, 6.0])
    case = {"id": "1", "name": "Mentor", "rows": rows, "risk": {"Indsats": risk}, "png": PNG, "alt": "Kurver for sag 1"}
    page = _page(cases=[case])
    assert '<img alt="Kurver for sag 1"' in page
    assert '<th scope="rowgroup" colspan="3">Indsats</th>' in page and "<td>&lt;5</td>" in page
    assert '<td class="est" data-label="2021"><span class="v">-0,50</span>' in page


def test_meta_price_and_plain_table() -> None:
    assert meta_price({"Prisniveau": "2021 p/l"}) == "2021 p/l"
    assert meta_price({"Price level": "2020 p/l"}) == "2020 p/l"
    assert meta_price({"Version": "1"}) == ""
    html = table_html(pd.DataFrame({"a": [1.0]}, index=["x"]), "en", caption="c")
    assert "<caption>c</caption>" in html and '<td class="num">1.000</td>' in html


def _workbook(sheets: dict[str, pd.DataFrame]):
    openpyxl = pytest.importorskip("openpyxl")
    return openpyxl.load_workbook(io.BytesIO(excel_report(sheets, "da")))


def test_excel_numbers_are_numbers_with_a_number_format() -> None:
    wb = _workbook({"Sag 1": _case_table()})
    ws = wb["Sag 1"]
    assert ws["A2"].value == "Investering i indsats"
    assert ws["B2"].value == 3.0794 and ws["B2"].data_type == "n" and ws["B2"].number_format == "#,##0.000"
    assert ws["C2"].value is None  # NaN is an empty cell, not text
    assert ws["C3"].value == -0.376 and isinstance(ws["C3"].value, float)
    assert [c.value for c in ws[1]] == [None, "2021 Budget", "2021 Realiseret"]  # an empty name is an empty cell


def test_text_that_looks_like_a_formula_is_written_as_neutralised_text() -> None:
    frame = pd.DataFrame({NASTY[0]: NASTY, "amount": [1.0] * len(NASTY)}, index=NASTY)
    wb = _workbook({"Reduktionsmål": frame})
    ws = wb["Reduktionsmål"]
    assert ws["B1"].value == "'" + NASTY[0] and ws["B1"].data_type == "s"  # a header from the data
    for row, text in enumerate(NASTY, start=2):
        for cell in (ws.cell(row, 1), ws.cell(row, 2)):  # the index label and a text value
            assert cell.value == "'" + text and cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
        assert ws.cell(row, 3).value == 1.0


def test_the_sheet_xml_holds_no_formula_and_numbers_stay_numeric() -> None:
    frame = pd.DataFrame({"value": [-2.703, 1.5], "name": ["=1+1", "\tcmd"]}, index=["@x", "-1+1"])
    raw = excel_report({"Sag 1": frame}, "da")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    wb = _workbook({"Sag 1": frame})
    ws = wb["Sag 1"]
    assert ws["B2"].value == -2.703 and ws["B2"].data_type == "n"  # a negative number is a number, untouched
    assert [ws["A2"].value, ws["C2"].value, ws["A3"].value, ws["C3"].value] == ["'@x", "'=1+1", "'-1+1", "'\tcmd"]


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_and_numerals_are_not(first: str) -> None:
    assert neutralise(first + "cmd|' /C calc'!A0") == "'" + first + "cmd|' /C calc'!A0"
    assert neutralise("Sag 1") == "Sag 1" and neutralise("-2.703") == "-2.703" and neutralise(-2.703) == -2.703
    assert neutralise("+45") == "+45" and neutralise("1e-3") == "1e-3"


def test_csv_text_neutralises_text_cells_and_keeps_negative_numbers_unquoted() -> None:
    frame = pd.DataFrame(
        {"case_id": ["=1+1", "2"], "value": [-2.703, 0.5], "label": ["@SUM(A1)", "Budget"]},
    )
    text = csv_text(frame, index=False)
    assert text.splitlines() == ["case_id,value,label", "'=1+1,-2.703,'@SUM(A1)", "2,0.5,Budget"]
    table = pd.DataFrame({("2020", "Budget"): [-1.0]}, index=pd.Index(["=HYPERLINK(1)"], name="+x"))
    assert csv_text(table).splitlines()[-1] == "'=HYPERLINK(1),-1.0"
    assert "'+x" in csv_text(table)
    plain = pd.DataFrame({"case_id": ["1"], "value": [-0.25]})
    assert csv_text(plain, index=False) == plain.to_csv(index=False, lineterminator="\n")  # nothing to change


def test_the_targets_table_has_two_decimals_like_the_other_tables() -> None:
    targets = pd.DataFrame({2022: [-2.0, 3.33333]}, index=["Reduktionsmål", "Udestående"])
    page = _page(targets=targets)
    assert '<td class="num">3,33</td>' in page and '<td class="num">-2,00</td>' in page  # was 3,333 / -2,000
