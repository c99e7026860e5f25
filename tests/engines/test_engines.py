"""The three engines give identical counts, curves, areas and kroner on the same data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.config import load_config
from survival_invest.engines import choose_engine
from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
from survival_invest.engines.duckdb_engine import DuckDBBackend
from survival_invest.io.periods import RunClock, month_label, week_label
from survival_invest.io.readers import default_classification, memberships_from_frame, spells_from_frame
from survival_invest.pipeline.portfolio import run_portfolio_full
from survival_invest.stats import cohort_aggregates, normalise_aggregates

ROOT = Path(__file__).parents[2]
SYNTH = ROOT / "data" / "synthetic"

SUPPORT = ["111", "130", "137"]
SELF = ["114", "651"]
CENSOR = ["611", "621"]


def messy_extract(seed: int, weekly: bool, n_persons: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spells with gaps, returns, benefit switches, self-support and censor codes, and missing persons.

    Two cases; persons in several cases and groups; some members with no spell
    row at all, some with rows only long before entry.
    """
    rng = np.random.default_rng(seed)
    start = 2018 * 12 if not weekly else 2500  # month number / ISO week number since 1970
    span = 48 if not weekly else 200
    rows = []
    persons = [f"P{i:04d}" for i in range(n_persons)]
    for pid in persons[: n_persons - 4]:  # the last four persons have no spells at all
        first = start + int(rng.integers(0, span // 2))
        periods = np.arange(first, first + int(rng.integers(1, 2 * span)))
        periods = periods[rng.random(periods.shape[0]) > 0.02]  # holes: exits of one or more periods
        u = rng.random(periods.shape[0])
        code = np.where(
            u < 0.96,
            rng.choice(SUPPORT, periods.shape[0]),
            np.where(u < 0.99, rng.choice(SELF, periods.shape[0]), rng.choice(CENSOR, periods.shape[0])),
        )
        rows.append(pd.DataFrame({"person_id": pid, "p": periods, "benefit": code}))
    spells = pd.concat(rows, ignore_index=True)
    spells["period"] = (week_label if weekly else month_label)(spells.pop("p").to_numpy())
    entry_lo = 2019 * 12 if not weekly else 2560
    mrows = []
    for case in ("A", "B"):
        chosen = rng.choice(n_persons, size=n_persons * 2 // 3, replace=False)
        for j, k in enumerate(chosen):
            e = entry_lo + int(rng.integers(0, 12 if not weekly else 50))
            if weekly:  # monthly memberships of weekly data: entry month of the week
                from survival_invest.io.periods import week_to_month

                e = int(week_to_month(np.array([e]))[0])
            mrows.append((persons[k], case, "target", month_label(e)))
            if j % 3 == 0:  # participants; some enter later than their target row
                mrows.append((persons[k], case, "intervention", month_label(e + int(rng.integers(0, 3)))))
        if case == "B":  # a participant without a target row
            mrows.append((persons[int(chosen[-1])], case, "intervention", month_label(entry_lo + 2)))
    members = pd.DataFrame(mrows, columns=["person_id", "case_id", "group", "entry_period"])
    members = members.drop_duplicates(["person_id", "case_id", "group"])
    return spells, members


def memory_aggregates(
    spells: pd.DataFrame, members: pd.DataFrame, cases: list[CaseSpec], cutoff: int, source_frequency: str
) -> dict[str, pd.DataFrame]:
    sp = spells_from_frame(spells)
    m = memberships_from_frame(members)
    parts = []
    for c in cases:
        co = si.build_cohort(
            sp,
            m,
            case_id=c.case_id,
            as_of=cutoff,
            data_lag=0,
            durable_exit=c.durable_exit,
            comparison=c.comparison,
            month_rule=c.month_rule,
        )
        parts.append(cohort_aggregates(co, source_frequency=source_frequency))
    return normalise_aggregates({k: pd.concat([p[k] for p in parts]) for k in parts[0]})


def duckdb_aggregates(path: Path, members: pd.DataFrame, cases: list[CaseSpec], cutoff: int):
    m = memberships_from_frame(members)
    with DuckDBBackend(path) as backend:
        agg, facts = sql_aggregates(
            backend,
            source=str(path),
            memberships=m,
            classification=default_classification(),
            cases=cases,
            clock=RunClock(cutoff, 0, m.attrs["frequency"]),
        )
    return normalise_aggregates(agg), facts


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


@settings(derandomize=True, max_examples=15, deadline=None)
@given(
    st.integers(0, 10**6),
    st.booleans(),
    st.sampled_from(["non_participants", "target_all"]),
    st.integers(1, 3),
    st.sampled_from(["csv", "parquet"]),
)
def test_duckdb_counts_equal_in_memory_counts_on_messy_data(
    tmp_path_factory, seed: int, weekly: bool, comparison: str, k: int, fmt: str
) -> None:
    spells, members = messy_extract(seed, weekly)
    path = tmp_path_factory.mktemp("x") / f"spells.{fmt}"
    spells.to_csv(path, index=False) if fmt == "csv" else spells.to_parquet(path, index=False)
    cases = [CaseSpec("A", comparison, k), CaseSpec("B", "target_all", 1)]
    cutoff = 2021 * 12 + 6
    a = memory_aggregates(spells, members, cases, cutoff, "week" if weekly else "month")
    b, facts = duckdb_aggregates(path, members, cases, cutoff)
    assert facts["weekly_units"] == weekly
    assert_same(a, b)
    # the data are messy enough to exercise every rule
    summary = a["summary"].groupby("item")["n"].sum()
    assert summary["excluded_no_spell_data"] > 0
    assert summary["events"] > 0 and summary["censored_cut_off"] > 0


def test_duckdb_reads_a_folder_of_parquet_parts(tmp_path: Path) -> None:
    spells, members = messy_extract(7, weekly=False, n_persons=80)
    folder = tmp_path / "parts"
    folder.mkdir()
    shuffled = spells.sample(frac=1.0, random_state=1).reset_index(drop=True)
    for i in range(4):
        shuffled.iloc[i::4].to_parquet(folder / f"part-{i}.parquet", index=False)
    cases = [CaseSpec("A", "non_participants", 2)]
    cutoff = 2021 * 12
    assert_same(
        memory_aggregates(spells, members, cases, cutoff, "month"), duckdb_aggregates(folder, members, cases, cutoff)[0]
    )


@pytest.fixture(scope="module")
def parquet_portfolio(tmp_path_factory) -> Path:
    """The bundled synthetic portfolio with its spells as Parquet (the SQL engines' input)."""
    tmp = tmp_path_factory.mktemp("portfolio")
    cfg = load_config(ROOT / "examples" / "norddjurs.toml")
    pd.read_csv(cfg.data.spells, dtype=str).to_parquet(tmp / "spells.parquet", index=False)
    shutil.copy(cfg.data.memberships, tmp / "memberships.csv")
    if cfg.data.finance:
        shutil.copy(cfg.data.finance, tmp / Path(cfg.data.finance).name)
    text = (ROOT / "examples" / "norddjurs.toml").read_text(encoding="utf-8")
    import re

    text = re.sub(r"(?m)^spells\s*=.*$", 'spells = "spells.parquet"', text)
    text = re.sub(r"(?m)^memberships\s*=.*$", 'memberships = "memberships.csv"', text)
    if cfg.data.finance:
        text = re.sub(r"(?m)^finance\s*=.*$", f'finance = "{Path(cfg.data.finance).name}"', text)
    text = re.sub(r"(?m)^classification\s*=.*$", "", text)
    (tmp / "portfolio.toml").write_text(text, encoding="utf-8")
    return tmp / "portfolio.toml"


def test_all_three_engines_give_identical_figures(parquet_portfolio: Path) -> None:
    runs = {e: run_portfolio_full(parquet_portfolio, "2022-06", engine=e) for e in ("memory", "duckdb", "spark")}
    memory = runs["memory"]
    assert memory.engine == "memory" and runs["spark"].engine == "spark"
    for name in ("duckdb", "spark"):
        other = runs[name]
        # the long results table (curves -> areas -> full-time persons -> kroner): identical, not close
        pd.testing.assert_frame_equal(memory.results, other.results, check_exact=True)
        for case_id, stats in memory.statistics.items():
            o = other.statistics[case_id]
            for table in ("survival", "occupancy", "participants", "entrants", "summary"):
                pd.testing.assert_frame_equal(getattr(stats, table), getattr(o, table), check_exact=True)
            grid = np.arange(48)
            np.testing.assert_array_equal(stats.curves().survival_at(grid), o.curves().survival_at(grid))
    assert memory.results["value"].notna().sum() > 50


def test_weekly_parquet_rolls_up_like_the_in_memory_engine(tmp_path: Path) -> None:
    spells, members = messy_extract(3, weekly=True)
    path = tmp_path / "w.parquet"
    spells.to_parquet(path, index=False)
    cases = [CaseSpec("A", "non_participants", 1)]
    a = memory_aggregates(spells, members, cases, 2021 * 12, "week")
    b, facts = duckdb_aggregates(path, members, cases, 2021 * 12)
    assert facts["source_frequency"] == "week" and facts["week_factor"] == 1.0
    assert_same(a, b)
    # some months are partly on support: units are weeks, not months
    assert (b["units"]["units"] > 1).any()


def _bad(tmp_path: Path, spells: pd.DataFrame, members: pd.DataFrame, cases=None, cutoff=2021 * 12):
    path = tmp_path / "bad.parquet"
    spells.to_parquet(path, index=False)
    return duckdb_aggregates(path, members, cases or [CaseSpec("A", "non_participants", 1)], cutoff)


def test_sql_engines_refuse_bad_input_clearly(tmp_path: Path) -> None:
    spells, members = messy_extract(5, weekly=False)
    bad = spells.copy()
    bad.loc[3, "benefit"] = "999x"
    with pytest.raises(si.ExtractError, match=r"column 'benefit': 1 code not in .*'999x' \(1 rows\)"):
        _bad(tmp_path, bad, members)
    bad = spells.copy()
    bad.loc[[1, 2], "person_id"] = None
    with pytest.raises(si.ExtractError, match="column 'person_id': 2 rows have no value"):
        _bad(tmp_path, bad, members)
    bad = spells.copy()
    bad.loc[4, "period"] = "2019-13"
    with pytest.raises(si.ExtractError, match=r"column 'period': 1 rows .*'2019-13'"):
        _bad(tmp_path, bad, members)
    member_ids = set(members.loc[members["case_id"] == "A", "person_id"])
    dup_row = spells[spells["person_id"].isin(member_ids)].iloc[[5]]
    with pytest.raises(si.ExtractError, match=r"1 person-period rows .* repeat"):
        _bad(tmp_path, pd.concat([spells, dup_row], ignore_index=True), members)
    with pytest.raises(si.ExtractError, match=r"the extract ends .* but the cut-off is"):
        _bad(tmp_path, spells, members, cutoff=2030 * 12)
    late = members.reset_index(drop=True)
    row = int(np.flatnonzero((late["group"] == "intervention").to_numpy())[0])
    late.loc[row, "entry_period"] = "2021-05"
    with pytest.raises(
        si.ExtractError, match=rf"entry_period', row {row + 1} \(case .*after the data cut-off .* minus a lag of 0"
    ):
        _bad(
            tmp_path,
            spells,
            late,
            cases=[CaseSpec(str(late.loc[row, "case_id"]), "non_participants", 1)],
            cutoff=2021 * 12,
        )
    with pytest.raises(si.CohortError, match="needs the in-memory engine"):
        _bad(tmp_path, spells, members, cases=[CaseSpec("A", "matched", 1)])


def test_auto_engine_by_size_and_environment(parquet_portfolio: Path, monkeypatch) -> None:
    cfg = load_config(parquet_portfolio)
    assert choose_engine(cfg) == "memory"  # a small extract
    from dataclasses import replace

    tiny = replace(cfg, engine=replace(cfg.engine, auto_threshold_mb=0.0))
    assert choose_engine(tiny) == "duckdb"
    monkeypatch.setenv("SURVIVAL_INVEST_ENGINE", "spark")
    assert choose_engine(tiny) == "spark"
    assert choose_engine(tiny, "memory") == "memory"
    monkeypatch.setenv("SURVIVAL_INVEST_ENGINE", "postgres")
    with pytest.raises(si.ConfigError, match="engine must be one of"):
        choose_engine(cfg)


def test_integer_extract_matches_ids_as_text_like_the_in_memory_engine(tmp_path: Path) -> None:
    spells, members = messy_extract(11, weekly=False)
    number = {p: str(i + 1) for i, p in enumerate(sorted(spells["person_id"].unique()))}
    spells["person_id"] = spells["person_id"].map(number).astype("int64")
    missing = {p: f"x{i}" for i, p in enumerate(sorted(set(members["person_id"]) - set(number)))}
    members["person_id"] = members["person_id"].map({**number, **missing})  # persons without spells: not numbers
    first = members.index[members["person_id"] == "1"]
    members.loc[first, "person_id"] = "0001"  # the same number, another id as text: no spell data in both engines
    path = tmp_path / "spells.parquet"
    spells.to_parquet(path, index=False)
    cases = [CaseSpec("A", "non_participants", 1), CaseSpec("B", "target_all", 2)]
    cutoff = 2021 * 12 + 6
    mem = memory_aggregates(spells.astype({"person_id": str}), members, cases, cutoff, "month")
    sql, _ = duckdb_aggregates(path, members, cases, cutoff)
    assert_same(mem, sql)
    no_data = mem["summary"].query("item == 'excluded_no_spell_data'")["n"].sum()
    assert no_data >= len(first) + members["person_id"].str.startswith("x").sum() > len(first) > 0


@pytest.mark.parametrize("seed", [3, 8])
def test_sql_engines_apply_each_cases_month_rule_like_the_in_memory_engine(tmp_path: Path, seed: int) -> None:
    """Weekly spells by month: DuckDB = memory exactly under every month rule, one scan for all rules."""
    spells, members = messy_extract(seed, weekly=True)
    path = tmp_path / "w.parquet"
    spells.to_parquet(path, index=False)
    cutoff = 2021 * 12
    results = {}
    for rules in (("any", "any"), ("majority", "all"), ("all", "majority")):
        cases = [CaseSpec("A", "non_participants", 1, rules[0]), CaseSpec("B", "target_all", 2, rules[1])]
        a = memory_aggregates(spells, members, cases, cutoff, "week")
        b, facts = duckdb_aggregates(path, members, cases, cutoff)
        assert facts["weekly_units"] and facts["week_factor"] == 1.0
        assert_same(a, b)
        results[rules] = b
    # the rule changes the exit clock, not the occupancy units or the prior support of the participants
    any_, strict = results[("any", "any")], results[("all", "majority")]
    assert not any_["survival"].equals(strict["survival"])
    units = ["case_id", "group", "month", "t", "units"]
    assert any_["units"].groupby(units[:4])["units"].sum().equals(strict["units"].groupby(units[:4])["units"].sum())


def test_memory_engine_classifies_once_per_distinct_month_rule(monkeypatch, tmp_path: Path) -> None:
    import survival_invest.engines.memory as memory
    from survival_invest.engines.memory import memory_statistics

    calls: list[str] = []
    real = memory.spell_status

    def counting(*args, **kwargs):
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(memory, "spell_status", counting)
    text = (ROOT / "src" / "survival_invest" / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    rules = iter(["majority", "all", "majority", "majority"])
    text = "\n".join(
        f'month_rule = "{next(rules)}"' if ln.startswith("month_rule =") else ln
        for ln in text.splitlines()
        if not ln.startswith(("finance =", "payments ="))  # the bundled extracts have neither
    )
    for name in ("dream_weekly.csv", "spells_monthly.csv", "memberships.csv"):
        shutil.copy(SYNTH / name, tmp_path / name)
    weekly = text.replace('spells = "spells_monthly.csv"', 'spells = "dream_weekly.csv"')
    (tmp_path / "w.toml").write_text(weekly.replace('spells_format = "long"', 'spells_format = "dream_wide"'))
    (tmp_path / "m.toml").write_text(text)
    run = memory_statistics(load_config(tmp_path / "w.toml"), RunClock.parse("2022-06", 2))
    assert sorted(calls) == ["all", "majority"]  # four survival cases, two distinct rules
    assert [run.cohorts[c].month_rule for c in "1234"] == ["majority", "all", "majority", "majority"]
    calls.clear()
    memory_statistics(load_config(tmp_path / "m.toml"), RunClock.parse("2022-06", 2))
    assert calls == ["any"]  # monthly data: the rule cannot matter, one classification
