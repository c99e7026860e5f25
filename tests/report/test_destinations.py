"""The report's destination parts: shares at 6/12/24 months, suppression, months by destination, the plot."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.report.destinations import destination_shares, plot_destinations, saved_months_by_destination


def _persons(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.5, "intervention", "comparison")
    duration = rng.integers(0, 30, n)
    event = rng.random(n) < 0.8
    dest = pd.Series(rng.choice(["job", "education", "flex_job", "other"], n), dtype="string").where(event)
    return pd.DataFrame({"group": group, "duration": duration, "event": event.astype(int), "destination": dest})


def test_shares_add_up_and_match_the_all_cause_curve() -> None:
    p = _persons()
    shares = destination_shares(p, min_persons=5)
    assert list(shares.columns) == [
        "group", "month", "persons", "shown", "job", "education", "flex_job", "other", "on_support",
    ]  # fmt: skip
    assert shares["month"].tolist() == [6, 12, 24, 6, 12, 24]
    np.testing.assert_allclose(shares[["job", "education", "flex_job", "other", "on_support"]].sum(axis=1), 1.0)
    comp = p[p["group"] == "comparison"]
    km = si.kaplan_meier(comp["duration"], comp["event"]).survival_at([6, 12, 24])
    np.testing.assert_allclose(shares[shares["group"] == "comparison"]["on_support"], km, atol=1e-12)
    # no censoring: the job share at 24 months is the share of the group that left for a job by then
    q = p.assign(event=1, destination=p["destination"].fillna("job"))
    s = destination_shares(q, 5).set_index(["group", "month"])
    c = q[q["group"] == "comparison"]
    assert s.loc[("comparison", 24), "job"] == pytest.approx(
        ((c["destination"] == "job") & (c["duration"] <= 24)).mean()
    )


def test_small_groups_are_suppressed() -> None:
    p = _persons()
    n_int = int((p["group"] == "intervention").sum())
    shares = destination_shares(p, min_persons=n_int + 1)
    hidden = shares[shares["group"] == "intervention"]
    assert not hidden["shown"].any() and hidden[["job", "on_support"]].isna().all().all()
    rows = saved_months_by_destination(p, "1", 24, min_persons=n_int + 1)
    assert rows["value"].isna().all()


def test_months_by_destination_sum_to_the_months_saved() -> None:
    p = _persons()
    rows = saved_months_by_destination(p, "7", 24, min_persons=5)
    assert rows["measure"].tolist() == ["months_in_job", "months_in_education", "months_in_flex_job", "months_in_other"]
    area = si.kaplan_meier_by(p["duration"], p["event"], p["group"]).area_between("comparison", "intervention", 24)
    assert rows["value"].sum() == pytest.approx(float(area["value"].iloc[0]), abs=1e-10)
    assert (rows["lower"] <= rows["value"]).all() and (rows["value"] <= rows["upper"]).all()


def test_plot_has_a_panel_per_group() -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_destinations(_persons(), min_persons=5, tau=24)
    assert len(fig.axes) == 2 and [a.get_title() for a in fig.axes] == ["comparison", "intervention"]
    # the legend stands under the panels, never over the stacked areas (the demo's first version had it inside)
    assert all(a.get_legend() is None for a in fig.axes) and len(fig.legends) == 1
    fig.canvas.draw()
    box = fig.legends[0].get_window_extent()
    assert all(not box.overlaps(a.get_window_extent()) for a in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["job", "education", "flex job", "other"]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_plot_on_a_danish_page_has_decimal_commas_and_danish_labels() -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    fig = plot_destinations(_persons(), min_persons=5, tau=24, language="da")
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert "0,2" in ticks and "0.2" not in ticks  # the demo's first version: "0.2" beside the case figure's "0,2"
    assert [t.get_text() for t in fig.legends[0].get_texts()][1] == "uddannelse (SU)"
    assert [a.get_title() for a in fig.axes] == ["Sammenligning", "Indsats"]


@pytest.mark.parametrize(
    ("language", "heading", "job", "small"),
    [
        ("da", "Hvor gik de hen?", "uddannelse (SU)", "færre end"),
        ("en", "Where did they go?", "education (SU)", "fewer"),
    ],
)
def test_the_page_part_has_the_plot_and_the_share_table(language: str, heading: str, job: str, small: str) -> None:
    from survival_invest.report.destinations import destinations_html

    p = _persons()
    html = destinations_html(p, 5, language, tau=24)  # type: ignore[arg-type]
    assert html.startswith('<div class="destinations">') and heading in html and job in html
    assert html.count("data:image/png;base64,") == 1
    assert html.count("<tr>") == 1 + 6  # the header and two groups x three months
    # each group under its heading row, as in the case tables; a phone stacks the rows (the cells are labelled)
    assert '<table class="est dest">' in html and html.count('<tr class="group"><th scope="rowgroup"') == 2
    cells = re.findall(r"<td[^>]*>", html)
    assert len(cells) == 6 * 5 and all('class="num" data-label="' in c for c in cells)
    assert f'<td class="num" data-label="{job}">' in html
    shares = destination_shares(p, 5)
    first = shares.iloc[0]
    mark = "," if language == "da" else "."
    assert f"{100 * first['job']:.1f}".replace(".", mark) + " %" in html
    assert small not in html
    n_int = int((p["group"] == "intervention").sum())
    hidden = destinations_html(p, n_int + 1, language, tau=24)  # type: ignore[arg-type]
    assert hidden.count(small) == 3  # the three table rows of the intervention group (the panel is in the PNG)
    intervention_share = f"{100 * shares[shares['group'] == 'intervention'].iloc[0]['job']:.1f}".replace(".", mark)
    assert intervention_share + " %" not in hidden


def test_the_page_part_names_its_case_and_follows_the_case_table() -> None:
    """On its own PDF page the part still says which case it is; on the page it comes after the case's table."""
    from survival_invest.report.destinations import destinations_html
    from survival_invest.report.writers import html_report

    part = destinations_html(_persons(), 5, "da", tau=24, case_title="1. Koordineret indsats")
    assert "<h3>Hvor gik de hen? 1. Koordineret indsats</h3>" in part
    table = pd.DataFrame({"2020": [1.0]}, index=["Budget"])
    case = {"id": "1", "name": "Koordineret indsats", "table": table, "destinations": part}
    page = html_report(
        title="T",
        language="da",
        meta={},
        cases=[case],
        portfolio=pd.DataFrame({"2020": [1.0]}, index=["x"]),
        development_png=None,
        notes=[],
    )
    section = page[page.index('<section class="case">') :]
    assert section.index("<table") < section.index('<div class="destinations">')
