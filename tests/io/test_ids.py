"""Identifier columns: Arrow strings and integer keys that are equal exactly where the ids are equal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.errors import ExtractError
from survival_invest.io.ids import arrow_strings, categories, integer_ids, integer_ids_where_canonical, person_keys
from survival_invest.io.memberships import memberships_from_frame, repeated_keys
from survival_invest.io.periods import parse_periods

ids = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.sampled_from(["007", "7", "+7", " 7", "7.0", "a", "A", "æble", "-3", "0", "00"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, min_size=1, max_size=40), st.lists(ids, min_size=1, max_size=40))
def test_person_keys_equal_exactly_where_ids_are_equal(a: list[str], b: list[str]) -> None:
    sa, sb = arrow_strings(pd.Series(a, dtype=object)), arrow_strings(pd.Series(b, dtype=object))
    ka, kb = person_keys(sa, sb)
    ta, tb = np.array([x.strip() for x in a], dtype=object), np.array([x.strip() for x in b], dtype=object)
    assert (ka[:, None] == kb[None, :]).tolist() == (ta[:, None] == tb[None, :]).tolist()
    assert (ka[:, None] == ka[None, :]).tolist() == (ta[:, None] == ta[None, :]).tolist()


def test_integer_ids_only_for_canonical_integers() -> None:
    assert integer_ids(pd.Series(["12", "0", "900000000001"])).tolist() == [12, 0, 900000000001]
    for bad in (["007"], ["+7"], ["7.0"], ["a"], ["1", None]):
        assert integer_ids(pd.Series(bad, dtype=object)) is None, bad
    assert integer_ids(pd.Series([3, 4], dtype="int64")).tolist() == [3, 4]


def test_arrow_strings_strip_and_keep_missing() -> None:
    s = arrow_strings(pd.Series([" a ", None, "b", 5], dtype=object))
    assert s.dtype == "string[pyarrow]"
    assert s.tolist()[0] == "a" and pd.isna(s.iloc[1]) and s.tolist()[2:] == ["b", "5"]
    assert arrow_strings(pd.Series([10, 20])).tolist() == ["10", "20"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-3, 3), st.integers(-2, 2), st.integers(0, 1)), min_size=1, max_size=60),
    st.sampled_from([1, 2**40, 2**61]),
)
def test_repeated_matches_pandas_duplicated(rows: list[tuple[int, int, int]], scale: int) -> None:
    f = pd.DataFrame(rows, columns=["p", "c", "g"])
    f["p"] = f["p"] * scale  # wide spans force the factorising branch
    expected = f.duplicated(keep=False).to_numpy()
    assert repeated_keys(f["p"].to_numpy(), f["c"].to_numpy(), f["g"].to_numpy()).tolist() == expected.tolist()


def test_parse_periods_many_rows_equals_row_by_row() -> None:
    rng = np.random.default_rng(4)
    labels = np.array(["2020-01", "2020-12", "2021-13", "x", None, "2019-07"], dtype=object)
    s = pd.Series(labels[rng.integers(0, len(labels), 5000)])
    fast = parse_periods(s)
    slow = [parse_periods(s.iloc[i : i + 1]) for i in range(0, 5000, 97)]  # short inputs take the row path
    assert fast[1] == "month"
    for j, (p, _f, bad) in zip(range(0, 5000, 97), slow, strict=True):
        assert bool(fast[2][j]) == bool(bad[0])
        if not bad[0]:
            assert fast[0][j] == p[0]
    weeks = pd.Series(np.array(["2020-W53", "2021-W53", "2021-W01"], dtype=object)[rng.integers(0, 3, 3000)])
    p, freq, bad = parse_periods(weeks)
    assert freq == "week" and bad.tolist() == (weeks == "2021-W53").tolist()


def test_memberships_from_arrow_and_integer_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "person_id": [11, 12, 11],
            "case_id": [1, 1, 2],
            "group": ["Target ", "intervention", "target"],
            "entry_period": ["2020-01", "2020-02", "2020-03"],
        }
    )
    frame.to_parquet(tmp_path / "m.parquet")
    m = si.read_memberships(tmp_path / "m.parquet")
    assert m["person_id"].tolist() == ["11", "12", "11"] and m["case_id"].tolist() == ["1", "1", "2"]
    assert m["group"].tolist() == ["target", "intervention", "target"] and m["row"].tolist() == [1, 2, 3]
    frame.loc[2, "case_id"] = 1
    frame.loc[2, "group"] = "TARGET"
    with pytest.raises(ExtractError, match=r"rows 1, 3: the same person is listed twice"):
        memberships_from_frame(frame)
    # "007" and "7" are different persons: not a duplicate
    ok = memberships_from_frame(
        pd.DataFrame(
            {
                "person_id": ["007", "7"],
                "case_id": ["1", "1"],
                "group": ["target", "target"],
                "entry_period": ["2020-01", "2020-01"],
            }
        )
    )
    assert len(ok) == 2


def test_categories_clean_each_distinct_value_once() -> None:
    values = pd.Series([" Target", "target", None, "intervention ", "TARGET"] * 10, dtype=object)
    c = categories(values, lower=True)
    assert isinstance(c.dtype, pd.CategoricalDtype) and sorted(c.cat.categories) == ["intervention", "target"]
    assert c.iloc[:5].tolist()[:2] == ["target", "target"] and pd.isna(c.iloc[2]) and c.iloc[3] == "intervention"
    assert categories(pd.Series([" 1", "1", "2"] * 10)).cat.categories.tolist() == ["1", "2"]
    many = categories(pd.Series([f" id{i}" for i in range(100)]))  # mostly distinct: Arrow strings instead
    assert many.dtype == "string[pyarrow]" and many.iloc[0] == "id0"


def test_integer_ids_where_canonical_leaves_the_others_missing() -> None:
    out = integer_ids_where_canonical(pd.Series(["12", "0012", "x9", "7", "+7"], index=[5, 6, 7, 8, 9]))
    assert out.dtype == "Int64" and out[0] == 12 and out[3] == 7
    assert [bool(pd.isna(out[i])) for i in range(5)] == [False, True, True, False, True]
