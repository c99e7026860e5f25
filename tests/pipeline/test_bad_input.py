"""Bad input at random: every mutated portfolio exits 0 or 2, never 1, and a refused run touches nothing.

A hypothesis property test over a reduced copy of the bundled synthetic
portfolio (two survival cases and the count case, a subset of the members).
Each example applies one to three mutations — drop or rename a column, blank
or corrupt cells, change a column's type, truncate a file, shuffle rows,
inject ``nan``/``inf``/negative values into a number of the config — then runs
``survival-invest run`` on a copy of a reports folder that already holds a
good run of the same month, and asserts:

* the exit code is 0 or 2 (never 1: an internal error on bad input);
* stderr holds no traceback and no "internal error";
* with exit 2 the published report folder (every file) and ``history.duckdb``
  are byte-identical to before.

The number of examples is bounded (the test takes well under a minute);
``SURVIVAL_INVEST_BAD_INPUT_EXAMPLES=500 pytest tests/pipeline/test_bad_input.py``
runs a longer search. Examples are derandomised (the same on every run) unless
``SURVIVAL_INVEST_BAD_INPUT_RANDOM=1`` is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survival_invest.cli import main
from survival_invest.report.history import HISTORY_FILE

MONTH = "2022-06"
EXAMPLES = int(os.environ.get("SURVIVAL_INVEST_BAD_INPUT_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SURVIVAL_INVEST_BAD_INPUT_RANDOM") != "1",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FILES = {"spells": "spells_monthly.csv", "memberships": "memberships.csv"}
COLUMNS = {
    "spells": ["person_id", "period", "benefit", "amount_kr"],
    "memberships": ["person_id", "case_id", "group", "entry_period"],
}
#: Config keys holding a number (the first number after ``key =`` is replaced).
CONFIG_KEYS = [
    "price_level",
    "data_lag",
    "min_persons",
    "2021",
    "pre_reform_share",
    "share",
    "from_week",
    "budget_investment",
    "budget_savings",
    "kontanthjaelp",
    "horizon",
    "durable_exit",
    "per_month",
    "saving_per_placement",
    "placements",
    "reduction",
]
BAD_NUMBERS = ["nan", "inf", "-inf", "-1", "-1e9", "0", "1e308"]
TEXTS = st.one_of(
    st.sampled_from(["", " ", "x", "2022-13", "2022-W99", "-5", "1e400", "nan", "=1+1", "00123", "æøå", ";", '"']),
    st.text(max_size=12),
)


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A reduced portfolio (cases 1, 2 and the count case 5; 80 members a case) and a reports folder with its run."""
    full = tmp_path_factory.mktemp("full")
    assert main(["synth", "--out", str(full), "--seed", "7"]) == 0
    data = tmp_path_factory.mktemp("reduced")
    members = pd.read_csv(full / FILES["memberships"], dtype=str, keep_default_na=False)
    keep = []
    for case in ("1", "2"):
        rows = members[members["case_id"] == case]
        keep.append(rows[rows["group"] == "intervention"].head(20))
        keep.append(rows[rows["group"] == "target"].head(60))
    members = pd.concat(keep)
    spells = pd.read_csv(full / FILES["spells"], dtype=str, keep_default_na=False)
    spells = spells[spells["person_id"].isin(members["person_id"])]
    members.to_csv(data / FILES["memberships"], index=False, lineterminator="\n")
    spells.to_csv(data / FILES["spells"], index=False, lineterminator="\n")
    text = (full / "portfolio.toml").read_text(encoding="utf-8")
    blocks = text.split("[[case]]")
    kept = [b for b in blocks[1:] if re.search(r'^id = "[125]"', b, re.M)]
    (data / "portfolio.toml").write_text(blocks[0] + "".join("[[case]]" + b for b in kept), encoding="utf-8")
    reports = tmp_path_factory.mktemp("reports")
    code, err = _run(data / "portfolio.toml", reports)
    assert code == 0, err
    return data, reports


