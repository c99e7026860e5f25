"""The run's record, ``run.json``: what was run, on what, when, and what it warned about.

Keys, in order: ``as_of, cutoff, data_lag, run_id, run_time_utc,
package_version, config, config_sha256, inputs_sha256, inputs, results_rows,
input_rows, engine, cohorts, warnings, uncertainty, pruned``. ``inputs_sha256`` maps each local input to a SHA-256 (a file's contents; for a
folder of parts or a glob, the hash over the parts' Parquet footers or contents);
``inputs`` says what identifies each input
(:func:`survival_invest.io.sources.input_identity`: a file's hash, a folder's
sorted parts with sizes and modification times, or a URI with, under
``engine_report``, what the engine read: the files and, from Parquet footers,
the rows). Person ids never
appear (``cohorts`` holds head counts only). ``pruned`` says what the run removed
from the reports folder before publishing: ``leftovers`` (temporary folders and
links of killed runs) and ``run_folders`` (superseded runs beyond ``[run]
keep_runs``, and runs that never published), as paths relative to the folder.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from survival_invest._version import __version__
from survival_invest.config import Portfolio
from survival_invest.io.periods import RunClock
from survival_invest.report.privacy import cohort_counts
from survival_invest.stats import CaseStatistics

__all__ = ["UNCERTAINTY", "RunStamp", "manifest_json", "run_manifest"]

#: How the intervals of the figures are made, as run.json states it.
UNCERTAINTY = "95 % delta method from the Kaplan-Meier curves (Greenwood covariance)"


@dataclass(frozen=True)
class RunStamp:
    """When a run started (UTC, no time zone) and its id ``YYYYmmddTHHMMSS-xxxxxx`` (6 random hex digits)."""

    time: datetime
    run_id: str

    @classmethod
    def now(cls) -> RunStamp:
        """A stamp for a run starting now."""
        time = datetime.now(UTC).replace(tzinfo=None)
        return cls(time, time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6])


def _cohort_counts(statistics: Mapping[str, CaseStatistics], min_persons: int) -> dict[str, dict[str, int | str]]:
    """Persons per survival case and members without spell data, small counts suppressed (:func:`cohort_counts`)."""
    return {cid: cohort_counts(s, min_persons) for cid, s in statistics.items()}


def run_manifest(
    portfolio: Portfolio,
    clock: RunClock,
    stamp: RunStamp,
    *,
    results_rows: int,
    input_rows: Mapping[str, int],
    engine: str,
    statistics: Mapping[str, CaseStatistics],
    warnings: Sequence[str],
    config_sha256: str,
    inputs_sha256: Mapping[str, str],
    inputs: Mapping[str, Mapping[str, object]] | None = None,
    pruned: Mapping[str, Sequence[str]] | None = None,
    engine_inputs: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, object]:
    """The contents of ``run.json`` (keys and their order: module docstring).

    Parameters
    ----------
    portfolio : Portfolio
        The config (its file and data lag).
    clock : RunClock
        The as-of month and the cut-off.
    stamp : RunStamp
        The run's id and start time.
    results_rows : int
        Rows of ``results.csv``.
    input_rows : mapping of str to int
        Rows read per input (and rows removed, by reason), from the run.
    engine : str
        The engine that aggregated the extract.
    statistics : mapping of case id to CaseStatistics
        The survival cases' statistics (head counts only are recorded).
    warnings : sequence of str
        The run's warnings.
    config_sha256 : str
        SHA-256 of the config file.
    inputs_sha256 : mapping of str to str
        SHA-256 of each local input, by path.
    inputs : mapping of str to mapping, optional
        What identifies each input, by path or URI (:func:`survival_invest.io.sources.input_identity`);
        ``{path: {"kind": "file", "sha256": ...}}`` from ``inputs_sha256`` when None.
    pruned : mapping of str to sequence of str, optional
        What the run removed from the reports folder (``leftovers``, ``run_folders``); empty lists when None.
    engine_inputs : mapping of str to mapping, optional
        What the engine reported of each remote input (:func:`survival_invest.io.sources.engine_files_report`:
        the files and rows it read, or ``unavailable``: why it could not say); added to that input's entry in ``inputs``
        as ``"engine_report"``.

    Returns
    -------
    dict
        JSON-ready; :func:`manifest_json` writes it.
    """
    identities: dict[str, dict[str, object]] = (
        {k: dict(v) for k, v in inputs.items()}
        if inputs is not None
        else {k: {"kind": "file", "sha256": v} for k, v in inputs_sha256.items()}
    )
    for location, report in (engine_inputs or {}).items():
        identities.setdefault(location, {"kind": "uri", "uri": location})["engine_report"] = dict(report)
    return {
        "as_of": clock.as_of_label,
        "cutoff": clock.cutoff_label,
        "data_lag": portfolio.run.data_lag,
        "run_id": stamp.run_id,
        "run_time_utc": stamp.time.isoformat(timespec="seconds"),
        "package_version": __version__,
        "config": str(portfolio.source),
        "config_sha256": config_sha256,
        "inputs_sha256": dict(inputs_sha256),
        "inputs": identities,
        "results_rows": results_rows,
        "input_rows": dict(input_rows),
        "engine": engine,
        "cohorts": _cohort_counts(statistics, portfolio.run.min_persons),
        "warnings": list(warnings),
        "uncertainty": UNCERTAINTY,
        "pruned": {k: list(v) for k, v in (pruned or {"leftovers": [], "run_folders": []}).items()},
    }


def manifest_json(info: Mapping[str, object]) -> str:
    """``info`` as ``run.json`` text: indented by 2, non-ASCII kept, one final newline."""
    return json.dumps(info, indent=2, ensure_ascii=False) + "\n"
