"""Tail models (survival_invest.estimate.tails): fits, the extended curve and its delta-method variance."""

from __future__ import annotations

import numpy as np
import pytest

from survival_invest.errors import InputError
from survival_invest.estimate import kaplan_meier
from survival_invest.estimate.tails import (
    TAIL_MODELS,
    end_of_follow_up,
    extend_curve,
    extended_variance,
    fit_tail,
    last_observed,
    monthly_counts,
)

H = 36


def _sample(rng: np.random.Generator, n: int, hazard: float, cut: int) -> tuple[np.ndarray, np.ndarray]:
    """Geometric exit times (exit at t >= 1), censored uniformly in the last year of follow-up (staggered entry)."""
    exit_t = rng.geometric(hazard, n)
    censor = rng.integers(cut - 12, cut + 1, n)
    return np.minimum(exit_t, censor), exit_t <= censor


def _extended(durations: np.ndarray, observed: np.ndarray, model: str, months: int = 12):  # type: ignore[no-untyped-def]
    km = kaplan_meier(durations, observed)
    tab = km.table
    last = last_observed(tab["time"].to_numpy(), tab["events"].to_numpy(), tab["censored"].to_numpy())
    t, d, n = monthly_counts(tab["time"].to_numpy(), tab["events"].to_numpy(), tab["censored"].to_numpy())
    fit = fit_tail(t, d, n, model, last=last, months=months)
    grid = np.arange(H)
    return extend_curve(km.survival_at(grid), km.greenwood_at(grid), fit)


def test_last_observed_counts_censorings_as_survrm2_does() -> None:
    t = np.array([1, 5, 9, 12])
    assert last_observed(t, np.array([1, 1, 0, 0]), np.array([0, 0, 2, 1])) == 12
    assert last_observed(t, np.array([1, 1, 0, 0]), np.array([0, 0, 2, 0])) == 9
    assert last_observed(t, np.zeros(4), np.zeros(4)) == -1


def test_exponential_is_the_window_hazard_in_closed_form() -> None:
    t = np.arange(1, 25)
    n = np.linspace(400, 120, 24).round()
    d = np.full(24, 5.0)
    fit = fit_tail(t, d, n, "exponential", last=24, months=12)
    window = t >= 13
    want = d[window].sum() / n[window].sum()
    np.testing.assert_allclose(fit.hazard(np.array([30.0])), want, rtol=1e-7)
    # Var(h) = h (1 - h) / N  <=> the delta method on theta = log(-log(1 - h))
    h = want
    dh_dtheta = (1 - h) * -np.log1p(-h)
    np.testing.assert_allclose(fit.covariance[0, 0] * dh_dtheta**2, h * (1 - h) / n[window].sum(), rtol=1e-6)
    assert set(fit.window) == set(range(13, 25))


@pytest.mark.parametrize("model", ["weibull", "loglogistic"])
def test_parametric_fits_recover_their_own_model(model: str) -> None:
    """Exits drawn from the model's own discrete hazards: the fit comes back to the truth."""
    theta = np.array([np.log(0.05), np.log(0.8)])
    probe = fit_tail(np.arange(1, 5), np.ones(4), np.full(4, 10.0), model, last=4)
    truth = type(probe)(model, 40, theta, np.zeros((2, 2)), np.arange(1, 41))
    t = np.arange(1, 41)
    n = np.full(40, 20000.0)
    d = np.round(n * truth.hazard(t))
    fit = fit_tail(t, d, n, model, last=40)
    np.testing.assert_allclose(fit.params, theta, atol=0.02)
    assert np.all(np.linalg.eigvalsh(fit.covariance) > 0)


def test_flat_reproduces_kaplan_meier_carried_forward() -> None:
    rng = np.random.default_rng(3)
    d, e = _sample(rng, 300, 0.05, 20)
    km = kaplan_meier(d, e)
    ext = _extended(d, e, "flat")
    np.testing.assert_allclose(ext.survival, km.survival_at(np.arange(H)), rtol=0, atol=0)
    total, tail = extended_variance(np.ones((1, H)), ext)
    assert tail[0] == 0.0 and total[0] > 0
    assert ext.extrapolated.sum() == H - 1 - int(d.max())


