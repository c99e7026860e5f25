"""Spark's per-member GROUP BY member pass gives every member exactly what the window pass gives, and DuckDB's tables.

One local Spark session for the module (started here, stopped at its end):
each run materialises both member passes in the same session, so the window
pass's ``m_agg`` and the grouped one are compared row by row, and the four
aggregates against DuckDB's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.engines.test_engines import messy_extract

from survival_invest.engines import aggregates, sql_spark
from survival_invest.engines import sql as Q
from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
from survival_invest.engines.duckdb_engine import DuckDBBackend
from survival_invest.engines.spark_engine import SparkBackend
from survival_invest.io.periods import RunClock, week_label
from survival_invest.io.readers import default_classification, memberships_from_frame
from survival_invest.stats import normalise_aggregates

M_AGG = ["member", "present", "t_c", "dup_rows", "entry_code_key", "exit_mid", "last_on", "prior_periods"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    # a session another module left running would be handed back with its settings: stop it first
    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("survival-invest-test-sql-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    yield session
    session.stop()


def _both_passes(broadcast: bool, seen: dict[str, Any]):
    """``spark_member_steps`` preceded by the window pass into ``m_win_agg`` (same status text and clocks)."""
    real = sql_spark.spark_member_steps

    def steps(**kw: Any) -> list[tuple[str, str]]:
        seen.update(kw)
        window = Q.window_member_steps(
            status=kw["status"], cutoff=kw["cutoff"], lookback=kw["lookback"],
            src_lookback=kw["src_lookback"], src_reset=kw["src_reset"],
        )  # fmt: skip
        window[-1] = ("m_win_agg", window[-1][1])
        return [*window, *real(**{**kw, "broadcast": broadcast})]

    return steps


def _frames(backend: Any, path: Path, members: pd.DataFrame, cases: list[CaseSpec]) -> dict[str, pd.DataFrame]:
    m = memberships_from_frame(members)
    weeks = m.attrs["frequency"] == "week"
    agg, _ = sql_aggregates(
        backend,
        source=str(path),
        memberships=m,
        classification=default_classification(),
        cases=cases,
        clock=RunClock(2680 if weeks else 2021 * 12 + 6, 0, m.attrs["frequency"]),
    )
    return normalise_aggregates(agg)


@pytest.mark.parametrize("data", ["monthly", "weeks by month", "weeks"])
def test_grouped_spark_pass_equals_the_window_pass_and_duckdb(spark, tmp_path: Path, monkeypatch, data) -> None:
    rules = [("majority", "all"), ("any", "majority"), ("all", "any")]
    weekly = data != "monthly"
    outcomes = []
    for seed in (1, 2, 3):  # durable exits 1..3 in each case, each month rule, broadcast join and not
        spells, members = messy_extract(seed, weekly)
        if data == "weeks":  # weekly memberships: weeks analysed as weeks, ~120 periods of follow-up (2 words)
            entry = 2560 + np.random.default_rng(seed).integers(0, 50, len(members))
            members = members.assign(entry_period=week_label(entry))
        path = tmp_path / f"spells-{seed}.parquet"
        spells.to_parquet(path, index=False)
        cases = [
            CaseSpec("A", "non_participants", seed, rules[seed - 1][0]),
            CaseSpec("B", "target_all", 4 - seed, rules[seed - 1][1]),
        ]
        seen: dict[str, Any] = {}
        monkeypatch.setattr(aggregates, "spark_member_steps", _both_passes(seed != 2, seen))
        with SparkBackend(path, session=spark) as backend:
            agg_s = _frames(backend, path, members, cases)
            win = backend.query(f"SELECT {', '.join(M_AGG)} FROM m_win_agg WHERE present = 1 ORDER BY member")
            grouped = backend.query(f"SELECT {', '.join(M_AGG)} FROM m_agg ORDER BY member")
            outcomes.append(backend.query("SELECT * FROM outcome"))
        assert seen["rollup"] is (data == "weeks by month") and seen["broadcast"] is True  # few members: broadcast
        assert (seen["horizon"] > sql_spark.WORD) is (data == "weeks")
        pd.testing.assert_frame_equal(grouped, win, check_exact=True, check_dtype=False)
        with DuckDBBackend(path) as duck:
            agg_d = _frames(duck, path, members, cases)
        for name in agg_d:
            pd.testing.assert_frame_equal(agg_s[name], agg_d[name], check_exact=True, obj=name)
    out = pd.concat(outcomes)
    # every rule is exercised: exits, censoring by code and at the cut-off, exclusions, prior support
    assert out["event"].sum() > 0 and out["by_code"].sum() > 0 and out["no_spells"].sum() > 0
    assert (out["prior_periods"] > 0).any() and (out["prior_periods"] == 0).any()
    assert out["too_short"].sum() + out["censored_at_entry"].sum() > 0
    assert (out["event"] == 0).sum() > out["by_code"].sum()


def test_words_cover_the_range_and_read_back_as_the_bits() -> None:
    # 63-bit words: t in [-36, 90] needs three; the string has one digit per period, lowest period first
    words = sql_spark._words("x", "1 = 1", "t", -36, 90)
    assert len(words) == 3 and "t >= 90 AND t < 153" in words[2]
    bits = sql_spark._bits("x", -36, 90)
    assert bits.count("bin(x_") == 3 and bits.endswith(", 1, 127)")
