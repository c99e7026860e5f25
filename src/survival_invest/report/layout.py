"""HTML fragments of the report page: estimate tables with their intervals, the risk table, the style sheet.

Rounding happens here and in :mod:`survival_invest.report.writers`, only when a
figure is shown. An estimate and its 95 % interval share one cell,
``-1,27 (-1,96; -0,59)``: the interval is a second, smaller span that wraps
under the estimate when the column is narrow.

Layout decisions (issue 17): a table has the years as columns (four years and
a total fit 1280 px) and, as rows, the kinds (Budget / Realised / Forecast)
grouped under each measure's heading row; on a phone (below 40rem) each row
becomes a block whose cells are labelled with their year (``data-label``),
so nothing scrolls sideways. The print style sheet is the PDF's: A4 portrait,
each case on a new page and on that page alone (its figure beside its risk
table, so that the case table's last rows do not take a second, nearly empty
page; a case's destinations follow its table, on the next page), the as-of
month and price level in the running header and page numbers in the footer
(CSS page-margin boxes, which Chromium prints).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from survival_invest.choices import Language
from survival_invest.report.i18n import format_count, format_mkr, label

__all__ = ["estimate_cell", "estimates_table_html", "page_css", "paragraphs_html", "risk_table_html"]

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 1.5rem auto;
       max-width: 70rem; padding: 0 1rem; color: #1d1d1f; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.45rem; vertical-align: top; }
th { background: #f1f1f1; text-align: left; font-weight: 600; }
thead th { text-align: right; } thead th:first-child { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.est { text-align: right; font-variant-numeric: tabular-nums; }
.est .v { white-space: nowrap; font-weight: 600; }
.est .ci { white-space: nowrap; color: #4a4a4a; font-size: 0.85em; }
tr.group th { background: #e4e9f0; }
.meta { color: #444; font-size: 0.9rem; }
.summary { font-size: 1rem; max-width: 60rem; background: #f5f8fb; border-left: 4px solid #2f5f8f; padding: 0.5rem 1rem; }
img { max-width: 100%; height: auto; }
caption { caption-side: bottom; text-align: left; color: #444; font-size: 0.85rem; padding-top: 0.3rem; }
.note { color: #333; font-size: 0.9rem; max-width: 60rem; }
table.risk { font-size: 0.8rem; }
table.risk td { text-align: right; font-variant-numeric: tabular-nums; }
@media (max-width: 40rem) {
  body { padding: 0 0.6rem; margin: 0.8rem auto; }
  h1 { font-size: 1.3rem; }
  table.est, table.est tbody, table.est tr, table.est th, table.est td { display: block; }
  table.est thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.est tr { border-bottom: 1px solid #c8c8c8; padding: 0.2rem 0; }
  table.est td { display: inline-block; box-sizing: border-box; width: 50%; border: none; text-align: left;
                 padding: 0.1rem 0.45rem; }
  table.est td::before { content: attr(data-label) ": "; color: #444; }
  table.est td:empty { display: none; }
  table.est th { border: none; }
  table.est caption { display: block; }
  table.dest th[data-label]::before { content: attr(data-label) ": "; font-weight: normal; color: #444; }
  table.dest td { white-space: normal; }  /* 'anden selvforsørgelse: 0,0 %' wraps inside its half */
  table { font-size: 0.78rem; } th, td { padding: 0.15rem 0.25rem; } th { overflow-wrap: break-word; hyphens: auto; }
  table.risk, table.meta-table { font-size: 0.72rem; }
  table.risk th, table.risk td { padding: 0.15rem 0.2rem; }
}
@media print {
  html { font-size: 9.5pt; }
  body { max-width: none; margin: 0; padding: 0; }
  h1 { margin: 0 0 0.3rem; } h2 { margin-top: 1rem; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section.case { break-before: page; } section.case h2 { margin-top: 0; }
  /* a case on one page: the figure beside its risk table (stacked, the table's last rows took a second page) */
  section.case { display: grid; grid-template-columns: 104mm 1fr; column-gap: 4mm; align-items: start; }
  section.case > * { grid-column: 1 / -1; }
  section.case > img { grid-column: 1; grid-row: span 2; display: block; width: 100%; max-width: 100%; }
  section.case > h3 { grid-column: 2; margin-top: 0; font-size: 0.95rem; }
  section.case > table.risk { grid-column: 2; margin-top: 0; font-size: 0.72rem; }
  section.case > table.risk caption { font-size: 0.8rem; }
  section.case table.est th, section.case table.est td { padding-top: 0.06rem; padding-bottom: 0.06rem; }
  section.case table.est { break-inside: avoid; }  /* a case's table on one page: no header row left alone */
  /* where they went follows the case table: the case's figure and table stay on its first page */
  section.case > div.destinations { order: 1; break-inside: avoid; }
  main > img { max-height: 62mm; width: auto; }  /* the development chart */
  /* the cases' intro (how to read a case table) opens the first case's page, never a page of its own */
  h2:has(+ div.note + section.case) { break-before: page; margin-top: 0; }
  h2:has(+ div.note + section.case) + div.note { font-size: 0.85rem; }
  div.note + section.case { break-before: auto; } div.note + section.case h2 { margin-top: 0.8rem; }
  table { margin: 0.3rem 0; } th, td { padding: 0.12rem 0.35rem; }
  table, img, figure, tr, tbody, p { break-inside: avoid; }
  section.case table { font-size: 0.92rem; } section.case p.meta { font-size: 0.85rem; margin: 0.2rem 0; }
  table.est caption { caption-side: top; padding: 0 0 0.2rem; }  /* never alone at the top of a page */
  table.est { break-inside: auto; }  /* a long table breaks between its measures; the header row repeats */
}
"""