@pytest.mark.parametrize("model", TAIL_MODELS)
def test_the_tail_is_anchored_at_the_last_observed_value(model: str) -> None:
    rng = np.random.default_rng(5)
    d, e = _sample(rng, 400, 0.04, 22)
    ext = _extended(d, e, model)
    last = int(d.max())
    km = kaplan_meier(d, e)
    np.testing.assert_array_equal(ext.survival[: last + 1], km.survival_at(np.arange(last + 1)))
    assert np.all(np.diff(ext.survival) <= 1e-15) and np.all(ext.survival[last + 1 :] <= ext.survival[last])
    assert np.all(ext.gradient[: last + 1] == 0.0)
    assert ext.extrapolated[last + 1 :].all() and not ext.extrapolated[: last + 1].any()


def test_gradient_is_the_derivative_of_the_extended_curve() -> None:
    rng = np.random.default_rng(8)
    d, e = _sample(rng, 500, 0.05, 20)
    ext = _extended(d, e, "weibull")
    fit = ext.fit
    assert fit is not None
    step = 1e-6
    for k in range(2):
        bumped = type(fit)(fit.model, fit.last_observed, fit.params + step * np.eye(2)[k], fit.covariance, fit.window)
        grid = np.arange(H)
        km = kaplan_meier(d, e)
        up = extend_curve(km.survival_at(grid), km.greenwood_at(grid), bumped).survival
        np.testing.assert_allclose((up - ext.survival) / step, ext.gradient[:, k], atol=1e-5)


@pytest.mark.parametrize("model", TAIL_MODELS)
def test_delta_method_matches_the_spread_over_replicates(model: str) -> None:
    """RMST(36) from 24 months of follow-up, 300 replicates: the mean SE equals the SD of the estimates."""
    rng = np.random.default_rng(2024)
    estimates, ses, tails = [], [], []
    for _ in range(300):  # replicates of a small simulation, not persons
        d, e = _sample(rng, 400, 0.04, 24)
        ext = _extended(d, e, model)
        total, tail = extended_variance(np.ones((1, H)), ext)
        estimates.append(ext.survival.sum())
        ses.append(np.sqrt(total[0]))
        tails.append(tail[0])
    sd, mean_se = float(np.std(estimates)), float(np.mean(ses))
    # the spread of the estimates is what the delta method says, within Monte-Carlo error (~4 % for 300 draws)
    assert abs(mean_se / sd - 1) < 0.15, (model, mean_se, sd)
    if model == "flat":
        assert max(tails) == 0.0
    else:
        assert min(tails) > 0.0  # the tail adds its own uncertainty


def test_exponential_tail_is_unbiased_where_the_hazard_is_constant_and_flat_is_not() -> None:
    rng = np.random.default_rng(11)
    truth = float(((1 - 0.04) ** np.arange(H)).sum())
    got = {m: [] for m in ("flat", "exponential")}
    for _ in range(150):  # replicates
        d, e = _sample(rng, 400, 0.04, 24)
        for m in got:
            got[m].append(_extended(d, e, m).survival.sum())
    assert abs(np.mean(got["exponential"]) - truth) < 0.15
    assert np.mean(got["flat"]) - truth > 0.5  # the flat tail overstates time on support


def test_bad_inputs_are_refused() -> None:
    t = np.arange(1, 13)
    with pytest.raises(InputError, match="must be one of"):
        fit_tail(t, np.ones(12), np.full(12, 50.0), "gompertz", last=12)
    with pytest.raises(InputError, match="no finite fit"):
        fit_tail(t, np.full(12, 50.0), np.full(12, 50.0), "exponential", last=12, months=6)
    with pytest.raises(InputError, match="no finite fit"):
        fit_tail(t, np.zeros(12), np.zeros(12), "weibull", last=12)


def test_a_window_without_exits_gives_the_flat_tail() -> None:
    t = np.arange(1, 13)
    d = np.r_[np.ones(6), np.zeros(6)]
    fit = fit_tail(t, d, np.full(12, 50.0), "exponential", last=12, months=6)
    assert fit.model == "flat" and fit.params.size == 0
    np.testing.assert_array_equal(fit.hazard(np.array([13.0, 20.0])), [0.0, 0.0])


def test_monthly_counts_fill_the_months_without_exits() -> None:
    t, d, n = monthly_counts(np.array([3, 1, 3, 6]), np.array([1, 2, 0, 0]), np.array([0, 0, 1, 4]))
    np.testing.assert_array_equal(t, np.arange(7))
    np.testing.assert_array_equal(d, [0, 2, 0, 1, 0, 0, 0])
    np.testing.assert_array_equal(n, [8, 8, 6, 6, 4, 4, 4])


