"""The reports folder ``OUT``: one run at a time, the run folders and the link swap, leftovers, pruning.

Layout (docs/publishing.md)::

    OUT/.lock                      the run lock (fcntl.flock); names its holder while held
    OUT/history.duckdb             the history (survival_invest.report.history)
    OUT/.runs/<as-of>-<run id>/    every published run's report folder
    OUT/<as-of> -> .runs/...       the link: the month's published report
    OUT/.tmp-<as-of>-*/            a run's folder while it is written (removed by the next run if killed)
    OUT/.<as-of>.<run id>.link     the new link just before it replaces the old one (ditto)

One run at a time: a run holds an exclusive :func:`fcntl.flock` on
``OUT/.lock`` from start to end and writes its pid, host, start time and
as-of month into the file (emptied again on release, so the folder's content
is the same after a run as before). A second run waits up to
``[run] lock_timeout_seconds`` (``run --lock-wait SECONDS`` overrides it)
and then stops with :class:`RunLockedError` naming the holder. The kernel drops the lock when the holder dies, however it
dies. flock does not reach across machines on every network file system: run
the job from one machine.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from survival_invest.errors import SurvivalInvestError
from survival_invest.report.history import RunRecord
from survival_invest.report.published import RUNS_DIR, parse_run_folder

__all__ = [
    "LOCK_FILE",
    "OutputFolderError",
    "RunLock",
    "RunLockedError",
    "delete_folders",
    "move_into_runs",
    "output_folder",
    "prune_plan",
    "remove_leftovers",
    "swap_link",
]

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
_TEMP_LINK = re.compile(r"^\..+\.link$")


class RunLockedError(SurvivalInvestError):
    """Another run holds the output folder's lock and did not finish within the wait."""


class OutputFolderError(SurvivalInvestError):
    """The reports folder cannot be used (it is a file, or cannot be made)."""


def output_folder(out: Path) -> Path:
    """``out``, made with its parents when missing; refused when it is a file or cannot be made."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file; expected a folder for the reports (it is made when missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(f"cannot make the reports folder {out}: {exc.strerror}") from exc
    return out


def _holder(text: str) -> str:
    """The lock file's content as a phrase: ``pid 123 on host x, started 2026-01-01T08:00:00Z (as-of 2022-07)``."""
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on host {info['host']}, started {info['started_utc']} (as-of {info['as_of']})"
    except (ValueError, KeyError, TypeError):
        return "a run that has not yet written its pid"


class RunLock:
    """The exclusive lock of a reports folder, as a context manager (rules: module docstring).

    Parameters
    ----------
    out : Path
        The reports folder.
    timeout : float
        Seconds to wait for another holder (0: do not wait).
    as_of : str
        The run's as-of month, written into the lock file for the message of a waiting run.
    setting : str
        Where ``timeout`` came from, named in the message of a run that gave up
        (``[run] lock_timeout_seconds``, or ``--lock-wait``).
    """

    def __init__(self, out: Path, timeout: float, as_of: str, setting: str = "[run] lock_timeout_seconds") -> None:
        self.path, self.timeout, self.as_of = Path(out) / LOCK_FILE, float(timeout), as_of
        self.setting = setting
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        deadline, warned = time.monotonic() + self.timeout, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise RunLockedError(
                        f"another run is writing to {self.path.parent}: {holder}; waited {self.timeout:g} s "
                        f"({self.setting}); run again when it has finished"
                    ) from None
                if not warned:
                    log.warning("waiting up to %g s for the run holding %s: %s", self.timeout, self.path, holder)
                    warned = True
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0.0)))
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_utc": started, "as_of": self.as_of}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def remove_leftovers(out: Path) -> list[str]:
    """Remove what killed runs left in ``out`` (``.tmp-*`` folders, ``.*.link`` links); the removed names.

    Only a run holding the lock may call it: every such leftover then belongs to a run that is gone.
    """
    removed = []
    for entry in sorted(Path(out).iterdir()):
        if entry.name.startswith(".tmp-") and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        elif _TEMP_LINK.match(entry.name) and entry.is_symlink():
            entry.unlink()
        else:
            continue
        removed.append(entry.name)
    if removed:
        log.info("removed leftovers of killed runs in %s: %s", out, ", ".join(removed))
    return removed


