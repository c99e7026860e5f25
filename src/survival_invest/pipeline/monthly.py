"""The monthly follow-up job: one as-of month in, a report folder and a history row set out.

Outputs of a run (``OUT/<as-of>/``)::

    results.csv              the long results table, unrounded
    case_<id>.png / .svg     each survival case's curves
    case_<id>.csv            each case's table in the Norddjurs layout (unrounded)
    report.html              one self-contained page (images embedded)
    report.xlsx              the same tables, numbers as numbers
    run.json                 config hash, input hashes, version, as-of, cut-off, counts, warnings

Crash safety: everything is written into a temporary folder inside ``OUT``;
the finished folder is then published by atomically replacing the symbolic
link ``OUT/<as-of>`` (the run folders live in ``OUT/.runs``), so a reader sees
either the previous report or the new one, never a mix. The history
(``OUT/history.duckdb``) is updated after that in one transaction. A crash at
any point leaves the previous report and the history as they were.

Privacy: person ids never reach an output; a survival case resting on fewer
participants or comparison persons than ``min_persons`` has its estimated
figures suppressed (empty) and a warning says so.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest._atomic import write_bytes, write_text
from survival_invest._version import __version__
from survival_invest.config import Portfolio, load_config
from survival_invest.estimate import area_between
from survival_invest.io.periods import month_label, parse_as_of
from survival_invest.pipeline.portfolio import run_portfolio_full
from survival_invest.report.history import HISTORY_FILE, current_history, store_run
from survival_invest.report.tables import (
    case_table,
    portfolio_display,
    portfolio_table,
    reduction_targets_table,
    targets_display,
)
from survival_invest.report.writers import excel_report, html_report

__all__ = ["RunOutcome", "publish", "run_monthly"]

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """Where a run's report went and what it warned about."""

    folder: Path
    report: Path
    results: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _png_svg(fig) -> tuple[bytes, bytes]:
    import matplotlib.pyplot as plt

    out = []
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
        out.append(buf.getvalue())
    plt.close(fig)
    return out[0], out[1]


_CHOICES = {
    "da": {
        "non_participants": "ikke-deltagere i målgruppen",
        "target_all": "hele målgruppen (inkl. deltagere)",
        "matched": "matchede ikke-deltagere (samme måned, ydelse og varighed)",
        "first_exit": "første afgang fra forsørgelse",
        "occupancy": "andel på forsørgelse (tilbagefald tæller)",
    },
    "en": {
        "non_participants": "non-participants of the target group",
        "target_all": "the whole target group (participants included)",
        "matched": "matched non-participants (same month, benefit and duration band)",
        "first_exit": "first exit from support",
        "occupancy": "share on support (returns count)",
    },
}


