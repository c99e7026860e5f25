"""The participants' window variance: exact against the empirical variance of simulated participants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.config import load_config
from survival_invest.economics import curve_variance, realised_savings
from survival_invest.economics.variance import window_variance
from survival_invest.stats import case_statistics

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
H = 36


def _true_curve() -> np.ndarray:
    t = np.arange(H)
    h = np.where(t < 1, 0.0, np.where(t < 6, 0.08, 0.04))
    return np.cumprod(1 - h)


def _participants(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Entries during 2020 (month numbers), counted windows to a cut-off in April 2022, two price groups."""
    entry = 2020 * 12 + rng.integers(0, 12, size=n)
    counted = np.minimum(2022 * 12 + 4 - entry, H)
    return pd.DataFrame({"entry": entry, "counted": counted, "bg": rng.choice(["a", "b"], size=n)})


def _cells(p: pd.DataFrame) -> pd.DataFrame:
    owner, t = ragged_arange(p["counted"].to_numpy())
    cells = pd.DataFrame(
        {"month": p["entry"].to_numpy()[owner] + t, "t": t, "benefit_group": p["bg"].to_numpy()[owner]}
    )
    cells["prior_periods"] = 0
    return cells.groupby(["month", "t", "benefit_group", "prior_periods"], as_index=False).size()


def _price(cells: pd.DataFrame) -> np.ndarray:
    """Months (1) and a price that changes with duration and group (a refusion-like step)."""
    t = cells["t"].to_numpy()
    return np.stack([np.ones(t.shape[0]), np.where(t < 12, 1.0, 0.4) * np.where(cells["benefit_group"] == "a", 2, 1)])


def test_window_variance_equals_the_empirical_variance_of_simulated_participants() -> None:
    """4,000 simulated sets of 60 participants with fixed windows: empirical Var per year = the formula (within 5 %)."""
    rng = np.random.default_rng(11)
    p = _participants(rng, 60)
    cells = _cells(p)
    s = _true_curve()
    years, yi = np.unique(cells["month"].to_numpy() // 12, return_inverse=True)
    formula = window_variance(cells, cells["size"].to_numpy(), _price(cells), s, yi, years.shape[0])

    owner, t = ragged_arange(p["counted"].to_numpy())
    month = p["entry"].to_numpy()[owner] + t
    cell_of = pd.MultiIndex.from_arrays([month, t, p["bg"].to_numpy()[owner]])
    key = pd.MultiIndex.from_arrays([cells["month"], cells["t"], cells["benefit_group"]])
    price = _price(cells)[:, key.get_indexer(cell_of)]
    year_of = np.searchsorted(years, month // 12)
    reps = 4000
    exit_prob = np.r_[0.0, 1 - s[1:] / s[:-1]]
    u = rng.random((reps, p.shape[0], H))
    duration = np.argmax(u < exit_prob[None, None, :], axis=2)  # first exit; 0 = none within the horizon
    duration = np.where(duration == 0, H, duration)
    in_spell = t[None, :] < duration[:, owner]  # (reps, person-months)
    totals = np.stack([(in_spell * price[m]) @ np.eye(years.shape[0])[year_of] for m in range(2)], axis=1)
    empirical = totals.var(axis=0, ddof=1)
    np.testing.assert_allclose(formula, empirical, rtol=0.05)
    # the entry year's window holds a fraction of the durations: Greenwood's whole-curve form is far off there
    n_at = np.bincount(cells["t"], weights=cells["size"], minlength=H) * np.r_[1.0, s[:-1]]  # expected at risk
    v = np.cumsum(np.r_[0.0, 1 - s[1:] / s[:-1]] / (s / np.r_[1.0, s[:-1]]) / np.maximum(n_at, 1))
    wt = np.stack([np.bincount(cells["t"][yi == y], weights=cells["size"][yi == y], minlength=H) for y in range(3)])
    whole_curve = curve_variance(wt, s, v)
    assert abs(whole_curve[0] / empirical[0, 0] - 1) > 0.15


def test_window_variance_of_one_person_is_the_variance_of_a_clipped_duration() -> None:
    """One participant, window [0, 5) in one year, price 1: Var(min(T, 5)) from the curve by hand."""
    s = np.array([1.0, 0.9, 0.7, 0.6, 0.5, 0.4, 0.3])
    cells = pd.DataFrame({"month": np.arange(5), "t": np.arange(5), "benefit_group": "", "prior_periods": 0})
    v = window_variance(cells, np.ones(5), np.ones((1, 5)), s, np.zeros(5, dtype=np.int64), 1)
    pmf = -np.diff(np.r_[s[:5], 0.0])  # P(min(T, 5) = k + 1) for k = 0..4, and T > 4 lumped at 5
    values = np.arange(1, 6)
    mean = (pmf * values).sum()
    assert np.isclose(mean, s[:5].sum())
    np.testing.assert_allclose(v, [[(pmf * values**2).sum() - mean**2]], rtol=1e-12)
    assert window_variance(cells.iloc[:0], np.zeros(0), np.ones((2, 0)), s, np.zeros(0, dtype=np.int64), 3).shape == (
        2,
        3,
    )


def test_realised_se_is_comparison_greenwood_plus_participants_window() -> None:
    """The published first-exit SE is exactly the two parts added, and the participants' part is the window one."""
    import survival_invest as si

    spells = si.read_spells(CONFIG.data.spells)
    members = si.read_memberships(CONFIG.data.memberships)
    case = CONFIG.case("3")
    stats = case_statistics(si.build_cohort(spells, members, case_id="3", as_of="2022-06", data_lag=2))
    kw = dict(price_index=CONFIG.run.price_index, price_level=CONFIG.run.price_level, refusion=CONFIG.refusion)
    f = realised_savings(stats, case, **kw).frame
    part = stats.participants
    part = part[(part["t"] < H) & (part["counted"] > 0)]
    years, yi = np.unique(part["month"].to_numpy() // 12, return_inverse=True)
    grid = np.arange(H)
    curves = stats.curves()
    labels = list(curves.labels)
    s_all, v_all = curves.survival_at(grid), curves.greenwood_at(grid)
    ic, ii = labels.index("comparison"), labels.index("intervention")
    n = part["counted"].to_numpy().astype(float)
    wt = np.stack([np.bincount(part["t"][yi == y], weights=n[yi == y], minlength=H) for y in range(len(years))])
    own = window_variance(part, n, np.ones((1, n.shape[0])), s_all[ii], yi, len(years))[0]
    expected = np.sqrt(curve_variance(wt, s_all[ic], v_all[ic]) + own) / 12
    np.testing.assert_allclose(f["saved_fte_se"].to_numpy(), expected, rtol=1e-12)
