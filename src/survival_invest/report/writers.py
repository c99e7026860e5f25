"""Writers: the self-contained HTML page and the Excel workbook of one run.

Rounding happens here and only here (tables stay unrounded). Danish by
default: labels, decimal comma and thousands point; English with
``language = "en"`` (every label and number format: :mod:`survival_invest.report.i18n`).
The HTML embeds its images as base64 and loads nothing from the network; the
workbook keeps numbers as numbers and writes text as text (a label starting
with ``=`` is never a formula).

Nothing executable in a spreadsheet (OWASP's CSV-injection rule): every text
cell written to ``.xlsx`` or ``.csv`` — case ids and names, initiative keys,
labels, headers — that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a single quote in front (:func:`neutralise`), so Excel
and LibreOffice show it as text. Numbers are never touched: numeric cells stay
numbers in the workbook and unquoted numerals in CSV (negative savings stay
``-2.703``), and a text cell that is a plain numeral (``"-5"``) is a number,
not a formula, and stays as it is. CSV files are written by :func:`csv_text`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from survival_invest.choices import LANGUAGES, Language
from survival_invest.report.i18n import format_mkr, label, row_decimals
from survival_invest.report.layout import estimates_table_html, page_css, paragraphs_html, risk_table_html

__all__ = ["csv_text", "excel_report", "html_report", "meta_price", "neutralise", "neutralised", "table_html"]

#: The first characters that make a spreadsheet cell a formula (OWASP: ``=``, ``+``, ``-``, ``@``, tab, CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMERAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise(value: object) -> object:
    """A cell's value made safe for a spreadsheet (rule: module docstring); anything but text is returned as is.

    ``"=1+1"`` -> ``"'=1+1"``, ``"@SUM(A1)"`` -> ``"'@SUM(A1)"``; ``"-2.5"``, ``-2.5`` and ``"Sag 1"`` unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMERAL.fullmatch(value):
        return "'" + value
    return value


def _neutral_index(index: pd.Index) -> pd.Index:
    """An index (or column index) with every text label neutralised; MultiIndex levels label by label."""
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(neutralise(x) for x in t) for t in index], names=[neutralise(n) for n in index.names]
        )
    return pd.Index([neutralise(x) for x in index], name=neutralise(index.name), dtype=index.dtype)


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell, index label and column label neutralised (:func:`neutralise`).

    Numeric columns are not looked at; a frame without such text is returned unchanged (the same object).
    """
    text_cols = [c for c in frame.columns if frame[c].dtype.kind == "O" or isinstance(frame[c].dtype, pd.StringDtype)]

    def risky(values: Sequence[object]) -> bool:
        return any(neutralise(v) is not v for v in values)

    cols_risky = [c for c in text_cols if risky(frame[c].tolist())]
    index_risky = risky(list(frame.index)) or risky(list(frame.columns)) or risky(list(frame.index.names))
    if not cols_risky and not index_risky and not risky(list(frame.columns.names)):
        return frame
    out = frame.copy()
    for c in cols_risky:
        out[c] = out[c].map(neutralise)
    out.index = _neutral_index(out.index)
    out.columns = _neutral_index(out.columns)
    return out


def csv_text(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A table as CSV text (``\\n`` line ends), text cells neutralised (:func:`neutralised`), numbers as numerals."""
    return neutralised(frame).to_csv(index=index, lineterminator="\n")