_MARGIN_FONT = 'font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 8pt; color: #444;'


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line ends escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(header: str, language: Language) -> str:
    """The page's style sheet, with the PDF's running header (``header``) and ``Page n of N`` footer.

    Parameters
    ----------
    header : str
        The text at the top of every printed page (as-of month, cut-off, price level).
    language : {"da", "en"}
        The words of the page-number footer.

    Returns
    -------
    str
        CSS text (no ``</style>`` can come from ``header``: ``<`` is escaped).
    """
    head = _css_string(header).replace("<", "\\3c ")
    page, of = _css_string(label("pdf_page", language) + " "), _css_string(" " + label("pdf_of", language) + " ")
    paged = (
        "@page { size: A4 portrait; margin: 16mm 12mm 15mm 12mm;"
        f" @top-center {{ content: {head}; {_MARGIN_FONT} }}"
        f" @bottom-right {{ content: {page} counter(page) {of} counter(pages); {_MARGIN_FONT} }} }}"
    )
    return _CSS + paged


def _number(value: float, language: Language, decimals: int) -> str:
    """``decimals < 0``: a whole number without thousands separator (a year); else :func:`format_mkr`."""
    return str(round(value)) if decimals < 0 else format_mkr(value, language, decimals)


def estimate_cell(value: float, lower: float, upper: float, language: Language, decimals: int) -> str:
    """An estimate and its interval as one cell's HTML: ``-1,27 (-1,96; -0,59)``; empty for a missing value.

    Parameters
    ----------
    value, lower, upper : float
        The figure and its 95 % limits (NaN limits: the estimate alone).
    language : {"da", "en"}
        Decimal mark and the interval's separator.
    decimals : int
        Decimals shown; negative: a whole number written as it is (a year).

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f'<span class="v">{_number(value, language, decimals)}</span>'
    if not (math.isnan(float(lower)) or math.isnan(float(upper))):
        lo, up = _number(lower, language, decimals), _number(upper, language, decimals)
        text += f' <span class="ci">{html.escape(label("interval", language, lower=lo, upper=up))}</span>'
    return text


def _column_label(year: int, language: Language) -> str:
    return label("total", language) if int(year) == 0 else str(int(year))


def estimates_table_html(
    rows: pd.DataFrame,
    language: Language,
    *,
    caption: str = "",
    decimals: Mapping[str, int] | None = None,
) -> str:
    """A table of estimates: years as columns, kinds as rows grouped under each measure's heading row.

    Parameters
    ----------
    rows : DataFrame
        Long rows ``measure, kind, year, value, lower, upper`` in display order
        (:func:`~survival_invest.report.tables.estimate_rows`); year 0 is the total column.
    language : {"da", "en"}
        Labels and number format.
    caption : str
        Shown under the table.
    decimals : mapping of measure to int, optional
        Decimals per measure (default 2: mio. kr. to 10,000 kr.).

    Returns
    -------
    str
        A ``<table class="est">`` fragment; headers with ``scope`` for screen readers.
    """
    decimals = decimals or {}
    years = sorted(rows["year"].unique(), key=lambda y: (int(y) == 0, int(y)))
    head = "".join(f'<th scope="col">{_column_label(y, language)}</th>' for y in years)
    parts = [f'<table class="est">{_caption(caption)}<thead><tr>']
    parts.append(f'<th scope="col">{html.escape(label("kind", language))}</th>{head}</tr></thead>')
    for measure, by_measure in rows.groupby("measure", sort=False):  # a handful of measures
        d = decimals.get(str(measure), 2)
        name = html.escape(label(str(measure), language))
        parts.append(f'<tbody><tr class="group"><th scope="rowgroup" colspan="{len(years) + 1}">{name}</th></tr>')
        for kind, r in by_measure.groupby("kind", sort=False):
            by_year = r.set_index("year")
            kind_name = html.escape(label(str(kind), language))
            cells = []
            for y in years:
                cell = ""
                if y in by_year.index:
                    v = by_year.loc[y]
                    cell = estimate_cell(float(v["value"]), float(v["lower"]), float(v["upper"]), language, d)
                    if isinstance(v.get("text"), str):  # a payback not reached: words, not a blank (tables.py)
                        cell = f'<span class="v">{html.escape(v["text"])}</span>'
                cells.append(f'<td class="est" data-label="{_column_label(y, language)}">{cell}</td>')
            parts.append(f'<tr><th scope="row">{kind_name}</th>{"".join(cells)}</tr>')
        parts.append("</tbody>")
    parts.append("</table>")
    return "".join(parts)


def _caption(text: str) -> str:
    return f"<caption>{html.escape(text)}</caption>" if text else ""


def risk_table_html(groups: Mapping[str, pd.DataFrame], language: Language, *, min_persons: int) -> str:
    """The KMunicate risk table: per group the rows at risk / events / censored, columns the months.

    Parameters
    ----------
    groups : mapping of group name to DataFrame
        Each group's counts as shown (:func:`~survival_invest.report.risk.suppress_risk_counts`), same columns.
    language : {"da", "en"}
        Labels.
    min_persons : int
        Named in the caption (the ``<N`` rule).

    Returns
    -------
    str
        A ``<table class="risk">`` fragment (empty when there is no group).
    """
    if not groups:
        return ""
    times = list(next(iter(groups.values())).columns)
    head = "".join(f'<th scope="col">{int(t)}</th>' for t in times)
    month = html.escape(label("risk_month", language, t="").strip())
    parts = [
        '<table class="risk">',
        _caption(label("risk_caption", language, min_persons=min_persons)),
        f'<thead><tr><th scope="col">{month}</th>{head}</tr></thead>',
    ]
    for name, counts in groups.items():  # each group under its heading row (narrow enough for a phone)
        parts.append(
            f'<tbody><tr class="group"><th scope="rowgroup" colspan="{len(times) + 1}">{html.escape(name)}</th></tr>'
        )
        for row, values in counts.iterrows():  # three rows per group
            cells = "".join(f"<td>{html.escape(_count(v))}</td>" for v in values.to_numpy())
            parts.append(f'<tr><th scope="row">{html.escape(label(f"risk_{row}", language))}</th>{cells}</tr>')
        parts.append("</tbody>")
    parts.append("</table>")
    return "".join(parts)


def _count(v: object) -> str:
    return v if isinstance(v, str) else format_count(float(v))  # type: ignore[arg-type]  # an int count


def paragraphs_html(paragraphs: Sequence[str], css_class: str) -> str:
    """Text paragraphs (escaped) in one ``<div class=...>``; empty when there are none."""
    if not paragraphs:
        return ""
    return f'<div class="{css_class}">' + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</div>"
