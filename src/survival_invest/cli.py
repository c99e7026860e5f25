"""Command line: ``survival-invest``. A thin shell over the library.

``main(argv) -> int`` parses arguments, calls the library and translates the
package's exceptions into one line on stderr and exit code 2; anything else is
an internal error, exit code 1 (traceback with ``-v``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from survival_invest._atomic import write_bytes
from survival_invest.errors import SurvivalInvestError

log = logging.getLogger(__name__)


class DataFileError(SurvivalInvestError, ValueError):
    """A data file named on the command line is missing or malformed."""


def _cmd_curves(args: argparse.Namespace) -> int:
    """Fit the comparison and intervention curves of a two-group file and write plot + area."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from survival_invest.estimate import area_between, kaplan_meier
    from survival_invest.estimate.plot import plot_curves, shade_between

    path: Path = args.data
    if not path.is_file():
        raise DataFileError(f"{path}: file not found (expected a CSV with columns group, duration, event).")
    frame = pd.read_csv(path)
    missing = [c for c in ("group", "duration", "event") if c not in frame.columns]
    if missing:
        raise DataFileError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}.")
    curves = {}
    for role, label in (("comparison", args.comparison), ("intervention", args.intervention)):
        rows = frame[frame["group"] == label]
        if rows.empty:
            raise DataFileError(f"{path}: column 'group' has no rows with value {label!r} (the {role} group).")
        curves[role] = kaplan_meier(rows["duration"], rows["event"], label=f"{label} (n={len(rows)})")
    area = area_between(curves["comparison"], curves["intervention"], args.tau)

    args.out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plot_curves([curves["comparison"], curves["intervention"]], ax=ax, at_risk=True)
    shade_between(
        ax,
        curves["comparison"],
        curves["intervention"],
        args.tau,
        label=f"area to {args.tau:g}: {area.value:.2f} [{area.lower:.2f}, {area.upper:.2f}]",
    )
    ax.set_title("Share still on public support since entry")
    for ext in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=120, bbox_inches="tight")
        write_bytes(args.out / f"curves.{ext}", buf.getvalue())
    plt.close(fig)
    summary = {
        "tau": args.tau,
        "area_between": area.value,
        "se": area.se,
        "lower": area.lower,
        "upper": area.upper,
        "p_value": area.p_value,
        "rmst_comparison": area.comparison.to_dict() if area.comparison else None,
        "rmst_intervention": area.intervention.to_dict() if area.intervention else None,
    }
    write_bytes(args.out / "area.json", (json.dumps(summary, indent=2) + "\n").encode())
    print(
        f"Area between curves to {args.tau:g} periods: {area.value:.3f} periods saved per participant "
        f"(95 % CI {area.lower:.3f} to {area.upper:.3f})."
    )
    print(f"Wrote {args.out / 'curves.png'}, {args.out / 'curves.svg'} and {args.out / 'area.json'}")
    return 0


class _Progress:
    """A progress bar on a terminal (``[#####-----] 3/7 case 2``); silent when not a terminal or with --quiet."""

    def __init__(self, quiet: bool, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.on = not quiet and self.stream.isatty()
        self.width = 0

    def __call__(self, message: str, step: int, total: int) -> None:
        if not self.on:
            return
        filled = round(20 * step / max(total, 1))
        line = f"[{'#' * filled}{'-' * (20 - filled)}] {step}/{total} {message}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def done(self) -> None:
        if self.on and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _cmd_run(args: argparse.Namespace) -> int:
    """Run every case of the config for one as-of month and write the report folder."""
    from survival_invest.pipeline.monthly import run_monthly

    progress = _Progress(args.quiet)
    try:
        outcome = run_monthly(args.config, args.as_of, args.out, progress=progress, engine=args.engine)
    finally:
        progress.done()
    for w in outcome.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"Report: {outcome.report}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """Check config and data without computing; print what was found or every problem."""
    from survival_invest.pipeline.validate import validate

    report, problems = validate(args.config, as_of=args.as_of)
    for line in report:
        print(line)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 2 if problems else 0


def _cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic portfolio (extracts + config) that `run` accepts as it is."""
    from survival_invest.synthetic.cli import write_synthetic_portfolio

    config = write_synthetic_portfolio(args.out, seed=args.seed)
    print(f"Wrote a synthetic portfolio to {args.out}; run it with:")
    print(f"  survival-invest run --config {config} --as-of 2022-06 --out reports/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survival-invest", description="Follow employment investments with survival curves."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("curves", help="fit two groups' curves from a CSV and write the plot and the area between them")
    p.add_argument("--data", type=Path, required=True, help="CSV with columns group, duration, event")
    p.add_argument("--tau", type=float, default=36.0, help="horizon of the area between the curves (periods)")
    p.add_argument("--comparison", default="comparison", help="group label of the comparison group")
    p.add_argument("--intervention", default="intervention", help="group label of the intervention group")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=_cmd_curves)

    p = sub.add_parser("run", help="run every case of a portfolio for one as-of month and write the report")
    p.add_argument("--config", type=Path, required=True, help="portfolio TOML file")
    p.add_argument("--as-of", required=True, help="as-of month, YYYY-MM (the cut-off is as-of minus the data lag)")
    p.add_argument("--out", type=Path, required=True, help="reports folder; the run goes to OUT/<as-of>/")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    p.add_argument(
        "--engine",
        choices=["auto", "memory", "duckdb", "spark"],
        default=None,
        help="where to aggregate the extract (default: the config's [engine], else auto by size)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check config and data without computing")
    p.add_argument("--config", type=Path, required=True, help="portfolio TOML file")
    p.add_argument("--as-of", default=None, help="also check the cut-off of this as-of month (YYYY-MM)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("synth", help="write a synthetic portfolio (extracts + config) that run accepts")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument("--seed", type=int, default=20200101, help="random seed (equal seeds give identical files)")
    p.set_defaults(func=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 internal error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args))
    except SurvivalInvestError as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