def _sheet_title(name: object, taken: set[str]) -> str:
    """A valid, unique Excel sheet title: ``[]:*?/\\`` replaced by ``_``, at most 31 characters."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'")[:31] or "Sheet"
    title, n = base, 1
    while title.lower() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(title.lower())
    return title


def _fmt(value: Any, language: Language, decimals: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)):
        return format_mkr(float(value), language, decimals)
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, language: Language, *, decimals: int = 3, caption: str = "") -> str:
    """An HTML table of a (possibly MultiIndex-column) DataFrame with formatted numbers.

    Parameters
    ----------
    frame : DataFrame
        Rows labelled by the index; columns one level, or (year, kind) two levels (a spanning header).
    language : {"da", "en"}
        Number format (:func:`~survival_invest.report.i18n.format_mkr`).
    decimals : int
        Decimals of amounts; rows of full-time persons get 1 and year rows 0
        (:func:`~survival_invest.report.i18n.row_decimals`).
    caption : str
        Shown under the table; none when empty.

    Returns
    -------
    str
        A ``<table>`` fragment with ``thead``/``tbody`` and header scopes; every text escaped.
    """
    cols = frame.columns
    head_rows = []
    if isinstance(cols, pd.MultiIndex):
        top = "".join(
            f'<th scope="colgroup" colspan="{sum(1 for c in cols if c[0] == y)}">{html.escape(str(y))}</th>'
            for y in dict.fromkeys(c[0] for c in cols)
        )
        head_rows.append(f"<tr><td></td>{top}</tr>")
        head_rows.append(
            "<tr><td></td>" + "".join(f'<th scope="col">{html.escape(str(c[1]))}</th>' for c in cols) + "</tr>"
        )
    else:
        head_rows.append(
            "<tr><td></td>" + "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in cols) + "</tr>"
        )
    body = []
    for idx, row in frame.iterrows():  # a table of a few rows, for display
        d = row_decimals(str(idx), decimals)
        cells = "".join(f'<td class="num">{_fmt(v, language, d)}</td>' for v in row.to_numpy())
        body.append(f'<tr><th scope="row">{html.escape(str(idx))}</th>{cells}</tr>')
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead>{''.join(head_rows)}</thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _head(title: str, language: Language, meta: Mapping[str, str], header: str) -> list[str]:
    """The page's head (style sheet with the PDF's running header), title and metadata table."""
    return [
        "<!DOCTYPE html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{page_css(header, language)}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
        '<table class="meta meta-table">'
        + "".join(f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>' for k, v in meta.items())
        + "</table>",
    ]


#: Decimals of the measures on the page (mio. kr. to 10,000 kr.; persons to one decimal; a year as it is).
PAGE_DECIMALS = {"saved_fte": 1, "savings_per_krone": 2, "payback_year": -1}


def _case_section(case: Mapping[str, Any], language: Language, caption: str, min_persons: int) -> list[str]:
    """One case's heading, settings line, figure, risk table and table."""
    parts = [f'<section class="case"><h2>{html.escape(str(case["id"]))}. {html.escape(str(case["name"]))}</h2>']
    settings = case.get("settings", {})
    if settings:
        parts.append(
            '<p class="meta">'
            + "; ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in settings.items())
            + "</p>"
        )
    if case.get("png"):
        parts.append(_img(case["png"], str(case.get("alt") or f"case {case['id']}")))
    if case.get("risk"):
        parts.append(f"<h3>{html.escape(label('risk_heading', language))}</h3>")
        parts.append(risk_table_html(case["risk"], language, min_persons=min_persons))
    if case.get("rows") is not None:
        parts.append(estimates_table_html(case["rows"], language, caption=caption, decimals=PAGE_DECIMALS))
    else:
        parts.append(table_html(case["table"], language, caption=caption))
    if case.get("destinations"):  # destinations = true: after the case's figures (report.destinations)
        parts.append(str(case["destinations"]))
    parts.append("</section>")
    return parts


