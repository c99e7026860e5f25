"""The synthetic payment file and finance extract: what `synth` writes, and the realised figures they give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.config import load_config
from survival_invest.io.finance import read_finance
from survival_invest.io.payments import monthly_net, read_payments
from survival_invest.io.periods import parse_periods
from survival_invest.pipeline.portfolio import run_portfolio
from survival_invest.synthetic.cli import write_synthetic_portfolio
from survival_invest.synthetic.payments import expected_net_share, refusion_rate


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_portfolio(tmp_path_factory.mktemp("synth"), seed=5)


def test_refusion_rate_follows_the_staircase_by_month_on_support() -> None:
    # month k starts at support week floor((k - 1) 52 / 12) + 1: months 1 (week 1), 2 (week 5), 7 (week 27), 13 (week 53)
    np.testing.assert_allclose(refusion_rate(np.array([1, 2, 6, 7, 12, 13, 40])), [0.8, 0.4, 0.4, 0.3, 0.3, 0.2, 0.2])
    g = expected_net_share(np.arange(3), prior_max=0)
    np.testing.assert_allclose(g, [0.2, 0.6, 0.6])


def test_synth_writes_a_payment_file_in_the_national_layout_matching_the_spells(portfolio: Path) -> None:
    folder = portfolio.parent
    text = (folder / "payments.csv").read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("Uge;CPR nummer;Ydelse;") and "," in text[1]  # ;-separated, decimal commas
    pay = read_payments(folder / "payments.csv")
    assert pay.layout == "national" and pay.frequency == "week"
    month = monthly_net(pay)
    spells = pd.read_csv(folder / "spells_monthly.csv", dtype=str)
    support = spells[spells["benefit"].isin(["130", "131", "133", "135", "137"])]
    period, _, _ = parse_periods(support["period"], "month")
    paid = set(zip(month["person_id"], month["month"], strict=True))
    expected = {(p, m) for p, m in zip(support["person_id"], period, strict=True) if m >= 2019 * 12}
    assert paid == expected  # one month with lines for each support month from 2019, no other
    assert (pay.frame["amount"] < 0).any()  # corrections are in the file
    assert (month["net"] > 0).all()  # ... and sum out within their week


def test_synth_config_names_finance_and_payments_and_the_run_uses_them(portfolio: Path) -> None:
    config = load_config(portfolio)
    assert config.data.payments is not None and config.data.finance is not None
    fin = read_finance(config.data.finance)
    assert set(fin["year"]) == {2020, 2021, 2022}
    results = run_portfolio(config, "2022-07", engine="memory")
    realised = results[results["kind"] == "realised"]
    for case_id in ("1", "2", "3", "4"):
        rows = realised[realised["case_id"] == case_id].set_index(["year", "measure"])
        for year in (2020, 2021, 2022):
            assert rows.loc[(year, "savings"), "basis"] == "payments"
            assert rows.loc[(year, "investment"), "basis"] == "finance"
            # Besparelse i alt, Realiseret = investment + savings
            net = rows.loc[(year, "net"), "value"]
            assert net == pytest.approx(rows.loc[(year, "investment"), "value"] + rows.loc[(year, "savings"), "value"])
            assert rows.loc[(year, "refusion_part"), "basis"] == "cost_per_fte"
    forecast = results[(results["kind"] == "forecast") & (results["measure"] == "savings")]
    assert set(forecast["basis"]) == {"cost_per_fte", "placements"}