def _run(config: Path, out: Path) -> tuple[int, str]:
    """``survival-invest run`` in this process; (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["run", "--config", str(config), "--as-of", MONTH, "--out", str(out), "--quiet"])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, err.getvalue()


def _snapshot(out: Path) -> dict[str, str]:
    """The published report's link target and every file's hash, and the history's hash."""
    link = out / MONTH
    folder = link.resolve()
    snap = {"link": os.readlink(link) if link.is_symlink() else "folder"}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            snap[f"report/{p.relative_to(folder)}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    snap[HISTORY_FILE] = hashlib.sha256((out / HISTORY_FILE).read_bytes()).hexdigest()
    return snap


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple]:
    """One to three mutations, each a tuple (kind, file, ...) applied by :func:`_apply`."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["drop", "rename", "blank", "corrupt", "retype", "truncate", "shuffle", "config"]))
        which = draw(st.sampled_from(sorted(FILES)))
        column = draw(st.sampled_from(COLUMNS[which]))
        if kind == "rename":
            out.append((kind, which, column, draw(TEXTS)))
        elif kind in ("blank", "corrupt"):
            out.append(
                (kind, which, column, draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=5)), draw(TEXTS))
            )
        elif kind == "retype":
            out.append((kind, which, column, draw(st.sampled_from(["float", "int", "bool", "exp"]))))
        elif kind == "truncate":
            out.append((kind, which, draw(st.floats(0.0, 1.0))))
        elif kind == "shuffle":
            out.append((kind, which, draw(st.integers(0, 2**31 - 1))))
        elif kind == "config":
            out.append((kind, draw(st.sampled_from(CONFIG_KEYS)), draw(st.sampled_from(BAD_NUMBERS))))
        else:
            out.append((kind, which, column))
    return out


def _retyped(values: pd.Series, how: str, n: int) -> pd.Series:
    """A column replaced by values of another type (floats, integers, booleans, exponent notation)."""
    made = {
        "float": [f"{x:.1f}" for x in np.arange(n) * 1.5],
        "int": [str(x) for x in range(n)],
        "bool": ["True" if x % 2 else "False" for x in range(n)],
        "exp": [f"{x:.2e}" for x in np.arange(1, n + 1)],
    }[how]
    return pd.Series(made, index=values.index)


def _apply(data: Path, mutation: tuple) -> None:
    """Apply one mutation to the files in ``data``."""
    kind = mutation[0]
    if kind == "config":
        _, key, value = mutation
        path = data / "portfolio.toml"
        text = path.read_text(encoding="utf-8")
        pattern = rf"(?m)^(\s*{re.escape(key)}\s*=\s*\[?\s*|.*[{{,]\s*{re.escape(key)}\s*=\s*)-?[0-9][0-9.]*"
        path.write_text(re.sub(pattern, lambda m: m.group(1) + value, text, count=1), encoding="utf-8")
        return
    path = data / FILES[mutation[1]]
    if kind == "truncate":
        raw = path.read_bytes()
        path.write_bytes(raw[: int(len(raw) * mutation[2])])
        return
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return  # an earlier mutation made it unreadable: leave it so
    column = mutation[2] if len(mutation) > 2 else None
    if kind == "shuffle":
        frame = frame.sample(frac=1.0, random_state=mutation[2])
    elif column not in frame.columns:
        return
    elif kind == "drop":
        frame = frame.drop(columns=[column])
    elif kind == "rename":
        frame = frame.rename(columns={column: mutation[3]})
    elif kind in ("blank", "corrupt") and len(frame):
        rows = [r % len(frame) for r in mutation[3]]
        frame.iloc[rows, frame.columns.get_loc(column)] = "" if kind == "blank" else mutation[4]
    elif kind == "retype":
        frame[column] = _retyped(frame[column], mutation[3], len(frame))
    frame.to_csv(path, index=False, lineterminator="\n")


@SETTINGS
@given(changes=mutations())
def test_bad_input_exits_0_or_2_and_a_refused_run_changes_nothing(
    reduced: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, changes: list[tuple]
) -> None:
    data, reports = reduced
    work = tmp_path_factory.mktemp("example")
    shutil.copytree(data, work / "data")
    shutil.copytree(reports, work / "reports", symlinks=True)
    before = _snapshot(work / "reports")
    for change in changes:
        _apply(work / "data", change)
    code, err = _run(work / "data" / "portfolio.toml", work / "reports")
    assert code in (0, 2), (changes, err)
    assert "Traceback" not in err and "internal error" not in err, (changes, err)
    if code == 2:
        assert err.startswith("error: ") or "\nerror: " in err, (changes, err)
        assert _snapshot(work / "reports") == before, changes
    shutil.rmtree(work, ignore_errors=True)


def test_the_mutations_do_reach_the_files(reduced: tuple[Path, Path], tmp_path: Path) -> None:
    """The mutation helpers change what they claim to (so the property test is not vacuous)."""
    data, _ = reduced
    shutil.copytree(data, tmp_path / "d")
    d = tmp_path / "d"
    _apply(d, ("config", "budget_savings", "nan"))
    assert re.search(r"budget_savings = \[nan", (d / "portfolio.toml").read_text(encoding="utf-8"))
    _apply(d, ("config", "kontanthjaelp", "-inf"))
    assert "kontanthjaelp = -inf" in (d / "portfolio.toml").read_text(encoding="utf-8")
    _apply(d, ("drop", "spells", "benefit"))
    assert "benefit" not in pd.read_csv(d / FILES["spells"], nrows=1).columns
    code, err = _run(d / "portfolio.toml", tmp_path / "out")
    assert code == 2 and "nan" in err and "inf" in err  # both config problems named at once
