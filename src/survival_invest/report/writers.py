"""Writers: the self-contained HTML page and the Excel workbook of one run.

Rounding happens here and only here (tables stay unrounded). Danish by
default: labels, decimal comma and thousands point; English with
``language = "en"``. The HTML embeds its images as base64 and loads nothing
from the network.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any, Mapping

import pandas as pd

from survival_invest.tables import format_mkr

__all__ = ["html_report", "excel_report", "table_html"]

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem auto; max-width: 70rem;
       color: #1d1d1f; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
.meta { color: #555; font-size: 0.9rem; }
.suppressed { color: #a00; }
img { max-width: 100%; height: auto; }
"""


def _fmt(value: Any, language: str, decimals: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)):
        return format_mkr(float(value), language, decimals)
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, language: str, *, decimals: int = 3) -> str:
    """An HTML table of a (possibly MultiIndex-column) DataFrame with formatted numbers."""
    cols = frame.columns
    head_rows = []
    if isinstance(cols, pd.MultiIndex):
        top = "".join(f'<th colspan="{sum(1 for c in cols if c[0] == y)}">{html.escape(str(y))}</th>'
                      for y in dict.fromkeys(c[0] for c in cols))
        head_rows.append(f"<tr><th></th>{top}</tr>")
        head_rows.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c[1]))}</th>" for c in cols) + "</tr>")
    else:
        head_rows.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in cols) + "</tr>")
    body = []
    for idx, row in frame.iterrows():  # a table of a few rows, for display
        cells = "".join(f'<td class="num">{_fmt(v, language, decimals)}</td>' for v in row.to_numpy())
        body.append(f"<tr><th>{html.escape(str(idx))}</th>{cells}</tr>")
    return f"<table>{''.join(head_rows)}{''.join(body)}</table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def html_report(
    *,
    title: str,
    language: str,
    meta: Mapping[str, str],
    cases: list[Mapping[str, Any]],
    portfolio: pd.DataFrame,
    development_png: bytes | None,
    notes: list[str],
    targets: pd.DataFrame | None = None,
) -> str:
    """Render the run's page. ``cases``: dicts with ``id, name, settings (dict), table (DataFrame), png (bytes)``."""
    da = language == "da"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<div class="meta"><table>'
        + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in meta.items())
        + "</table></div>",
    ]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append(f"<h2>{'Porteføljen' if da else 'Portfolio'}</h2>")
    parts.append(table_html(portfolio, language))
    if targets is not None:
        parts.append(f"<h2>{'Reduktionsmål' if da else 'Reduction targets'}</h2>")
        parts.append(f"<p>{'Forventede besparelser mod årets mål; manko overført til næste år i de to sidste rækker.' if da else 'Forecast savings against each year’s target; the last two rows carry a shortfall forward to the next year.'}</p>")
        parts.append(table_html(targets, language))
    if development_png is not None:
        parts.append(f"<h2>{'Udvikling i realiserede besparelser' if da else 'Development of realised savings'}</h2>")
        parts.append(_img(development_png, "development"))
    for case in cases:
        parts.append(f"<h2>{html.escape(str(case['id']))}. {html.escape(str(case['name']))}</h2>")
        settings = case.get("settings", {})
        if settings:
            parts.append('<div class="meta">' + "; ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in settings.items()) + "</div>")
        if case.get("png"):
            parts.append(_img(case["png"], f"case {case['id']}"))
        parts.append(table_html(case["table"], language))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def excel_report(sheets: Mapping[str, pd.DataFrame], language: str) -> bytes:
    """One workbook: a sheet per table; numbers stay numbers with a number format (3 decimals)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    fmt = "#,##0.000"
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=str(name)[:31])
        cols = list(frame.columns)
        header = [""] + [" ".join(str(x) for x in c) if isinstance(c, tuple) else str(c) for c in cols]
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for idx, row in frame.iterrows():  # a few rows per sheet
            values = []
            for v in row.to_numpy():
                if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)):
                    values.append(float(v))
                else:
                    values.append(None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
            ws.append([str(idx)] + values)
            for cell in ws[ws.max_row][1:]:
                if isinstance(cell.value, float):
                    cell.number_format = fmt
        ws.column_dimensions["A"].width = 42
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
