"""Command line: ``survival-invest``. A thin shell over the library.

``main(argv) -> int`` parses arguments, calls the library and maps errors to exit codes:

* the package's exceptions (bad config, bad data, bad arguments) -> exit 2,
  each problem on its own ``error:`` line on stderr;
* an ``OSError`` (a path that is a file where a folder is needed, no
  permission, a full disk) -> exit 2 naming the path: it is about the
  user's files and machine, not a defect of the program;
* anything else is an internal error, exit 1 (traceback with ``-v``).

Bad input never gives 1: ``tests/pipeline/test_bad_input.py`` mutates a
portfolio at random and checks that every run exits 0 or 2.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from survival_invest.choices import ENGINES
from survival_invest.config import load_config, pseudonym_key
from survival_invest.errors import InputError, SurvivalInvestError
from survival_invest.io.periods import parse_as_of
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.pipeline.convert import PART_PERSONS, convert_dream
from survival_invest.pipeline.curves import DataFileError, write_curves
from survival_invest.pipeline.monthly import run_monthly
from survival_invest.pipeline.template import write_config
from survival_invest.pipeline.validate import validate
from survival_invest.synthetic.cli import write_synthetic_portfolio

__all__ = ["DataFileError", "Progress", "build_parser", "main"]

log = logging.getLogger(__name__)


def _cmd_curves(args: argparse.Namespace) -> int:
    """Fit the comparison and intervention curves of a two-group file and write plot + area."""
    done = write_curves(args.data, args.out, tau=args.tau, comparison=args.comparison, intervention=args.intervention)
    area = done.area
    print(
        f"Area between curves to {args.tau:g} periods: {area.value:.3f} periods saved per participant "
        f"(95 % CI {area.lower:.3f} to {area.upper:.3f})."
    )
    print(f"Wrote {done.png}, {done.svg} and {done.summary}")
    return 0


class Progress:
    """A progress bar on a terminal (``[#####-----] 3/7 case 2``); silent when not a terminal or with --quiet.

    Call it as ``progress(message, step, total)`` (the callback of
    :func:`~survival_invest.pipeline.monthly.run_monthly`); :meth:`done` clears the line.
    """

    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.on = not quiet and self.stream.isatty()
        self.width = 0

    def __call__(self, message: str, step: int, total: int) -> None:
        """Redraw the bar at ``step`` of ``total`` with ``message``."""
        if not self.on:
            return
        filled = round(20 * step / max(total, 1))
        line = f"[{'#' * filled}{'-' * (20 - filled)}] {step}/{total} {message}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def done(self) -> None:
        """Clear the bar's line."""
        if self.on and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _refuse_file_as_folder(out: Path) -> None:
    """Refuse ``--out`` when it, or a folder above it, is a file (before any computing)."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                where = "" if p == out else f" (in {out})"
                raise InputError(f"--out {p}{where}: is a file; expected the reports folder (created when missing).")
            return


def _check_as_of(as_of: str) -> None:
    """Refuse an unreadable ``--as-of`` before anything is read, naming the argument."""
    try:
        parse_as_of(as_of, "month")
    except InputError as exc:
        raise InputError(f"--as-of: {exc}") from exc


def _seconds(text: str) -> float:
    """``--lock-wait``: a finite number of seconds, 0 or more (argparse turns the error into exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more (e.g. 300), got {text!r}")
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    """Run every case of the config for one as-of month and write the report folder."""
    _refuse_file_as_folder(args.out)
    _check_as_of(args.as_of)
    progress = Progress(args.quiet)
    try:
        outcome = run_monthly(
            args.config, args.as_of, args.out, progress=progress, engine=args.engine, lock_timeout=args.lock_wait
        )
    finally:
        progress.done()
    for w in outcome.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"Report: {outcome.report}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """Check config and data without computing; print what was found or every problem."""
    report, problems = validate(args.config, as_of=args.as_of, engine=args.engine)
    for line in report:
        print(line)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 2 if problems else 0


def _cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic portfolio (extracts + config) that `run` accepts as it is."""
    config = write_synthetic_portfolio(args.out, seed=args.seed, demo=args.demo)
    print(f"Wrote a synthetic portfolio to {args.out}; run it with:")
    print(f"  survival-invest run --config {config} --as-of 2022-06 --out reports/")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    """Stream a wide DREAM file to long Parquet parts (ids by the config's [privacy] when --config is given)."""
    ids, id_column = PLAIN, args.id_column
    if args.config is not None:
        config = load_config(args.config)
        ids = IdPolicy(pseudonym_key(config.privacy, config.source))
        id_column = id_column or config.data.id_column
    done = convert_dream(args.data, args.out, id_column=id_column, ids=ids, persons_per_part=args.persons_per_part)
    print(done.describe())
    print(f'Use it with [data] spells = "{done.folder}" and spells_format = "long".')
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    """Write a portfolio configuration for one's own files from the shipped template."""
    given = {k: getattr(args, k) for k in ("finance", "payments", "persons")}
    path = write_config(
        args.out, spells=args.spells, memberships=args.memberships, cpr=args.cpr, force=args.force, **given
    )
    print(f"Wrote {path}: edit its cases, budgets and costs, then check it with")
    print(f"  survival-invest validate --config {path}")
    return 0


def _add_file_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's own type
    """The ``convert`` and ``init`` commands."""
    p = sub.add_parser("convert", help="stream a wide DREAM file (SAS/CSV/...) to long Parquet parts for duckdb/spark")
    p.add_argument(
        "--data", type=Path, required=True, help="the wide DREAM file (.sas7bdat, .xpt, .dta, .csv, .parquet)"
    )
    p.add_argument("--out", type=Path, required=True, help="new folder for the Parquet parts")
    p.add_argument("--config", type=Path, default=None, help="portfolio TOML: its [privacy] and [data] id_column apply")
    p.add_argument("--id-column", default=None, help="the person id column (default PNR, else person_id)")
    p.add_argument("--persons-per-part", type=int, default=PART_PERSONS, help="persons read and written at a time")
    p.set_defaults(func=_cmd_convert)
    p = sub.add_parser("init", help="write a portfolio config for your own files (from the shipped template)")
    p.add_argument("--out", type=Path, required=True, help="the configuration file to write")
    p.add_argument("--spells", type=Path, required=True, help="the extract: long spells or a wide DREAM file")
    p.add_argument("--memberships", type=Path, required=True, help="who is in which case's groups, from when")
    p.add_argument("--finance", type=Path, default=None, help="realised investment per case and year (optional)")
    p.add_argument("--payments", type=Path, default=None, help="the payment file (optional)")
    p.add_argument("--persons", type=Path, default=None, help="the person table: birth date, sex (optional)")
    p.add_argument("--cpr", action="store_true", help='the ids are CPR numbers: [privacy] ids = "cpr"')
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=_cmd_init)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``survival-invest`` and its commands (curves, run, validate, synth, convert, init)."""
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
        choices=list(ENGINES),
        default=None,
        help="where to aggregate the extract (default: the config's [engine], else auto: memory for a matched "
        "case, duckdb for large long spells)",
    )
    p.add_argument(
        "--lock-wait",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="wait this long for another run on the same OUT, then exit 2 (default: [run] lock_timeout_seconds, 120)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check config and data without computing")
    p.add_argument("--config", type=Path, required=True, help="portfolio TOML file")
    p.add_argument("--as-of", default=None, help="also check the cut-off of this as-of month (YYYY-MM)")
    p.add_argument(
        "--engine",
        choices=list(ENGINES),
        default=None,
        help="check the engine a run would use (default: the config's [engine]; a matched case needs memory)",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("synth", help="write a synthetic portfolio (extracts + config) that run accepts")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument("--seed", type=int, default=20200101, help="random seed (equal seeds give identical files)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="also destinations on case 1 and case 6 adjusted for age (what make demo shows; in-memory engine)",
    )
    p.set_defaults(func=_cmd_synth)
    _add_file_commands(sub)
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
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except OSError as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        path = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {path}{exc.strerror or exc}; check the path and its permissions.", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
