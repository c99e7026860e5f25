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
    (data / "finance.csv").write_bytes((full / "finance.csv").read_bytes())
    text = (full / "portfolio.toml").read_text(encoding="utf-8")
    text = re.sub(r"^payments = .*\n", "", text, flags=re.M)  # the reduced portfolio is priced by cost per FTE
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


def _variant(data: Path, tmp_path: Path) -> Path:
    work = tmp_path / "data"
    shutil.copytree(data, work)
    return work


def _edit_csv(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False, lineterminator="\n")


def _zero_padded(work: Path) -> None:
    """Ids 00001.. in the spells, the same ids without their zeros in the memberships."""
    members = pd.read_csv(work / FILES["memberships"], dtype=str, keep_default_na=False)
    ids = {p: f"{i:05d}" for i, p in enumerate(members["person_id"].unique(), start=101)}
    _edit_csv(work / FILES["spells"], lambda f: f.assign(person_id=f["person_id"].map(ids)))
    _edit_csv(work / FILES["memberships"], lambda f: f.assign(person_id=f["person_id"].map(ids).str.lstrip("0")))


def _participants_gone(work: Path) -> None:
    members = pd.read_csv(work / FILES["memberships"], dtype=str, keep_default_na=False)
    gone = members.loc[(members["case_id"] == "1") & (members["group"] == "intervention"), "person_id"]
    _edit_csv(work / FILES["spells"], lambda f: f[~f["person_id"].isin(gone)])


def _case_id(work: Path, ident: str) -> None:
    cfg = work / "portfolio.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('id = "1"', f'id = "{ident}"', 1), encoding="utf-8")
    _edit_csv(work / FILES["memberships"], lambda f: f.assign(case_id=f["case_id"].replace("1", ident)))


CLASSES = {
    "spells with a header only": (
        lambda w: (w / FILES["spells"]).write_text("person_id,period,benefit,amount_kr\n"),
        ["spells_monthly.csv: the spells file has a header but no data rows"],
    ),
    "ids that lost their leading zeros in one file": (
        _zero_padded,
        [
            "no member (participant or comparison person) of the case appears in the spells",
            "the ids differ in form: 5 digits with leading zeros in the spells, 3 digits in the memberships; "
            "ids are compared as text",
        ],
    ),
    "every participant of a case missing from the spells": (
        _participants_gone,
        ["case '1': no participant of the case appears in the spells", "the ids have the same form"],
    ),
    "a case id with a slash": (lambda w: _case_id(w, "a/b"), ["key 'id': 'a/b' is not a safe case id"]),
    "a case id with a colon": (lambda w: _case_id(w, "a:b"), ["key 'id': 'a:b' is not a safe case id"]),
    "a case id of 250 characters": (lambda w: _case_id(w, "x" * 250), ["(250 characters) is not a safe case id"]),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_class_of_bad_input_exits_2_naming_what_to_fix_and_never_an_id(
    reduced: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    data, reports = reduced
    work = _variant(data, tmp_path)
    edit, expected = CLASSES[name]
    edit(work)
    out = tmp_path / "reports"
    shutil.copytree(reports, out, symlinks=True)
    before = _snapshot(out)
    code, err = _run(work / "portfolio.toml", out)
    assert code == 2 and err.startswith("error: "), err
    for text in expected:
        assert text in err, err
    ids = pd.read_csv(work / FILES["memberships"], dtype=str, keep_default_na=False)["person_id"]
    # file paths name files, not persons (pytest's temporary folders are numbered, e.g. pytest-108)
    text_only = re.sub(r"/\S+", "<path>", err)
    assert not any(re.search(rf"\b{re.escape(i)}\b", text_only) for i in ids.unique() if len(i) >= 3), err
    assert _snapshot(out) == before


@pytest.mark.parametrize(
    ("argv_as_of", "out_is_file", "expected"),
    [
        ("2022-13", False, "--as-of: cannot read period '2022-13': expected YYYY-MM with a month 01 to 12"),
        ("juni", False, "--as-of: cannot read period 'juni'"),
        (MONTH, True, "is a file; expected the reports folder"),
    ],
)
def test_bad_arguments_exit_2_before_anything_is_read(
    reduced: tuple[Path, Path], tmp_path: Path, argv_as_of: str, out_is_file: bool, expected: str
) -> None:
    data, _ = reduced
    out = tmp_path / ("a_file" if out_is_file else "reports")
    if out_is_file:
        out.write_text("not a folder")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--config", str(data / "portfolio.toml"), "--as-of", argv_as_of, "--out", str(out), "-q"])
    assert code == 2 and expected in err.getvalue(), err.getvalue()


def test_a_case_name_with_dollars_is_text_in_the_plot_and_the_run_succeeds(
    reduced: tuple[Path, Path], tmp_path: Path
) -> None:
    data, _ = reduced
    work = _variant(data, tmp_path)
    cfg = work / "portfolio.toml"
    text = re.sub(r'(?m)^name = "[^"]*"', r'name = "Pris $\\\\frac$ og $x$"', cfg.read_text(encoding="utf-8"), count=1)
    cfg.write_text(text, encoding="utf-8")
    code, err = _run(cfg, tmp_path / "reports")
    assert code == 0, err
    svg = (tmp_path / "reports" / MONTH / "case_1.svg").read_text(encoding="utf-8")
    assert "Pris $\\frac$ og $x$" in svg or "$\\frac$" in svg  # the title as written, not typeset