def _decimal_comma_axes(ax) -> None:
    """Tick labels with a decimal comma (Danish reports)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: f"{v:g}".replace(".", ","))
    ax.yaxis.set_major_formatter(fmt)


def _development_png(history: pd.DataFrame, language: str, names: dict[str, str] | None = None) -> bytes | None:
    """Realised savings (all years to date, mio. kr.) per case by as-of month."""
    h = history[(history["measure"] == "savings") & (history["kind"] == "realised")]
    if h.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    piv = h.groupby(["as_of", "case_id"])["value"].sum().unstack("case_id").sort_index()
    fig, ax = plt.subplots(figsize=(8, 4))
    names = names or {}
    for case_id in piv.columns:
        name = names.get(str(case_id), "")
        short = f"{case_id}: {name[:38]}{'…' if len(name) > 38 else ''}" if name else str(case_id)
        ax.plot(piv.index, -piv[case_id], marker="o", label=short)
    da = language == "da"
    if da:
        _decimal_comma_axes(ax)
    ax.set_ylabel("Realiseret besparelse, mio. kr." if da else "Realised savings, DKK million")
    ax.set_xlabel("Opgørelsesmåned" if da else "As-of month")
    ax.grid(alpha=0.3)
    ax.legend(title="Sag" if da else "Case", fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    png, _ = _png_svg(fig)
    return png


def publish(tmp: Path, out: Path, label: str, run_id: str) -> Path:
    """Move a finished run folder into ``out/.runs`` and point the link ``out/<label>`` at it atomically."""
    runs = out / ".runs"
    runs.mkdir(exist_ok=True)
    final = runs / f"{label}-{run_id}"
    os.replace(tmp, final)
    link = out / label
    tmp_link = out / f".{label}.{run_id}.link"
    os.symlink(os.path.relpath(final, out), tmp_link, target_is_directory=True)
    if link.exists() and not link.is_symlink():
        # a folder from an older layout: keep it, move it aside first
        os.replace(link, runs / f"{label}-legacy-{run_id}")
    os.replace(tmp_link, link)
    return link


def run_monthly(
    config: Portfolio | str | Path,
    as_of: str,
    out: Path,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str | None = None,
) -> RunOutcome:
    """Run every case for ``as_of`` and write the report folder and history (see the module docstring).

    ``engine`` overrides the config's ``[engine]`` (``memory``, ``duckdb``, ``spark``, ``auto``).
    """
    portfolio = config if isinstance(config, Portfolio) else load_config(config)
    total = len(portfolio.cases) + 3  # read + cases + report + publish
    step = [0]

    def say(message: str) -> None:
        step[0] += 1
        if progress is not None:
            progress(message, step[0], total)

    lang = portfolio.run.language
    as_of_p = parse_as_of(as_of, "month")
    label = str(month_label(as_of_p))
    run_time = datetime.now(UTC).replace(tzinfo=None)
    run_id = run_time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    say("reading data and building cohorts")
    run = run_portfolio_full(portfolio, as_of_p, engine=engine)
    results = run.results.copy()
    warnings: list[str] = []

    # small numbers: suppress estimated figures of cases resting on too few persons
    min_n = portfolio.run.min_persons
    for case_id, stats in run.statistics.items():
        small = [g for g in ("comparison", "intervention") if stats.persons(g) < min_n]
        if small:
            rows = (
                (results["case_id"] == case_id) & (results["kind"] != "budget") & (results["measure"] != "investment")
            )
            results.loc[rows, ["value", "lower", "upper"]] = np.nan
            warnings.append(
                f"case {case_id}: fewer than {min_n} persons in the {' and '.join(small)} group; estimates suppressed"
            )

        else:
            # a year's figures rest on the participants who had entered by its end
            ent = stats.entrants
            entry_year, n_ent = ent["entry"].to_numpy() // 12, ent["n"].to_numpy()
            entered = {
                y: int(n_ent[entry_year <= y].sum())
                for y in results.loc[results["case_id"] == case_id, "year"].unique()
            }
            few = [y for y, n in entered.items() if n < min_n]
            if few:
                rows = (
                    (results["case_id"] == case_id)
                    & results["year"].isin(few)
                    & (results["kind"] != "budget")
                    & (results["measure"] != "investment")
                )
                results.loc[rows, ["value", "lower", "upper"]] = np.nan
                warnings.append(
                    f"case {case_id}: fewer than {min_n} participants by {', '.join(map(str, sorted(few)))}; "
                    "those years' estimates suppressed"
                )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=f".tmp-{label}-"))
    try:
        write_text(tmp / "results.csv", results.to_csv(index=False, lineterminator="\n"))
        cutoff_label = str(month_label(run.cutoff))
        case_blocks = []
        sheets: dict[str, pd.DataFrame] = {}
        for case in portfolio.cases:
            say(f"case {case.id}")
            table = case_table(results, case.id, language=lang)
            write_text(tmp / f"case_{case.id}.csv", table.to_csv(lineterminator="\n"))
            sheets[f"{'Case' if lang == 'en' else 'Sag'} {case.id}"] = table
            block = {"id": case.id, "name": case.name, "table": table, "settings": {}}
            if case.method == "survival":
                stats = run.statistics[case.id]
                n_c, n_i = stats.persons("comparison"), stats.persons("intervention")
                block["settings"] = {
                    ("sammenligning" if lang == "da" else "comparison"): _CHOICES[lang][case.comparison],
                    ("kurve" if lang == "da" else "curve"): _CHOICES[lang][case.curve],
                    ("varig afgang, perioder" if lang == "da" else "durable exit, periods"): case.durable_exit,
                    ("horisont, mdr." if lang == "da" else "horizon, months"): case.horizon,
                    ("deltagere" if lang == "da" else "participants"): n_i if n_i >= min_n else f"<{min_n}",
                    ("sammenligningspersoner" if lang == "da" else "comparison persons"): n_c
                    if n_c >= min_n
                    else f"<{min_n}",
                    ("usikkerhed" if lang == "da" else "uncertainty"): "delta-metode, 95 %"
                    if lang == "da"
                    else "delta method, 95 %",
                }
                if n_c >= min_n and n_i >= min_n:
                    from survival_invest.report.plots import case_figure

                    curves = stats.curves()
                    comp = curves.curve("comparison", name="Sammenligning" if lang == "da" else "Comparison")
                    intv = curves.curve("intervention", name="Indsats" if lang == "da" else "Intervention")
                    area = area_between(comp, intv, case.horizon)
                    fig = case_figure(
                        comp,
                        intv,
                        tau=case.horizon,
                        area=area,
                        longest_follow_up=float(run.cutoff - stats.first_entry),
                        cutoff_label=cutoff_label,
                        min_persons=min_n,
                        language=lang,
                        title=case.name,
                    )
                    png, svg = _png_svg(fig)
                    write_bytes(tmp / f"case_{case.id}.png", png)
                    write_bytes(tmp / f"case_{case.id}.svg", svg)
                    block["png"] = png
            else:
                block["settings"] = {
                    ("opfølgning" if lang == "da" else "follow-up"): (
                        "optælling af placeringer × besparelse pr. placering (ingen kurver)"
                        if lang == "da"
                        else "placements counted × saving per placement (no curves)"
                    ),
                }
            case_blocks.append(block)
        say("writing the report")
        port = portfolio_table(results, kind="budget")
        port_shown, port_summary = portfolio_display(port, lang)
        targets = None
        if portfolio.targets is not None:
            tg = portfolio.targets
            fc = results[(results["measure"] == "savings") & (results["kind"] == "forecast")]
            delivered = fc.groupby("year")["value"].sum().reindex(list(tg.years)).fillna(0.0)
            for amounts in tg.other_initiatives.values():
                delivered = delivered + pd.Series(amounts, index=list(tg.years))
            targets = reduction_targets_table(pd.Series(tg.reduction, index=list(tg.years)), delivered)
            # show what "delivered" is made of: the portfolio's forecast and each other initiative
            parts = {
                ("Porteføljens forventede besparelse" if lang == "da" else "Portfolio forecast savings"): fc.groupby(
                    "year"
                )["value"]
                .sum()
                .reindex(list(tg.years))
                .fillna(0.0)
                .to_numpy()
            }
            for name, amounts in tg.other_initiatives.items():
                parts[name] = np.asarray(amounts, dtype=float)
            detail = pd.DataFrame(parts, index=list(tg.years)).T
            targets = pd.concat([targets.iloc[:1], detail, targets.iloc[1:]])
            targets = targets_display(targets, lang)
            sheets["Reduktionsmål" if lang == "da" else "Reduction targets"] = targets
        sheets["Portefølje" if lang == "da" else "Portfolio"] = port_shown
        sheets["Resultater" if lang == "da" else "Results"] = results.set_index("case_id")  # index header: case_id
        history_path = out / HISTORY_FILE
        hist = current_history(history_path)
        hist = hist[hist["as_of"] != label]
        frames = [results.assign(as_of=label)] if hist.empty else [hist, results.assign(as_of=label)]
        dev = pd.concat(frames, ignore_index=True)
        meta = {
            ("Opgørelsesmåned" if lang == "da" else "As-of month"): label,
            (
                "Datagrænse" if lang == "da" else "Data cut-off"
            ): f"{cutoff_label} ({portfolio.run.data_lag} mdr. forsinkelse)"
            if lang == "da"
            else f"{cutoff_label} (lag {portfolio.run.data_lag} months)",
            ("Prisniveau" if lang == "da" else "Price level"): f"{portfolio.run.price_level} p/l",
            ("Mindste antal personer" if lang == "da" else "Minimum persons"): str(min_n),
            "Version": __version__,
        }
        title = ("Opfølgning på investeringscases" if lang == "da" else "Follow-up of investment cases") + f" {label}"
        page = html_report(
            title=title,
            language=lang,
            meta=meta,
            cases=case_blocks,
            portfolio=port_shown,
            development_png=_development_png(dev, lang, {c.id: c.name for c in portfolio.cases}),
            notes=warnings,
            targets=targets,
            summary=port_summary,
        )
        write_text(tmp / "report.html", page)
        write_bytes(tmp / "report.xlsx", excel_report(sheets, lang))
        inputs = {
            str(p): _sha256(p)
            for p in (
                portfolio.data.spells,
                portfolio.data.memberships,
                portfolio.data.classification,
                portfolio.data.finance,
            )
            if p
        }
        counts = {
            cid: {
                "persons": s.persons("comparison") + s.persons("intervention"),
                "comparison": s.persons("comparison"),
                "intervention": s.persons("intervention"),
            }
            for cid, s in run.statistics.items()
        }
        info = {
            "as_of": label,
            "cutoff": cutoff_label,
            "data_lag": portfolio.run.data_lag,
            "run_id": run_id,
            "run_time_utc": run_time.isoformat(timespec="seconds"),
            "package_version": __version__,
            "config": str(portfolio.source),
            "config_sha256": _sha256(portfolio.source),
            "inputs_sha256": inputs,
            "results_rows": len(results),
            "input_rows": run.input_rows,
            "engine": run.engine,
            "cohorts": counts,
            "warnings": warnings,
            "uncertainty": "95 % delta method from the Kaplan-Meier curves (Greenwood covariance)",
        }
        write_text(tmp / "run.json", json.dumps(info, indent=2, ensure_ascii=False) + "\n")
        say("publishing")
        link = publish(tmp, out, label, run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    store_run(out / HISTORY_FILE, results, as_of=label, run_time=run_time, run_id=run_id)
    log.info("run %s for %s published at %s", run_id, label, link)
    return RunOutcome(link, link / "report.html", results, warnings)
