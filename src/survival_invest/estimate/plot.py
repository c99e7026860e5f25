"""Plots of survival curves (matplotlib is imported inside the functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from survival_invest.estimate.curves import SurvivalCurve

__all__ = ["plot_curves", "shade_between"]


def _step_xy(curve: SurvivalCurve) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tab = curve.table
    t = np.concatenate([[0.0], tab["time"].to_numpy()])
    s = np.concatenate([[1.0], tab["survival"].to_numpy()])
    lo = np.concatenate([[1.0], tab["lower"].to_numpy()])
    up = np.concatenate([[1.0], tab["upper"].to_numpy()])
    return t, s, lo, up


def plot_curves(
    curves: Sequence[SurvivalCurve],
    ax: Any = None,
    *,
    ci_band: bool = True,
    at_risk: bool = False,
    at_risk_times: Sequence[float] | None = None,
    xlabel: str = "Periods since entry",
    ylabel: str = "Share still on public support",
    colors: Sequence[str] | None = None,
) -> Any:
    """Draw Kaplan-Meier step curves with their pointwise confidence bands.

    Parameters
    ----------
    curves : sequence of SurvivalCurve
    ax : matplotlib Axes, optional
        Drawn on the current axes when None (inline in Jupyter).
    ci_band : bool
        Shade the pointwise band (its type is the curve's ``ci``, named in the legend).
    at_risk : bool
        Print the number at risk under the axes at ``at_risk_times``
        (default: the x ticks); labelled "weighted" for weighted curves.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.gca()
    palette = colors or plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, curve in enumerate(curves):
        t, s, lo, up = _step_xy(curve)
        color = palette[k % len(palette)]
        ax.step(t, s, where="post", color=color, label=curve.label or f"curve {k + 1}")
        if ci_band:
            ax.fill_between(
                t,
                lo,
                up,
                step="post",
                color=color,
                alpha=0.2,
                linewidth=0,
                label=f"{100 * (1 - curve.alpha):g} % band ({curve.ci})" if k == 0 else None,
            )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    if at_risk:
        _at_risk_table(ax, curves, at_risk_times)
    return ax


def _at_risk_table(ax: Any, curves: Sequence[SurvivalCurve], times: Sequence[float] | None) -> None:
    ticks = np.asarray(times if times is not None else ax.get_xticks(), dtype=float)
    lo, hi = ax.get_xlim()
    ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    trans = ax.get_xaxis_transform()
    weighted = any(c.weighted for c in curves)
    ax.text(
        0.0,
        -0.16,
        "Weighted number at risk" if weighted else "Number at risk",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize="small",
        fontweight="bold",
    )
    for k, curve in enumerate(curves):
        counts = curve.at_risk_at(ticks).to_numpy()
        y = -0.24 - 0.07 * k
        ax.text(
            -0.03, y, curve.label or f"curve {k + 1}", transform=ax.transAxes, ha="right", va="top", fontsize="small"
        )
        for x, n in zip(ticks, counts, strict=True):
            ax.text(x, y, f"{n:,.0f}", transform=trans, ha="center", va="top", fontsize="small")
    ax.figure.subplots_adjust(bottom=0.22 + 0.07 * len(curves))


def shade_between(
    ax: Any,
    comparison: SurvivalCurve,
    intervention: SurvivalCurve,
    tau: float,
    *,
    color: str = "tab:green",
    label: str | None = "area between curves",
) -> Any:
    """Shade the area between two curves from 0 to ``tau`` (the saved time per participant).

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    comparison, intervention : SurvivalCurve
        The curves; the shaded band lies between them on the union of their event times up to ``tau``.
    tau : float
        The horizon; a dotted line marks it.
    color : str
        The shade's colour.
    label : str or None
        The legend entry of the shade.

    Returns
    -------
    matplotlib Axes
    """
    grid = np.union1d(comparison.table["time"].to_numpy(), intervention.table["time"].to_numpy())
    grid = np.union1d(grid[grid <= tau], [0.0, float(tau)])
    ax.fill_between(
        grid,
        comparison.survival_at(grid),
        intervention.survival_at(grid),
        step="post",
        color=color,
        alpha=0.25,
        linewidth=0,
        label=label,
    )
    ax.axvline(tau, color="grey", linestyle=":", linewidth=1)
    ax.legend(loc="upper right", fontsize="small")
    return ax
