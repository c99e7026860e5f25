"""The monthly job end to end: synth -> run (two months) -> report folder and history."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.cli import main
from survival_invest.pipeline import monthly as runner
from survival_invest.report.history import HISTORY_FILE, HistoryWriter, all_history, current_history
from survival_invest.synthetic import NORDDJURS_CASES


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--seed", "11"]) == 0
    return out / "portfolio.toml"


@pytest.fixture(scope="module")
def two_months(portfolio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    for month in ("2022-06", "2022-07"):
        assert main(["run", "--config", str(portfolio), "--as-of", month, "--out", str(reports), "--quiet"]) == 0
    return reports


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_outputs_of_a_run(two_months: Path) -> None:
    folder = two_months / "2022-07"
    names = {p.name for p in folder.iterdir()}
    assert {"results.csv", "report.html", "report.xlsx", "run.json"} <= names
    for case in ("1", "2", "3", "4"):
        assert {f"case_{case}.png", f"case_{case}.svg", f"case_{case}.csv"} <= names
    assert "case_5.csv" in names  # the count case has a table, no curves
    results = pd.read_csv(folder / "results.csv", dtype={"case_id": str})
    assert list(results.columns) == [
        "case_id",
        "year",
        "measure",
        "kind",
        "value",
        "lower",
        "upper",
        "unit",
        "basis",
        "horizon",
        "extrapolated",
    ]
    info = json.loads((folder / "run.json").read_text())
    assert info["as_of"] == "2022-07" and info["cutoff"] == "2022-05"
    assert len(info["config_sha256"]) == 64 and all(len(h) == 64 for h in info["inputs_sha256"].values())
    assert info["package_version"] == si.__version__
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 5  # four cases + the development chart
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "Besparelse i alt" in html and "Datagrænse" in html and "sammenligning: ikke-deltagere i målgruppen" in html
    assert "mio. kr., 2020 p/l" in html and "delta-metode, 95 %" in html


def test_history_holds_both_months_and_the_second_report_shows_both(two_months: Path) -> None:
    hist = current_history(two_months / HISTORY_FILE)
    assert sorted(hist["as_of"].unique()) == ["2022-06", "2022-07"]
    html = (two_months / "2022-07" / "report.html").read_text(encoding="utf-8")
    assert "Udvikling i realiserede besparelser" in html


def test_rerun_supersedes_the_month_and_leaves_others(portfolio: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    for month in ("2022-06", "2022-07", "2022-07"):
        assert main(["run", "--config", str(portfolio), "--as-of", month, "--out", str(out), "--quiet"]) == 0
    rows = all_history(out / HISTORY_FILE)
    july = rows[rows["as_of"] == "2022-07"]
    assert july["run_id"].nunique() == 2
    assert july.groupby("run_id")["superseded"].agg(["all", "any"]).sort_values("all").to_numpy().tolist() == [
        [False, False],
        [True, True],
    ]
    june = rows[rows["as_of"] == "2022-06"]
    assert june["run_id"].nunique() == 1 and not june["superseded"].any()


def test_excel_numbers_equal_results_csv(two_months: Path) -> None:
    import openpyxl

    folder = two_months / "2022-07"
    # round_trip: pandas' default fast float parser may be 1 ulp off the written repr
    results = pd.read_csv(folder / "results.csv", dtype={"case_id": str}, float_precision="round_trip")
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    ws = wb["Resultater"]
    header = [c.value for c in ws[1]]
    got = pd.DataFrame(list(ws.iter_rows(min_row=2, values_only=True)), columns=header)
    assert len(got) == len(results)
    # xlsx cells hold decimal text with 16 significant digits (openpyxl writes "%.16g"; Excel
    # itself keeps 15), so the workbook equals the CSV's values at that precision, exactly.
    at_16 = np.vectorize(lambda x: float(f"{x:.16g}") if np.isfinite(x) else np.nan)
    for col in ("value", "lower", "upper"):
        a = pd.to_numeric(got[col]).to_numpy(dtype=float)
        np.testing.assert_array_equal(a, at_16(results[col].to_numpy(dtype=float)))
    numeric = [c for c in ws[2] if isinstance(c.value, float)]
    assert numeric and all(c.number_format == "#,##0.000" for c in numeric)
    case = wb["Sag 1"]
    assert case["A2"].value == "Investering i indsats" and isinstance(case["B2"].value, float)


def test_no_person_id_in_any_output(portfolio: Path, two_months: Path) -> None:
    ids = set(pd.read_csv(portfolio.parent / "memberships.csv", dtype=str)["person_id"])
    blobs: list[bytes] = []
    for p in two_months.rglob("*"):
        if not p.is_file() or p.name == HISTORY_FILE:
            continue
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                blobs += [z.read(n) for n in z.namelist()]
        else:
            blobs.append(p.read_bytes())
    hist = current_history(two_months / HISTORY_FILE).to_csv().encode()
    blobs.append(hist)
    text = b"\n".join(blobs)
    leaked = [i for i in ids if i.encode() in text]
    assert not leaked, leaked[:5]


def _truth(cohort, case, refusion) -> pd.Series:
    spec = next(c for c in NORDDJURS_CASES if c.case_id == case.id)
    d = spec.survival("comparison", 80) - spec.survival("intervention", 80)
    part = cohort.persons[cohort.persons["group"] == "intervention"]
    known = np.minimum(
        np.where(part["event"] == 1, part["followed"], np.minimum(part["duration"] + 1, part["followed"])), case.horizon
    )
    owner = np.repeat(np.arange(len(part)), known)
    t = np.arange(owner.size) - np.repeat(np.cumsum(known) - known, known)
    year = (part["entry"].to_numpy()[owner] + t) // 12
    return pd.Series(d[t] / 12).groupby(year).sum()


def test_results_within_confidence_of_the_synthetic_truth(portfolio: Path, two_months: Path) -> None:
    config = si.load_config(portfolio)
    results = pd.read_csv(two_months / "2022-07" / "results.csv", dtype={"case_id": str})
    spells, members = si.read_spells(config.data.spells), si.read_memberships(config.data.memberships)
    covered = total = 0
    for case in config.cases[:4]:
        cohort = si.build_cohort(spells, members, case_id=case.id, as_of="2022-07", data_lag=2)
        truth = _truth(cohort, case, config.refusion)
        got = results[(results.case_id == case.id) & (results.measure == "saved_fte") & (results.kind == "realised")]
        for r in got.itertuples():
            total += 1
            covered += r.lower <= truth[r.year] <= r.upper
    assert total == 12 and covered >= 10


def test_crash_leaves_previous_report_and_history_intact(portfolio: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "r"
    assert main(["run", "--config", str(portfolio), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    before = _snapshot(out)
    hist_before = all_history(out / HISTORY_FILE)

    calls = {"n": 0}
    real = runner.write_bytes

    def dying_write(path, data):  # the run dies after writing two files of its new report
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt("simulated kill")
        return real(path, data)

    monkeypatch.setattr(runner, "write_bytes", dying_write)
    with pytest.raises(KeyboardInterrupt):
        runner.run_monthly(portfolio, "2022-06", out)
    assert _snapshot(out) == before
    pd.testing.assert_frame_equal(all_history(out / HISTORY_FILE), hist_before)
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]

    def dying_store(*a, **k):  # killed while storing the run's rows
        raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(runner, "write_bytes", real)
    monkeypatch.setattr(HistoryWriter, "stage", dying_store)
    with pytest.raises(KeyboardInterrupt):
        runner.run_monthly(portfolio, "2022-07", out)
    pd.testing.assert_frame_equal(all_history(out / HISTORY_FILE), hist_before)
    assert not (out / "2022-07").exists()  # nothing published
    assert (out / "2022-06" / "report.html").read_bytes()  # the earlier month's report still there


BAD_INPUTS = {
    "missing file": (lambda cfg: cfg.with_name("nope.toml"), "configuration file not found"),
    "malformed toml": (lambda cfg: _rewrite(cfg, lambda s: s.replace("[run]", "[run")), "not valid TOML"),
    "unknown key": (
        lambda cfg: _rewrite(cfg, lambda s: s.replace("data_lag = 2", "data_lagg = 2")),
        "did you mean 'data_lag'",
    ),
    "bad period": (
        lambda cfg: _rewrite_data(cfg, "memberships.csv", lambda s: s.replace(",2020-03\n", ",2020-13\n", 1)),
        "cannot read period '2020-13'",
    ),
    "unknown code": (
        lambda cfg: _rewrite_data(cfg, "spells_monthly.csv", lambda s: s.replace(",131,", ",XYZ,", 3)),
        "'XYZ' (3 rows)",
    ),
    "empty case": (
        lambda cfg: _rewrite_data(
            cfg,
            "memberships.csv",
            lambda s: (
                "\n".join(
                    line
                    for line in s.splitlines()
                    if not (line.endswith(",4,intervention,2020-01") or ",4,intervention," in line)
                )
                + "\n"
            ),
        ),
        "case '4': the intervention group is empty",
    ),
}


def _rewrite(cfg: Path, edit) -> Path:
    new = cfg.with_name("edited.toml")
    new.write_text(edit(cfg.read_text(encoding="utf-8")), encoding="utf-8")
    return new


def _rewrite_data(cfg: Path, name: str, edit) -> Path:
    folder = cfg.parent / ("edited-" + name.replace(".", "-"))
    folder.mkdir(exist_ok=True)
    for f in (p for p in cfg.parent.glob("*.csv") if p.is_file()):
        (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / name).write_text(edit((cfg.parent / name).read_text(encoding="utf-8")), encoding="utf-8")
    new = folder / "portfolio.toml"
    new.write_text(cfg.read_text(encoding="utf-8"), encoding="utf-8")
    return new


@pytest.fixture(scope="module")
def june_report(portfolio: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One good run (2022-06) that every bad-input test runs against, and its snapshot."""
    out = tmp_path_factory.mktemp("june") / "r"
    assert main(["run", "--config", str(portfolio), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    return out, _snapshot(out)


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_exits_2_and_changes_nothing(
    kind: str, portfolio: Path, june_report: tuple[Path, dict[str, str]], capsys
) -> None:
    out, before = june_report
    capsys.readouterr()
    assert _snapshot(out) == before
    make, message = BAD_INPUTS[kind]
    cfg = make(portfolio)
    code = main(["run", "--config", str(cfg), "--as-of", "2022-07", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert err.strip().count("\n") == 0  # one line
    assert _snapshot(out) == before


def test_english_report_and_reduction_targets(portfolio: Path, tmp_path: Path) -> None:
    cfg = _rewrite(portfolio, lambda s: s.replace('language = "da"', 'language = "en"'))
    out = tmp_path / "r"
    assert main(["run", "--config", str(cfg), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    page = (out / "2022-06" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Net result" in page and "Savings on public support" in page
    assert "Reduction targets" in page and "Outstanding incl. carried-forward shortfall" in page
    # English numbers: decimal point and thousands comma
    assert "Realised" in page and "Besparelse" not in page


def test_danish_report_uses_decimal_comma(two_months: Path) -> None:
    page = (two_months / "2022-07" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in page
    assert '<span class="v">3,08</span>' in page  # case 1's budget investment, 2020 p/l (2 decimals on the page)
    assert "Reduktionsmål" in page and "Udestående" in page


def test_run_json_counts_input_rows(two_months: Path, portfolio: Path) -> None:
    info = json.loads((two_months / "2022-07" / "run.json").read_text())
    n_spells = (portfolio.parent / "spells_monthly.csv").read_text().count("\n") - 1
    n_members = (portfolio.parent / "memberships.csv").read_text().count("\n") - 1
    assert info["input_rows"]["spells"] + info["input_rows"]["spells_removed_identical_duplicate_rows"] == n_spells
    assert info["input_rows"]["memberships"] == n_members


def test_validate_reports_what_it_found_or_every_problem(portfolio: Path, capsys) -> None:
    assert main(["validate", "--config", str(portfolio), "--as-of", "2022-07"]) == 0
    out = capsys.readouterr().out
    assert (
        "persons" in out
        and "months 2017-" in out
        and "cut-off 2022-05" in out
        and "case 1: 300 target and 60 intervention" in out
    )
    bad = _rewrite_data(portfolio, "spells_monthly.csv", lambda s: s.replace(",131,", ",XYZ,", 2))
    bad_m = bad.parent / "memberships.csv"
    bad_m.write_text(bad_m.read_text().replace("target,2020-01", "targett,2020-01", 1))
    assert main(["validate", "--config", str(bad), "--as-of", "2022-09"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any("'targett' is not a group" in e for e in err)
    assert any("'XYZ' (2 rows)" in e for e in err)
    assert len(err) == 2  # every problem at once, one line each


def test_validate_checks_the_person_table(portfolio: Path, capsys) -> None:
    cfg = _rewrite_data(portfolio, "persons.csv", lambda s: "\n".join(s.splitlines()[:-3]) + "\n")  # 3 persons fewer
    cfg.write_text(cfg.read_text().replace("[data]\n", '[data]\npersons = "persons.csv"\n', 1))
    assert main(["validate", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    n = (cfg.parent / "persons.csv").read_text().count("\n") - 1
    assert f"persons {cfg.parent / 'persons.csv'}: {n} persons" in out
    assert "not in the person table (age and sex 'unknown', counted)" in out
    bad = cfg.parent / "persons.csv"
    bad.write_text(bad.read_text().replace(",F\n", ",X\n", 1))
    assert main(["validate", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "persons.csv" in err and "'sex'" in err and "'X'" in err


def test_help_on_every_command(capsys) -> None:
    for cmd in ([], ["run"], ["validate"], ["synth"], ["curves"]):
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: survival-invest" in capsys.readouterr().out


def test_internal_error_exits_1_without_traceback(portfolio: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runner, "run_portfolio_full", boom)
    assert main(["run", "--config", str(portfolio), "--as-of", "2022-06", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: disk on fire" in err and "Traceback" not in err
    assert main(["-v", "run", "--config", str(portfolio), "--as-of", "2022-06", "--out", str(tmp_path), "--quiet"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_small_groups_are_suppressed_and_marked(portfolio: Path, tmp_path: Path, capsys) -> None:
    cfg = _rewrite(portfolio, lambda s: s.replace("min_persons = 5", "min_persons = 50"))
    out = tmp_path / "r"
    assert main(["run", "--config", str(cfg), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    assert "case 2: fewer than 50 persons in the intervention group" in capsys.readouterr().err
    results = pd.read_csv(out / "2022-06" / "results.csv", dtype={"case_id": str})
    est = results[(results["kind"] != "budget") & (results["measure"] != "investment")]
    assert est.loc[est["case_id"].isin(["2", "4"]), "value"].isna().all()  # 40 participants each
    assert est.loc[est["case_id"] == "1", "value"].notna().any()  # 60 participants
    assert not (out / "2022-06" / "case_2.png").exists()
    info = json.loads((out / "2022-06" / "run.json").read_text())
    assert any("case 4" in w for w in info["warnings"])
    html = (out / "2022-06" / "report.html").read_text(encoding="utf-8")
    assert "fewer than 50 persons" in html and "&lt;50" in html  # marked on the page
