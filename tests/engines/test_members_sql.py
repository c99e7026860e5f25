"""DuckDB reads and checks the memberships itself: the same tables as the pandas path, the same errors."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engines.test_engines import assert_same, messy_extract

from survival_invest.config import load_config
from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
from survival_invest.engines.duckdb_engine import DuckDBBackend
from survival_invest.engines.members_sql import MembershipsFile
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io import read_memberships
from survival_invest.io.periods import RunClock
from survival_invest.io.readers import default_classification
from survival_invest.pipeline.portfolio import run_portfolio_full
from survival_invest.stats import normalise_aggregates

ROOT = Path(__file__).parents[2]
CUTOFF = 2021 * 12 + 6


def _run(spells: Path, memberships, cases: list[CaseSpec], freq: str = "month"):
    with DuckDBBackend(spells) as backend:
        agg, facts = sql_aggregates(
            backend,
            source=str(spells),
            memberships=memberships,
            classification=default_classification(),
            cases=cases,
            clock=RunClock(CUTOFF, 0, freq),
        )
    return normalise_aggregates(agg), facts


class Reader:
    """The pandas reader, counting its calls (a good file must never need it)."""

    def __init__(self, path: Path) -> None:
        self.path, self.calls = path, 0

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        return read_memberships(self.path)


def _write(tmp_path: Path, spells: pd.DataFrame, members: pd.DataFrame, int_ids: bool) -> tuple[Path, Path]:
    if int_ids:  # integer ids in both files (the national extract's layout)
        spells = spells.assign(person_id=spells["person_id"].str[1:].astype(np.int64) + 1)
        members = members.assign(person_id=members["person_id"].str[1:].astype(np.int64) + 1)
    sp, mp = tmp_path / "spells.parquet", tmp_path / "memberships.parquet"
    spells.to_parquet(sp, index=False)
    members.to_parquet(mp, index=False)
    return sp, mp


@settings(derandomize=True, max_examples=12, deadline=None)
@given(
    st.integers(0, 10**6),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["non_participants", "target_all"]),
    st.sampled_from(["any", "majority", "all"]),
)
def test_engine_read_memberships_give_the_pandas_tables(
    tmp_path_factory, seed: int, weekly: bool, int_ids: bool, comparison: str, rule: str
) -> None:
    spells, members = messy_extract(seed, weekly)
    sp, mp = _write(tmp_path_factory.mktemp("m"), spells, members, int_ids)
    cases = [CaseSpec("A", comparison, 2, rule), CaseSpec("B", "target_all", 1)]
    reader = Reader(mp)
    a, fa = _run(sp, read_memberships(mp), cases)
    b, fb = _run(sp, MembershipsFile(mp, None, reader), cases)
    assert reader.calls == 0  # the good file stayed in DuckDB
    assert_same(a, b)
    assert fa == fb
    assert fb["memberships_rows"] == len(members)


def test_text_ids_that_are_not_canonical_integers_have_no_spell_data_like_in_memory(tmp_path: Path) -> None:
    spells, members = messy_extract(3, False)
    sp, mp = _write(tmp_path, spells, members, int_ids=True)
    m = pd.read_parquet(mp)
    text = m["person_id"].astype(str)
    text.iloc[::5] = "0" + text.iloc[::5]  # "07": not the person 7 of an integer extract
    m.assign(person_id=text).to_parquet(mp, index=False)
    cases = [CaseSpec("A", "non_participants", 1), CaseSpec("B", "target_all", 1)]
    reader = Reader(mp)
    a, _ = _run(sp, read_memberships(mp), cases)
    b, _ = _run(sp, MembershipsFile(mp, None, reader), cases)
    assert reader.calls == 0
    assert_same(a, b)
    summary = b["summary"].groupby("item")["n"].sum()
    assert summary["excluded_no_spell_data"] >= len(m) // 5 // 2


def _bad(members: pd.DataFrame, how: str) -> pd.DataFrame:
    m = members.copy()
    if how == "blank id":
        m.loc[3, "person_id"] = ""
    elif how == "group":
        m.loc[5, "group"] = "treated"
    elif how == "period":
        m.loc[6, "entry_period"] = "2020-13"
    elif how == "repeat":
        m = pd.concat([m, m.iloc[[7]]], ignore_index=True)
    elif how == "late":
        m.loc[m["case_id"] == "A", "entry_period"] = m.loc[m["case_id"] == "A", "entry_period"].where(
            m.index[m["case_id"] == "A"] % 9 != 0, "2022-01"
        )
    elif how == "empty group":
        m = m[~((m["case_id"] == "B") & (m["group"] == "intervention"))]
    elif how == "no case":
        m = m[m["case_id"] != "B"]
    elif how == "column":
        m = m.rename(columns={"entry_period": "entry"})
    return m


@pytest.mark.parametrize("how", ["blank id", "group", "period", "repeat", "late", "empty group", "no case", "column"])
def test_a_refused_file_gets_the_in_memory_readers_message(tmp_path: Path, how: str) -> None:
    spells, members = messy_extract(11, False)
    sp, mp = _write(tmp_path, spells, members, int_ids=False)
    _bad(members, how).to_parquet(mp, index=False)
    cases = [CaseSpec("A", "non_participants", 1), CaseSpec("B", "target_all", 1)]
    errors = (ExtractError, CohortError)
    with pytest.raises(errors) as pandas_path:
        _run(sp, read_memberships(mp), cases)
    reader = Reader(mp)
    with pytest.raises(errors) as engine_path:
        _run(sp, MembershipsFile(mp, None, reader), cases)
    assert reader.calls == 1
    assert type(engine_path.value) is type(pandas_path.value)
    assert str(engine_path.value) == str(pandas_path.value)
    assert str(mp) in str(engine_path.value) or "case" in str(engine_path.value)


def test_a_padded_id_is_the_same_person_as_in_memory(tmp_path: Path) -> None:
    """Padding is not an error (the reader strips it), but only the pandas path strips: it reads such a file."""
    spells, members = messy_extract(5, False)
    sp, mp = _write(tmp_path, spells, members, int_ids=False)
    m = members.copy()
    m["person_id"] = m["person_id"].where(m.index % 4 != 0, m["person_id"] + "\u00a0")
    m.to_parquet(mp, index=False)
    cases = [CaseSpec("A", "non_participants", 1), CaseSpec("B", "target_all", 1)]
    reader = Reader(mp)
    a, _ = _run(sp, read_memberships(mp), cases)
    b, _ = _run(sp, MembershipsFile(mp, None, reader), cases)
    assert reader.calls == 1  # a no-break space found by the engine's check
    assert_same(a, b)


def test_the_bundled_portfolio_with_parquet_memberships_gives_the_in_memory_figures(tmp_path: Path, caplog) -> None:
    """The production path (``run_portfolio``): DuckDB reads the memberships file; every figure identical."""
    cfg = load_config(ROOT / "examples" / "norddjurs.toml")
    pd.read_csv(cfg.data.spells, dtype=str).to_parquet(tmp_path / "spells.parquet", index=False)
    pd.read_csv(cfg.data.memberships, dtype=str).to_parquet(tmp_path / "memberships.parquet", index=False)
    text = (ROOT / "examples" / "norddjurs.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^spells\s*=.*$", 'spells = "spells.parquet"', text)
    text = re.sub(r"(?m)^memberships\s*=.*$", 'memberships = "memberships.parquet"', text)
    if cfg.data.finance:
        shutil.copy(cfg.data.finance, tmp_path / Path(cfg.data.finance).name)
        text = re.sub(r"(?m)^finance\s*=.*$", f'finance = "{Path(cfg.data.finance).name}"', text)
    text = re.sub(r"(?m)^classification\s*=.*$", "", text)
    (tmp_path / "portfolio.toml").write_text(text, encoding="utf-8")
    memory = run_portfolio_full(tmp_path / "portfolio.toml", "2022-06", engine="memory")
    with caplog.at_level(logging.INFO, logger="survival_invest.engines.members_sql"):
        duck = run_portfolio_full(tmp_path / "portfolio.toml", "2022-06", engine="duckdb")
    assert duck.engine == "duckdb"
    assert not [r for r in caplog.records if "read in Python" in r.getMessage()]  # DuckDB read the file
    pd.testing.assert_frame_equal(memory.results, duck.results, check_exact=True)
    assert memory.results["value"].notna().sum() > 50
