"""The case figure: both curves with bands, the area between them, persons at risk, the cut-off.

Small numbers are protected: each curve is drawn only while at least
``min_persons`` persons are at risk (a point resting on fewer could identify
people), and at-risk counts below the minimum are shown as ``<N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from survival_invest.estimate import SurvivalCurve

__all__ = ["case_figure", "suppressed_until"]


def suppressed_until(curve: SurvivalCurve, min_persons: int) -> float:
    """Last time at which at least ``min_persons`` persons are at risk (curve drawn up to it)."""
    tab = curve.table
    ok = tab["at_risk"].to_numpy() >= min_persons
    if not ok.any():
        return -np.inf
    # at-risk counts only fall with time (no delayed entry in cohorts): the first failing row ends the curve
    first_bad = np.flatnonzero(~ok)
    last_ok = (
        tab["time"].to_numpy()[first_bad[0] - 1]
        if first_bad.size and first_bad[0] > 0
        else tab["time"].to_numpy()[ok][-1]
    )
    return float(last_ok) if first_bad.size else float(tab["time"].to_numpy()[-1])


def case_figure(
    comparison: SurvivalCurve,
    intervention: SurvivalCurve,
    *,
    tau: float,
    area: Any,
    longest_follow_up: float,
    cutoff_label: str,
    min_persons: int,
    language: str = "da",
    title: str = "",
) -> Any:
    """Draw one case's curves; returns the matplotlib Figure (caller saves and closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    da = language == "da"
    fig, ax = plt.subplots(figsize=(12, 6))
    colors = ("tab:blue", "tab:orange")
    x_end = 0.0
    for curve, color in zip((comparison, intervention), colors, strict=True):
        tab = curve.table
        end = suppressed_until(curve, min_persons)
        keep = tab["time"].to_numpy() <= end
        t = np.concatenate([[0.0], tab["time"].to_numpy()[keep]])
        s = np.concatenate([[1.0], tab["survival"].to_numpy()[keep]])
        lo = np.concatenate([[1.0], tab["lower"].to_numpy()[keep]])
        up = np.concatenate([[1.0], tab["upper"].to_numpy()[keep]])
        ax.step(t, s, where="post", color=color, label=curve.label, linewidth=1.8)
        ax.fill_between(
            t,
            lo,
            up,
            step="post",
            color=color,
            alpha=0.15,
            linewidth=0,
            label=(
                f"95 % log-log-bånd ({curve.label.lower()})" if da else f"95 % log-log band ({curve.label.lower()})"
            ),
        )
        x_end = max(x_end, float(t[-1]))
    # shade the area where both curves are drawn (and up to the horizon)
    shade_end = min(float(tau), suppressed_until(comparison, min_persons), suppressed_until(intervention, min_persons))
    grid = np.arange(0, int(max(shade_end, 0)) + 1)

    def num(x: float) -> str:
        return f"{x:.2f}".replace(".", ",") if da else f"{x:.2f}"

    ax.fill_between(
        grid,
        comparison.survival_at(grid),
        intervention.survival_at(grid),
        step="post",
        facecolor="none",
        edgecolor="tab:green",
        hatch="///",
        linewidth=0,
        label=(
            f"areal til {tau:g} mdr.: {num(area.value)} mdr. pr. deltager [{num(area.lower)}; {num(area.upper)}]"
            if da
            else f"area to {tau:g} months: {num(area.value)} months per participant [{num(area.lower)}, {num(area.upper)}]"
        ),
    )
    ax.axvline(
        longest_follow_up,
        color="black",
        linestyle="--",
        linewidth=1,
        label=(
            f"datagrænse {cutoff_label} (længste opfølgning)"
            if da
            else f"data cut-off {cutoff_label} (longest follow-up)"
        ),
    )
    ax.axvline(
        tau,
        color="grey",
        linestyle=":",
        linewidth=1,
        label=(f"horisont {tau:g} mdr." if da else f"horizon {tau:g} months"),
    )
    ax.set_xlim(0, max(x_end, tau, longest_follow_up) + 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Måneder siden start" if da else "Months since entry")
    ax.set_ylabel("Andel på offentlig forsørgelse" if da else "Share on public support")
    ax.grid(alpha=0.3)
    note = (
        f"kurver vises, mens mindst {min_persons} personer er i risiko; 95 % log-log-bånd"
        if da
        else f"curves shown while at least {min_persons} persons are at risk; 95 % log-log bands"
    )
    import textwrap

    heading = textwrap.fill(title, 70) + "\n" if title else ""
    ax.set_title(heading + note, fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if da:
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.1f}".replace(".", ",")))
    ticks = np.asarray([x for x in ax.get_xticks() if 0 <= x <= ax.get_xlim()[1]])
    trans = ax.get_xaxis_transform()
    ax.text(
        0.0,
        -0.14,
        "Antal i risiko" if da else "Number at risk",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize="small",
        fontweight="bold",
    )
    for k, (curve, color) in enumerate(zip((comparison, intervention), colors, strict=True)):
        counts = curve.at_risk_at(ticks).to_numpy()
        y = -0.21 - 0.06 * k
        ax.text(-0.06, y, curve.label, transform=ax.transAxes, ha="right", va="top", fontsize="small", color=color)
        for x, n in zip(ticks, counts, strict=True):
            text = f"<{min_persons}" if 0 < n < min_persons else f"{n:,.0f}".replace(",", ".")
            ax.text(x, y, text, transform=trans, ha="center", va="top", fontsize="small")
    fig.subplots_adjust(bottom=0.3, left=0.16, right=0.68)
    return fig
