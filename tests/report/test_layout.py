"""The page's fragments: an estimate and its interval in one cell, headers for screen readers, the print CSS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.report.layout import estimate_cell, estimates_table_html, page_css


def test_estimate_and_interval_share_a_cell_in_either_language() -> None:
    da = estimate_cell(-1.2689, -1.9601, -0.5877, "da", 2)
    assert da == '<span class="v">-1,27</span> <span class="ci">(-1,96; -0,59)</span>'
    assert estimate_cell(-1.2689, -1.9601, -0.5877, "en", 2).endswith('<span class="ci">(-1.96, -0.59)</span>')
    assert estimate_cell(3.079, np.nan, np.nan, "da", 2) == '<span class="v">3,08</span>'
    assert estimate_cell(np.nan, 1.0, 2.0, "da", 2) == ""
    assert estimate_cell(2022.0, np.nan, np.nan, "da", -1) == '<span class="v">2022</span>'  # a year, no separator


def test_table_groups_kinds_under_measures_with_years_as_columns() -> None:
    rows = pd.DataFrame(
        {
            "measure": ["savings", "savings", "saved_fte"],
            "kind": ["budget", "realised", "realised"],
            "year": [2021, 2021, 0],
            "value": [-2.7, -0.316, 2.54],
            "lower": [np.nan, -0.626, 0.10],
            "upper": [np.nan, -0.006, 4.97],
        }
    )
    html = estimates_table_html(rows, "da", caption="mio. kr.", decimals={"saved_fte": 1})
    assert '<th scope="rowgroup" colspan="3">Besparelse på forsørgelse</th>' in html
    assert '<th scope="row">Realiseret</th>' in html and '<th scope="col">I alt</th>' in html
    assert html.index("2021</th>") < html.index("I alt</th>")  # the total column last
    assert '<span class="v">2,5</span> <span class="ci">(0,1; 5,0)</span>' in html
    assert "unge_foranstaltninger" not in html and "savings" not in html  # labels, never keys


def test_print_css_has_a4_page_numbers_and_an_escaped_header() -> None:
    css = page_css('2022-07 "x" </style>', "da")
    assert "size: A4 portrait" in css and 'counter(page) " af " counter(pages)' in css
    assert '\\"x\\"' in css and "</style>" not in css
    assert "break-before: page" in css
