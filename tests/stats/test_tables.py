"""The at-risk expansion of :mod:`survival_invest.stats.tables` equals spreading every row over its periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from survival_invest.stats.tables import persons_followed

KINDS = ("followed", "counted", "spell")


def _spread(lengths: pd.DataFrame, keys: list[str], kinds: tuple[str, ...]) -> pd.DataFrame:
    """The definition: every row repeated for ``t = 0 .. length - 1``, summed per (keys, t) and kind."""
    rows = [
        {**{k: r[k] for k in keys}, "t": t, "kind": r["kind"], "n": r["n"]}
        for _, r in lengths.iterrows()
        for t in range(max(int(r["length"]), 0))
        if r["kind"] in kinds
    ]
    if not rows:
        return pd.DataFrame(columns=[*keys, "t", *kinds])
    long = pd.DataFrame(rows)
    wide = long.pivot_table(index=[*keys, "t"], columns="kind", values="n", aggfunc="sum", fill_value=0)
    return wide.reindex(columns=list(kinds), fill_value=0).reset_index().rename_axis(columns=None)


rows = st.lists(
    st.tuples(
        st.sampled_from(["comparison", "intervention"]),
        st.integers(0, 3),
        st.sampled_from(["", "a", "b"]),
        st.integers(-1, 2),
        st.sampled_from(KINDS),
        st.integers(-1, 7),
        st.integers(0, 3),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_expansion_equals_spreading_every_row(data: list[tuple]) -> None:
    cols = ["group", "entry", "benefit_group", "prior_periods", "kind", "length", "n"]
    lengths = pd.DataFrame(data, columns=cols).astype({"entry": np.int64, "length": np.int64, "n": np.int64})
    for keys, kinds in ((["group", "entry"], ("followed",)), (["entry", "benefit_group", "prior_periods"], KINDS)):
        sel = lengths[lengths["kind"] == "followed"] if kinds == ("followed",) else lengths
        got = (
            persons_followed(sel.drop(columns="kind"), keys)
            if kinds == ("followed",)
            else persons_followed(sel, keys, kinds)
        )
        want = _spread(sel, keys, kinds)
        if kinds == ("followed",):
            want = want.rename(columns={"followed": "n"})
        assert list(got.columns) == list(want.columns)
        assert len(got) == len(want)
        if len(want):
            pd.testing.assert_frame_equal(got, want.astype(got.dtypes.to_dict()), check_exact=True)


def test_a_long_follow_up_counts_the_persons_still_followed() -> None:
    lengths = pd.DataFrame({"entry": [5, 5, 6], "length": [3, 1, 2], "n": [2, 4, 1]})
    got = persons_followed(lengths, ["entry"])
    assert got["entry"].tolist() == [5, 5, 5, 6, 6]
    assert got["t"].tolist() == [0, 1, 2, 0, 1]
    assert got["n"].tolist() == [6, 2, 2, 1, 1]