def test_end_of_follow_up_pools_the_hazard_of_the_last_months() -> None:
    """g_j = h / (n_j (1 - h)), h = D / N over the last ``months`` observed durations with persons at risk."""
    t = np.arange(11)
    d = np.array([0, 3, 2, 2, 1, 1, 0, 1, 0, 1, 0], dtype=float)
    n = np.array([50, 50, 40, 30, 20, 12, 8, 5, 3, 2, 0], dtype=float)
    months, var = end_of_follow_up(t, d, n, last=9, months=4)
    np.testing.assert_array_equal(months, [6, 7, 8, 9])
    h = 2.0 / 18.0
    np.testing.assert_allclose(var, h / (np.array([8, 5, 3, 2]) * (1 - h)), rtol=1e-15)
    # everyone at risk exits, or no one at risk: no finite pooled variance, Greenwood's terms are kept
    assert end_of_follow_up(t, np.minimum(d, 0) + n * (t > 7), n, last=9, months=2)[0].size == 0
    assert end_of_follow_up(t, d, np.zeros(11), last=9, months=4)[0].size == 0


def test_the_extended_variance_uses_the_end_terms_only_when_months_are_extrapolated() -> None:
    rng = np.random.default_rng(11)
    d, e = _sample(rng, 200, 0.05, 24)
    ext = _extended(d, e, "flat", months=6)
    assert ext.log_variance is not None and ext.fit is not None
    g = np.diff(ext.greenwood, prepend=0.0)
    end = ext.fit.end_months
    assert end.size == 6 and end.max() == int(d.max())
    np.testing.assert_array_equal(np.delete(ext.log_variance, end), np.delete(g, end))
    np.testing.assert_array_equal(ext.log_variance[end], ext.fit.end_variance)
    w = np.ones((1, H))
    a = np.cumsum(ext.survival[::-1])[::-1]
    np.testing.assert_allclose(extended_variance(w, ext)[0], (a * a) @ ext.log_variance, rtol=1e-13)
    # the same fit on a grid the data reach: nothing extrapolated, Greenwood's variance exactly
    km = kaplan_meier(d, e)
    short = np.arange(int(d.max()) + 1)
    inside = extend_curve(km.survival_at(short), km.greenwood_at(short), ext.fit)
    assert inside.log_variance is None and not inside.extrapolated.any()
    a = np.cumsum(inside.survival[::-1])[::-1]
    assert extended_variance(np.ones((1, short.size)), inside)[0][0] == (a * a) @ np.diff(inside.greenwood, prepend=0.0)


def _staggered(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exits at 0.05 then 0.03 a month from 12 months, entries over 12 months, data cut 24 months after the first."""
    hazard = np.where(np.arange(1, 200) < 12, 0.05, 0.03)
    alive = np.concatenate([[1.0], np.cumprod(1 - hazard)])
    exit_t = np.searchsorted(-alive, -rng.random(n), side="left")
    follow = 24 - rng.integers(0, 12, n)
    return np.minimum(exit_t, follow), exit_t <= follow


def test_with_few_at_risk_at_the_end_the_tail_variance_matches_the_spread() -> None:
    """Simulation check of the end-of-follow-up terms: 60 persons, one to three at risk at 24 months.

    RMST(36) with the flat tail (no tail parameters: the end terms alone): the
    mean SE is within Monte-Carlo error (about 3 % for 800 replicates) of the
    spread of the estimates; Greenwood's plug-in terms give an SE about 5 %
    below it, so the check has room to fail.
    """
    rng = np.random.default_rng(77)
    estimates, ses, greenwood = [], [], []
    for _ in range(800):  # replicates of a small simulation, not persons
        d, e = _staggered(rng, 60)
        ext = _extended(d, e, "flat")
        estimates.append(ext.survival.sum())
        ses.append(np.sqrt(extended_variance(np.ones((1, H)), ext)[0][0]))
        a = np.cumsum(ext.survival[::-1])[::-1]
        greenwood.append(np.sqrt((a * a) @ np.diff(ext.greenwood, prepend=0.0)))
    sd = float(np.std(estimates, ddof=1))
    assert abs(np.mean(ses) / sd - 1) < 0.06, (np.mean(ses), sd)
    assert np.mean(greenwood) < np.mean(ses)
