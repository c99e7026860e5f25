"""The ``curves`` job: two groups' Kaplan-Meier curves, the area between them, a plot and a JSON summary.

Input: a CSV file (or a DataFrame) with one row per person and the columns
``group`` (the group's label), ``duration`` (periods on support) and
``event`` (1 = left support, 0 = censored). Output, in the folder ``out``::

    curves.png / curves.svg   both curves with 95 % bands, persons at risk, the area to tau shaded
    area.json                 tau, the area between the curves (value, se, lower, upper, p_value)
                              and each group's restricted mean time (RMST) to tau

The area is ``RMST_comparison - RMST_intervention`` to ``tau``: periods on
support saved per participant (:func:`survival_invest.estimate.area_between`).
Files are written atomically. A notebook calls :func:`write_curves`; the
command line is a shell over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survival_invest._atomic import write_bytes
from survival_invest.errors import SurvivalInvestError
from survival_invest.estimate import AreaBetween, SurvivalCurve, area_between, kaplan_meier
from survival_invest.report.plots import curves_figure, png_svg

__all__ = ["CURVES_COLUMNS", "CurvesOutcome", "DataFileError", "area_summary", "fit_two_groups", "write_curves"]

#: The columns a two-group file must have.
CURVES_COLUMNS = ("group", "duration", "event")


class DataFileError(SurvivalInvestError, ValueError):
    """A two-group data file (or frame) is missing or malformed: the message names it and what is wrong."""


@dataclass(frozen=True)
class CurvesOutcome:
    """What :func:`write_curves` fitted and wrote.

    Attributes
    ----------
    comparison, intervention : SurvivalCurve
        The two groups' curves, labelled ``"<group> (n=<persons>)"``.
    area : AreaBetween
        The area between them to ``tau``.
    png, svg, summary : Path
        The files written: ``curves.png``, ``curves.svg``, ``area.json``.
    """

    comparison: SurvivalCurve
    intervention: SurvivalCurve
    area: AreaBetween
    png: Path
    svg: Path
    summary: Path


def _read(data: Path | str | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The frame and the name that messages use for it (the file's path, or ``<DataFrame>``)."""
    if isinstance(data, pd.DataFrame):
        return data, "<DataFrame>"
    path = Path(data)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found (expected a CSV with columns group, duration, event).")
    return pd.read_csv(path), str(path)


def fit_two_groups(
    frame: pd.DataFrame,
    *,
    comparison: str = "comparison",
    intervention: str = "intervention",
    source: str = "<DataFrame>",
) -> tuple[SurvivalCurve, SurvivalCurve]:
    """Kaplan-Meier curves of the rows whose ``group`` is ``comparison`` and of those whose ``group`` is ``intervention``.

    Parameters
    ----------
    frame : DataFrame
        Columns ``group, duration, event`` (others are ignored).
    comparison, intervention : str
        The two groups' labels in ``group``.
    source : str
        How messages name the data (a file's path).

    Returns
    -------
    (SurvivalCurve, SurvivalCurve)
        The comparison and the intervention curve, each labelled ``"<label> (n=<rows>)"``.

    Raises
    ------
    DataFileError
        A column is missing or a group has no rows.
    InputError
        A duration or event is invalid (from :func:`~survival_invest.estimate.kaplan_meier`).
    """
    missing = [c for c in CURVES_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFileError(f"{source}: missing column(s) {missing}; found {list(frame.columns)}.")
    curves = []
    for role, group in (("comparison", comparison), ("intervention", intervention)):
        rows = frame[frame["group"] == group]
        if rows.empty:
            raise DataFileError(f"{source}: column 'group' has no rows with value {group!r} (the {role} group).")
        curves.append(kaplan_meier(rows["duration"], rows["event"], label=f"{group} (n={len(rows)})"))
    return curves[0], curves[1]


def area_summary(area: AreaBetween, tau: float) -> dict[str, object]:
    """The contents of ``area.json``: tau, the area's value, se, limits and p-value, and each group's RMST."""
    return {
        "tau": tau,
        "area_between": area.value,
        "se": area.se,
        "lower": area.lower,
        "upper": area.upper,
        "p_value": area.p_value,
        "rmst_comparison": area.comparison.to_dict() if area.comparison else None,
        "rmst_intervention": area.intervention.to_dict() if area.intervention else None,
    }


def write_curves(
    data: Path | str | pd.DataFrame,
    out: Path | str,
    *,
    tau: float = 36.0,
    comparison: str = "comparison",
    intervention: str = "intervention",
) -> CurvesOutcome:
    """Fit both groups' curves, and write their plot and the area between them to ``tau`` (see the module docstring).

    Parameters
    ----------
    data : path or DataFrame
        A CSV file, or a frame, with columns ``group, duration, event``.
    out : path
        The output folder (created when missing).
    tau : float
        The horizon of the area between the curves (periods).
    comparison, intervention : str
        The two groups' labels in ``group``.

    Returns
    -------
    CurvesOutcome
        The curves, the area and the paths written.

    Raises
    ------
    DataFileError
        The file is missing, a column is missing or a group has no rows; nothing is written.
    """
    frame, source = _read(data)
    comp, intv = fit_two_groups(frame, comparison=comparison, intervention=intervention, source=source)
    area = area_between(comp, intv, tau)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = png_svg(curves_figure(comp, intv, tau, area), dpi=120)
    paths = folder / "curves.png", folder / "curves.svg", folder / "area.json"
    write_bytes(paths[0], png)
    write_bytes(paths[1], svg)
    write_bytes(paths[2], (json.dumps(area_summary(area, tau), indent=2) + "\n").encode())
    return CurvesOutcome(comp, intv, area, *paths)
