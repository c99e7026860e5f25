"""The payment file: the national layout (semicolons, decimal commas, 9-digit CPR) and the long generic form."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.errors import ExtractError
from survival_invest.io.payments import monthly_net, payments_from_frame, read_payments
from survival_invest.io.periods import parse_periods, week_to_month
from survival_invest.io.privacy import IdPolicy

HEADER = (
    "Uge;CPR nummer;Ydelse;Finansiering Kommunenavn;Beregnet udbetalingsbeløb;Refusionssats;"
    "Refusionsbeløb;Medfinansieringssats;Medfinansieringsbeløb"
)


def _national(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "ydelsesrefusion.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_national_layout_read_with_decimal_commas_weeks_and_net_cost(tmp_path: Path) -> None:
    path = _national(
        tmp_path,
        [
            "2021-W05;0101901234;Kontanthjælp;Norddjurs;3.456,50;80;2.765,20;0;0",
            "202106;101901234;Kontanthjælp;Norddjurs;3456,5;40;1382,6;;",  # 9 digits: the leading zero was lost
            "2021/06;101901234;Kontanthjælp;Norddjurs;-500,00;40;-200,00;0;0",  # a correction of week 6
            "2021-07;2202851111;A-dagpenge;Norddjurs;4.500,00;0;0;70;3.150,00",  # co-financed
        ],
    )
    pay = read_payments(path)
    f = pay.frame
    assert pay.layout == "national" and pay.frequency == "week"
    assert f["person_id"].tolist() == ["0101901234"] * 3 + ["2202851111"]
    assert f["label"].tolist() == ["2021-W05", "202106", "2021/06", "2021-07"]  # as found
    weeks, _, _ = parse_periods(pd.Series(["2021-W05", "2021-W06", "2021-W06", "2021-W07"]), "week")
    np.testing.assert_array_equal(f["period"].to_numpy(), weeks)
    np.testing.assert_allclose(f["amount"], [3456.5, 3456.5, -500.0, 4500.0])
    np.testing.assert_allclose(f["net"], [3456.5 - 2765.2, 3456.5 - 1382.6, -300.0, 3150.0])
    assert f["benefit_group"].tolist() == ["kontanthjaelp"] * 3 + ["dagpenge"]
    month = monthly_net(pay)
    # weeks 5 and 6 of 2021 have their Thursday in February (4 and 11 Feb), week 7 too (18 Feb)
    assert set(week_to_month(weeks).tolist()) == {2021 * 12 + 1}
    by_person = month.set_index("person_id")["net"]
    assert by_person["0101901234"] == pytest.approx(691.3 + 2073.9 - 300.0)  # the correction is summed
    assert by_person["2202851111"] == pytest.approx(3150.0)


def test_every_problem_of_the_file_at_once_with_rows_and_values(tmp_path: Path) -> None:
    path = _national(
        tmp_path,
        [
            "2021-W05;0101901234;Kontanthjælp;N;100,00;80;80,00;0;0",
            "2021-W60;0101901234;Kontanthjælp;N;100,00;80;80,00;0;0",
            "2021-W05;;Kontanthjælp;N;1oo,00;80;80,00;0;0",
            "uge 5;0101901234;;N;100,00;80;abc;0;0",
        ],
    )
    with pytest.raises(ExtractError) as err:
        read_payments(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 5
    text = str(err.value)
    assert "column 'CPR nummer', row 3: empty person id" in text
    assert "column 'Uge', rows 2, 4: cannot read the period '2021-W60'" in text
    assert "column 'Ydelse', row 4: empty benefit" in text
    assert "column 'Beregnet udbetalingsbeløb', row 3: '1oo,00' is not an amount" in text
    assert "column 'Refusionsbeløb', row 4: 'abc' is not an amount" in text
    assert all(str(path) in line for line in lines)


def test_missing_national_column_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Uge;CPR nummer;Ydelse;Refusionsbeløb\n2021-W05;0101901234;Kontanthjælp;1,0\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="missing column 'Beregnet udbetalingsbeløb'"):
        read_payments(path)


def test_long_generic_form_monthly_with_configured_benefit_groups(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame(
        {
            "person_id": ["a", "a", "b", "c"],
            "period": ["2021-01", "2021-01", "2021-02", "2021-02"],
            "benefit": ["Kontanthjælp", "kontanthjælp ", "Særlig støtte", "Mentor"],
            "amount": ["1000", "-250", "400", "10"],
            "refusion": ["800", "-200", "0", "0"],
        }
    )
    with caplog.at_level(logging.WARNING):
        pay = payments_from_frame(frame, benefits={"særlig støtte": "saerlig_stoette"})
    assert pay.layout == "long" and pay.frequency == "month"
    assert pay.frame["benefit_group"].tolist() == ["kontanthjaelp", "kontanthjaelp", "saerlig_stoette", "other"]
    assert "'Mentor'" in caplog.text and "payment_benefits" in caplog.text
    month = monthly_net(pay)
    assert month["net"].tolist() == pytest.approx([150.0, 400.0, 10.0])
    assert month["month"].tolist() == [2021 * 12, 2021 * 12 + 1, 2021 * 12 + 1]


def test_declared_cpr_pseudonymised_and_the_nine_digit_form_is_the_same_person(tmp_path: Path) -> None:
    path = _national(
        tmp_path,
        [
            "2021-W05;010190-1234;Kontanthjælp;N;100,00;80;80,00;0;0",
            "2021-W06;101901234;Kontanthjælp;N;100,00;80;80,00;0;0",
        ],
    )
    pay = read_payments(path, ids=IdPolicy(b"k" * 32))
    ids = pay.frame["person_id"].tolist()
    assert ids[0] == ids[1] and ids[0].startswith("p") and "1234" not in ids[0]
    assert pay.persons == 1


def test_plain_cpr_looking_ids_warned_by_column(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _national(tmp_path, ["2021-W05;0101901234;Kontanthjælp;N;100,00;80;80,00;0;0"])
    with caplog.at_level(logging.WARNING):
        read_payments(path)
    assert "column 'CPR nummer' looks like CPR numbers" in caplog.text
    assert "0101901234" not in caplog.text


def test_empty_file_refused(tmp_path: Path) -> None:
    path = _national(tmp_path, [])
    with pytest.raises(ExtractError, match="header but no data rows"):
        read_payments(path)