def prune_plan(out: Path, keep: int, published: Mapping[str, str], runs: Mapping[str, RunRecord]) -> list[Path]:
    """The run folders to delete once the run publishes: all but the ``keep`` newest superseded runs per month.

    A folder ``.runs/<as-of>-<run id>`` is kept when the link ``<as-of>`` shows
    it (``published``, as it will be after this run's publication); a folder of
    a run the history has as ``staged`` or ``abandoned`` was never shown and is
    deleted; the others (superseded runs, and the ``legacy`` folders of the first
    layout) are ordered by the run's start time (the history's, to the
    microsecond; else the one in the run id, to the second) and the ``keep``
    newest of each month are kept. Names not of this form are left alone.

    Parameters
    ----------
    out : Path
        The reports folder.
    keep : int
        Superseded run folders kept per month (``[run] keep_runs``).
    published : mapping of as-of to run id
        The month's published run after this run publishes.
    runs : mapping of run id to RunRecord
        The history's runs (:meth:`~survival_invest.report.history.HistoryWriter.runs`).

    Returns
    -------
    list of Path
        The folders to delete, sorted.
    """
    parent = Path(out) / RUNS_DIR
    superseded: dict[str, list[tuple[datetime, str, Path]]] = {}
    doomed = []
    for folder in sorted(parent.iterdir()) if parent.is_dir() else []:
        parsed = parse_run_folder(folder.name)
        if parsed is None or not folder.is_dir() or folder.is_symlink():
            continue
        label, run_id, legacy = parsed
        if not legacy and published.get(label) == run_id:
            continue
        known = None if legacy else runs.get(run_id)
        if known is not None and known.state in ("staged", "abandoned"):
            doomed.append(folder)
        else:
            started = known.run_time if known is not None else datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S")
            superseded.setdefault(label, []).append((started, run_id, folder))
    for items in superseded.values():
        doomed += [folder for _, _, folder in sorted(items, reverse=True)[keep:]]
    return sorted(doomed)


def delete_folders(folders: list[Path]) -> None:
    """Delete the given run folders (:func:`prune_plan`); one already gone is skipped."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    if folders:
        log.info("pruned run folders: %s", ", ".join(f.name for f in folders))


def move_into_runs(tmp: Path, out: Path, label: str, run_id: str) -> Path:
    """Rename the finished folder ``tmp`` (inside ``out``) to ``out/.runs/<label>-<run_id>``.

    Parameters
    ----------
    tmp : Path
        The finished run folder, inside ``out`` (so the move is a rename).
    out : Path
        The reports folder.
    label : str
        The as-of month (``2022-07``).
    run_id : str
        The run's id.

    Returns
    -------
    Path
        The run's folder in ``out/.runs``.
    """
    runs = Path(out) / RUNS_DIR
    runs.mkdir(exist_ok=True)
    final = runs / f"{label}-{run_id}"
    os.replace(tmp, final)
    return final


def swap_link(out: Path, label: str, final: Path, run_id: str) -> Path:
    """Point the link ``out/<label>`` at ``final`` in one rename (the commit point of a run).

    The new link is made under the name ``.<label>.<run_id>.link`` and renamed
    over the old one. A real folder ``out/<label>`` (the first layout) is moved
    aside to ``.runs/<label>-legacy-<run_id>`` first.

    Parameters
    ----------
    out : Path
        The reports folder.
    label : str
        The as-of month: the link's name.
    final : Path
        The run's folder in ``out/.runs`` (:func:`move_into_runs`).
    run_id : str
        The run's id (names the temporary link and a moved-aside folder).

    Returns
    -------
    Path
        The link ``out/<label>``.
    """
    out = Path(out)
    link = out / label
    tmp_link = out / f".{label}.{run_id}.link"
    os.symlink(os.path.relpath(final, out), tmp_link, target_is_directory=True)
    if link.exists() and not link.is_symlink():
        os.replace(link, out / RUNS_DIR / f"{label}-legacy-{run_id}")
    os.replace(tmp_link, link)
    return link
