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
from collections.abc import Mapping
from typing import Any

import pandas as pd

from survival_invest.report.tables import format_mkr

__all__ = ["excel_report", "html_report", "table_html"]

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
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.85rem; padding-top: 0.3rem; }
.wide { overflow-x: auto; }
.note { color: #333; font-size: 0.9rem; max-width: 60rem; }
"""


def _fmt(value: Any, language: str, decimals: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)):
        return format_mkr(float(value), language, decimals)
    return html.escape(str(value))


def _row_decimals(label: str, decimals: int) -> int:
    low = label.lower()
    if "fuldtidspersoner" in low or "full-time" in low:
        return 1
    if "første år" in low or "first year" in low:
        return 0
    return decimals


def table_html(frame: pd.DataFrame, language: str, *, decimals: int = 3, caption: str = "") -> str:
    """An HTML table of a (possibly MultiIndex-column) DataFrame with formatted numbers.

    Amounts get ``decimals`` decimals; rows of full-time persons get 1 and
    year rows 0; Danish decimal comma when ``language == "da"``.
    """
    cols = frame.columns
    head_rows = []
    if isinstance(cols, pd.MultiIndex):
        top = "".join(
            f'<th colspan="{sum(1 for c in cols if c[0] == y)}">{html.escape(str(y))}</th>'
            for y in dict.fromkeys(c[0] for c in cols)
        )
        head_rows.append(f"<tr><th></th>{top}</tr>")
        head_rows.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c[1]))}</th>" for c in cols) + "</tr>")
    else:
        head_rows.append("<tr><th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in cols) + "</tr>")
    body = []
    for idx, row in frame.iterrows():  # a table of a few rows, for display
        d = _row_decimals(str(idx), decimals)
        cells = "".join(f'<td class="num">{_fmt(v, language, d)}</td>' for v in row.to_numpy())
        body.append(f"<tr><th>{html.escape(str(idx))}</th>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<div class="wide"><table>{cap}{"".join(head_rows)}{"".join(body)}</table></div>'


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
    summary: str = "",
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
    unit = f"mio. kr., {meta_price(meta)}" if da else f"DKK million, {meta_price(meta)}"
    parts.append(f"<h2>{'Porteføljen (budget)' if da else 'Portfolio (budget)'}</h2>")
    parts.append(
        table_html(
            portfolio,
            language,
            caption=(
                f"{unit}. Besparelser vist som positive beløb; resultat = besparelse − investering."
                if da
                else f"{unit}. Savings shown as positive amounts; net = savings − investment."
            ),
        )
    )
    if summary:
        parts.append(f'<p class="note">{html.escape(summary)}</p>')
    if targets is not None:
        parts.append(f"<h2>{'Reduktionsmål' if da else 'Reduction targets'}</h2>")
        parts.append(
            table_html(
                targets,
                language,
                caption=(
                    f"{unit}. Reduktioner er negative beløb. Udestående = mål − leveret: negativ = mangler endnu, "
                    "positiv = målet er mere end nået. I de to sidste rækker lægges et års manko til næste års mål."
                    if da
                    else f"{unit}. Reductions are negative amounts. Outstanding = target − delivered: negative = "
                    "still missing, positive = target exceeded. The last two rows add a year's shortfall to the next year's target."
                ),
            )
        )
    if development_png is not None:
        parts.append(f"<h2>{'Udvikling i realiserede besparelser' if da else 'Development of realised savings'}</h2>")
        parts.append(_img(development_png, "development"))
    explain = (
        f"{unit}; investering positiv, besparelser negative, besparelse i alt = investering + besparelse. "
        "Realiseret: opgjort til datagrænsen (et igangværende år er år-til-dato). Forventet: kurvebaseret skøn for hele "
        "året (faktisk tilgang til datagrænsen, planlagt tilgang derefter). Sparede fuldtidspersoner i personer. "
        "Nedre/øvre: 95 %-grænser for den viste (fortegnsbærende) værdi."
        if da
        else f"{unit}; investment positive, savings negative, net = investment + savings. Realised: to the data cut-off "
        "(a year in progress is year-to-date). Forecast: curve-based estimate of the whole year (actual inflow to the "
        "cut-off, planned inflow after). Saved full-time persons in persons. Lower/upper: 95 % limits of the signed value."
    )
    for case in cases:
        parts.append(f"<h2>{html.escape(str(case['id']))}. {html.escape(str(case['name']))}</h2>")
        settings = case.get("settings", {})
        if settings:
            parts.append(
                '<div class="meta">'
                + "; ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in settings.items())
                + "</div>"
            )
        if case.get("png"):
            parts.append(_img(case["png"], f"case {case['id']}"))
        parts.append(table_html(case["table"], language, caption=explain))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def meta_price(meta: Mapping[str, str]) -> str:
    """The price-level entry of the page's metadata ("2020 p/l")."""
    for k, v in meta.items():
        if "pris" in k.lower() or "price" in k.lower():
            return v
    return ""


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
        header = [str(frame.index.name or "")] + [
            " ".join(str(x) for x in c) if isinstance(c, tuple) else str(c) for c in cols
        ]
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
            ws.append([str(idx), *values])
            for cell in ws[ws.max_row][1:]:
                if isinstance(cell.value, float):
                    cell.number_format = fmt
        ws.column_dimensions["A"].width = 42
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