def html_report(
    *,
    title: str,
    language: Language,
    meta: Mapping[str, str],
    cases: Sequence[Mapping[str, Any]],
    portfolio: pd.DataFrame,
    development_png: bytes | None,
    notes: Sequence[str],
    targets: pd.DataFrame | None = None,
    summary: Sequence[str] = (),
    portfolio_notes: Sequence[str] = (),
    header: str = "",
    development_months: Sequence[str] = (),
    min_persons: int = 5,
) -> str:
    """Render the run's page: metadata, summary, warnings, portfolio, targets, development, then each case.

    Parameters
    ----------
    title : str
        The page's title and heading.
    language : {"da", "en"}
        Labels, number format and the page's ``lang``.
    meta : mapping of str to str
        The metadata table (as-of month, cut-off, price level, ...); the
        price-level entry also goes into the tables' unit (:func:`meta_price`).
    cases : sequence of mappings
        Each with ``id, name`` and ``rows`` (long estimate rows,
        :func:`~survival_invest.report.tables.estimate_rows`) or ``table`` (a
        wide DataFrame); optional ``settings`` (a mapping shown as one line),
        ``png`` (bytes) with ``alt`` (its text alternative) and ``risk`` (the
        groups' risk counts, :mod:`survival_invest.report.risk`).
    portfolio : DataFrame
        The portfolio's long estimate rows (year 0: the total column), or a wide table.
    development_png : bytes or None
        The development plot; its section is left out when None.
    notes : sequence of str
        Warnings, listed under the summary.
    targets : DataFrame, optional
        The reduction-target table as shown.
    summary : sequence of str
        The summary's sentences (:func:`~survival_invest.report.summary.summary_paragraph`).
    portfolio_notes : sequence of str
        Notes under the portfolio table (the interval's rule, cases left out).
    header : str
        The running header of the printed pages (as-of, cut-off, price level).
    development_months : sequence of str
        The as-of months of the development chart (its text alternative names them).
    min_persons : int
        Named in the risk tables' caption.

    Returns
    -------
    str
        One self-contained HTML document (images embedded, nothing loaded from the network).
    """
    unit = label("unit", language, price=meta_price(meta))
    parts = _head(title, language, meta, header)
    if summary:
        parts.append(f"<h2>{label('heading_summary', language)}</h2>")
        parts.append(paragraphs_html(summary, "summary"))
    if notes:  # under a heading that says what they are (the demo's review: bare English lines on a Danish page)
        parts.append(f"<h3>{label('heading_warnings', language)}</h3>")
        parts.append(paragraphs_html([label("warnings_note", language)], "note"))
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append(f"<h2>{label('heading_portfolio_all', language)}</h2>")
    caption = label("caption_portfolio_all", language, unit=unit, rule="")
    if {"measure", "kind", "year", "value"} <= set(portfolio.columns):
        parts.append(estimates_table_html(portfolio, language, caption=caption.strip(), decimals=PAGE_DECIMALS))
    else:
        parts.append(table_html(portfolio, language, caption=caption.strip()))
    parts.append(paragraphs_html([*portfolio_notes, label("caption_key_figures", language)], "note"))
    if targets is not None:
        parts.append(f"<h2>{label('heading_targets', language)}</h2>")
        caption = label("caption_targets", language, unit=unit)  # 2 decimals of mio. kr., as every table on the page
        parts.append(table_html(targets, language, decimals=2, caption=caption))
    if development_png is not None:
        parts.append(f"<h2>{label('heading_development', language)}</h2>")
        alt = label("alt_development", language, months=", ".join(development_months))
        parts.append(_img(development_png, alt))
        parts.append(paragraphs_html([label("development_caption", language)], "note"))
    if cases:  # how to read a case table, once (the tables' own caption names the unit)
        parts.append(f"<h2>{label('heading_cases', language)}</h2>")
        parts.append(paragraphs_html([label("caption_case_all", language, unit=unit)], "note"))
    short = label("caption_case_short", language, unit=unit)
    for case in cases:
        parts.extend(_case_section(case, language, short, min_persons))
    parts.append("</main></body></html>")
    return "\n".join(p for p in parts if p)


def meta_price(meta: Mapping[str, str]) -> str:
    """The price-level entry of the page's metadata ("2020 p/l"): the value of its price-level key, any language."""
    keys = {label("price_level", language).lower() for language in LANGUAGES}
    for k, v in meta.items():
        if any(key in k.lower() for key in keys):
            return v
    return ""


def _row_values(row: pd.Series) -> list[float | str | None]:
    """A table row's cells for a sheet: numbers as floats, NaN and None empty, anything else as text."""
    values: list[float | str | None] = []
    for v in row.to_numpy():
        if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)):
            values.append(float(v))
        else:
            values.append(None if v is None or (isinstance(v, float) and math.isnan(v)) else str(neutralise(str(v))))
    return values


def _as_text(cells: Any) -> None:
    """Keep text that openpyxl would take for a formula (it starts with ``=``) as text."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"


def excel_report(sheets: Mapping[str, pd.DataFrame], language: Language) -> bytes:
    """One workbook: a sheet per table; numbers stay numbers with a number format (3 decimals).

    Each sheet's first row is the header (the index name, then the columns,
    a MultiIndex column joined with spaces), each further row the index label
    and the row's values. Text from the data (case names, initiative names) is
    written as text, never as a formula. ``language`` is not used yet (the
    number format is Excel's, shown in the reader's locale).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    fmt = "#,##0.000"
    taken: set[str] = set()
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=_sheet_title(name, taken))
        cols = list(frame.columns)
        header = [str(frame.index.name or "")] + [
            " ".join(str(x) for x in c) if isinstance(c, tuple) else str(c) for c in cols
        ]
        ws.append([neutralise(h) for h in header])
        _as_text(ws[1])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for idx, row in frame.iterrows():  # a few rows per sheet
            ws.append([neutralise(str(idx)), *_row_values(row)])
            _as_text(ws[ws.max_row])
            for cell in ws[ws.max_row][1:]:
                if isinstance(cell.value, float):
                    cell.number_format = fmt
        ws.column_dimensions["A"].width = 42
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
