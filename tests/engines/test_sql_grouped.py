"""The per-member GROUP BY member pass (DuckDB) gives every member exactly what the window pass (the reference) gives.

The window backend also reads the units by a second scan of the extract, so the monthly units DuckDB reads off
the members' bit strings are compared with the scan's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.engines.test_engines import messy_extract

from survival_invest.engines import aggregates, duckdb_engine
from survival_invest.engines import sql as Q
from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
from survival_invest.engines.duckdb_engine import DuckDBBackend
from survival_invest.engines.sql_grouped import UNITS_CHUNK
from survival_invest.errors import ExtractError
from survival_invest.io.periods import RunClock
from survival_invest.io.readers import default_classification, memberships_from_frame
from survival_invest.stats import normalise_aggregates


class WindowDuckDB(DuckDBBackend):
    """DuckDB running the window form of the member pass (the reference; DuckDB runs both texts)."""

    name = "duckdb-windows"


def _window_steps(**kw: Any) -> list[tuple[str, str]]:
    """In place of the Spark pass (which a backend not named ``duckdb`` gets): the windows."""
    keep = ("status", "cutoff", "lookback", "src_lookback", "src_reset")
    return Q.window_member_steps(**{k: kw[k] for k in keep})


def _run(backend_type: type[DuckDBBackend], path: Path, members: pd.DataFrame, cases: list[CaseSpec]):
    m = memberships_from_frame(members)
    with pytest.MonkeyPatch.context() as mp, backend_type(path) as backend:
        mp.setattr(aggregates, "spark_member_steps", _window_steps)
        agg, _ = sql_aggregates(
            backend,
            source=str(path),
            memberships=m,
            classification=default_classification(),
            cases=cases,
            clock=RunClock(2021 * 12 + 6, 0, m.attrs["frequency"]),
        )
        outcome = backend.query("SELECT * FROM outcome ORDER BY member")
    return normalise_aggregates(agg), outcome


@pytest.mark.parametrize("weekly", [False, True])
def test_group_by_member_pass_equals_the_window_pass_member_by_member(tmp_path: Path, weekly: bool) -> None:
    outcomes = []
    for seed in range(1, 6):  # a few messy extracts
        spells, members = messy_extract(seed, weekly)
        path = tmp_path / f"spells-{seed}.parquet"
        spells.to_parquet(path, index=False)
        rules = ("majority", "all") if weekly else ("any", "any")
        cases = [CaseSpec("A", "non_participants", 1 + seed % 3, rules[0]), CaseSpec("B", "target_all", 2, rules[1])]
        agg_g, out_g = _run(DuckDBBackend, path, members, cases)
        agg_w, out_w = _run(WindowDuckDB, path, members, cases)
        pd.testing.assert_frame_equal(out_g, out_w, check_exact=True, check_dtype=False)
        for name in agg_w:
            pd.testing.assert_frame_equal(agg_g[name], agg_w[name], check_exact=True, obj=name)
        if not weekly:  # monthly units come from the members' bit strings in pieces: several pieces are read
            assert agg_g["units"]["t"].max() >= 2 * UNITS_CHUNK
        outcomes.append(out_g)
    out = pd.concat(outcomes)
    # every rule is exercised: exits, censoring by code and at the cut-off, exclusions, prior support
    assert out["event"].sum() > 0 and out["by_code"].sum() > 0 and out["no_spells"].sum() > 0
    assert (out["prior_periods"] > 0).any() and (out["prior_periods"] == 0).any()
    assert out["too_short"].sum() + out["censored_at_entry"].sum() > 0  # exclusions counted, not dropped
    assert (out["event"] == 0).sum() > out["by_code"].sum()  # some censored at the cut-off


@pytest.mark.parametrize("weekly", [False, True])
def test_both_passes_count_the_same_duplicate_rows(tmp_path: Path, weekly: bool) -> None:
    spells, members = messy_extract(5, weekly)
    ids = set(members["person_id"])
    dup_rows = spells[spells["person_id"].isin(ids)].iloc[[3, 10, 11]]
    path = tmp_path / "spells.parquet"
    pd.concat([spells, dup_rows], ignore_index=True).to_parquet(path, index=False)
    cases = [CaseSpec("A", "non_participants", 1), CaseSpec("B", "target_all", 1)]
    counts = []
    for backend_type in (DuckDBBackend, WindowDuckDB):
        with pytest.raises(ExtractError, match="repeat an earlier row") as err:
            _run(backend_type, path, members, cases)
        counts.append(int(re.search(r"(\d+) person-period rows", str(err.value)).group(1)))
    assert counts[0] == counts[1] >= 3


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_national_extract_keeps_the_engine_tables_in_the_database_file_with_the_same_aggregates(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spells, members = messy_extract(3, False)
    path = tmp_path / f"spells{suffix}"
    spells.to_parquet(path, index=False) if suffix == ".parquet" else spells.to_csv(path, index=False)
    cases = [CaseSpec("A", "non_participants", 2, "any"), CaseSpec("B", "target_all", 1, "any")]
    kinds = {}

    class Seen(DuckDBBackend):
        def close(self) -> None:  # which tables the run made, before they go
            kinds.update(dict(self._run("SELECT table_name, temporary FROM duckdb_tables()")))
            super().close()

    small, _ = _run(Seen, path, members, cases)
    assert kinds["m_agg"] and kinds["kept"]  # a small extract: TEMP tables
    kinds.clear()
    monkeypatch.setattr(duckdb_engine, "SMALL_ROWS", 0)
    monkeypatch.setattr(duckdb_engine, "SMALL_CSV_BYTES", 0)
    national, _ = _run(Seen, path, members, cases)
    assert not kinds["m_agg"] and not kinds["kept"]  # tables of the database file
    for name in small:
        pd.testing.assert_frame_equal(small[name], national[name], check_exact=True, obj=name)
