"""How the report states the horizon: capped "to 27 months (last observed)", the dashed tails, the flagged row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from survival_invest.config import load_config
from survival_invest.economics.horizon import CaseHorizon, case_area
from survival_invest.engines import portfolio_statistics
from survival_invest.io.periods import RunClock
from survival_invest.report.horizon import horizon_text, tail_lines
from survival_invest.report.plots import case_figure, suppressed_until
from survival_invest.report.privacy import suppress_small_numbers
from survival_invest.report.tables import case_table

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
CLOCK = RunClock.parse("2022-06", CONFIG.run.data_lag, "month")


@pytest.fixture(scope="module")
def stats():  # type: ignore[no-untyped-def]
    return portfolio_statistics(CONFIG, CLOCK, "memory").statistics


def test_horizon_texts_in_both_languages() -> None:
    capped = CaseHorizon(36, 27, 27, "none")
    assert horizon_text(capped, "da") == "til 27 mdr. (sidst observeret)"
    assert horizon_text(capped, "en") == "to 27 months (last observed)"
    tailed = CaseHorizon(36, 27, 36, "exponential")
    assert horizon_text(tailed, "da") == "til 36 mdr. (fra 28 mdr.: eksponentiel hale, ekstrapoleret)"
    assert horizon_text(tailed, "en") == "to 36 months (from 28 months: exponential tail, extrapolated)"
    assert horizon_text(CaseHorizon(24, 27, 24, "none"), "en") == "to 24 months"


def test_tails_are_drawn_only_where_the_curve_itself_is_drawn(stats) -> None:
    st = stats["3"]
    case = replace(CONFIG.case("3"), tail="weibull")
    area, curves = case_area(st, case)
    km = st.curves()
    comparison, intervention = km.curve("comparison"), km.curve("intervention")
    shown = (suppressed_until(comparison, 5), suppressed_until(intervention, 5))
    lines = tail_lines(curves, shown, ("Sammenligning", "Indsats"), "da")
    for line, curve, until in zip(lines, (curves.comparison, curves.intervention), shown, strict=True):
        assert line is not None and curve.fit is not None
        if until >= curve.fit.last_observed:
            assert line.time is not None and line.survival is not None
            assert line.time[0] == curve.fit.last_observed and line.time[-1] == case.horizon
            assert "ekstrapoleret (Weibull-hale)" in line.text
        else:  # the anchor rests on fewer than min_persons: not drawn, and the legend says so
            assert line.time is None and "ikke vist" in line.text
    fig = case_figure(
        comparison,
        intervention,
        tau=area.tau,
        area=area,
        longest_follow_up=float(CLOCK.cutoff - st.first_entry),
        cutoff_label=CLOCK.cutoff_label,
        min_persons=5,
        horizon=horizon_text(curves.horizon, "da"),
        tails=lines,
        at_risk=False,
    )
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("areal til 36 mdr. (fra ") for t in texts)
    assert any("horisont til 36 mdr." in t for t in texts)
    assert sum(("ekstrapoleret" in t) and ":" in t for t in texts) >= 2
    # long entries wrapped (unwrapped, the legend took half the figure's width and its text was tiny in print)
    assert max(len(line) for t in texts for line in t.splitlines()) <= 48 < max(len(" ".join(t.split())) for t in texts)
    plt.close(fig)


def test_capped_case_has_no_tail_lines(stats) -> None:
    area, curves = case_area(stats["1"], CONFIG.case("1"))
    assert curves.horizon.capped and area.tau == curves.horizon.last_observed
    assert tail_lines(curves, (99.0, 99.0), ("a", "b"), "en") == (None, None)


def _results() -> pd.DataFrame:
    rows = []
    for year, ext in ((2021, 0.0), (2022, -0.3)):
        for kind in ("budget", "forecast"):
            rows.append(
                {
                    "case_id": "1",
                    "year": year,
                    "measure": "savings",
                    "kind": kind,
                    "value": -1.5,
                    "lower": np.nan if kind == "budget" else -2.0,
                    "upper": np.nan if kind == "budget" else -1.0,
                    "unit": "mio_kr",
                    "horizon": np.nan if kind == "budget" else 36.0,
                    "extrapolated": np.nan if kind == "budget" else ext,
                }
            )
    return pd.DataFrame(rows)


def test_the_case_table_flags_the_extrapolated_part() -> None:
    table = case_table(_results(), "1", language="en")
    row = table.loc["of which extrapolated (tail)"]
    assert row[(2022, "Forecast")] == -0.3
    assert np.isnan(row[(2021, "Forecast")])  # nothing extrapolated that year: no figure


def test_suppression_blanks_the_extrapolated_part_too(stats) -> None:
    small = {"1": replace(stats["1"])}
    res = _results()
    out, warnings = suppress_small_numbers(res, small, min_persons=10**6)
    est = out["kind"] == "forecast"
    assert out.loc[est, ["value", "extrapolated"]].isna().all().all() and warnings
