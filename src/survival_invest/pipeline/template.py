"""``survival-invest init``: a portfolio configuration for one's own files, from the shipped template.

The template (``survival_invest/data/portfolio_template.toml``, the Norddjurs
example) is copied with its ``[data]`` section pointing at the given files:

* paths are written relative to the configuration's folder when they lie
  under it, else absolute;
* ``spells_format`` is ``dream_wide`` for SAS, transport and Stata files and
  for a CSV/Parquet file whose columns are mostly ``y_YYWW`` weeks, else ``long``;
* the optional files (``finance``, ``payments``, ``persons``) not given are
  commented out, so the configuration is valid as written;
* ``cpr=True`` adds ``[privacy] ids = "cpr"`` (the key from the environment
  variable ``SURVIVAL_INVEST_PSEUDONYM_KEY``).

The cases, budgets, costs and price index stay the template's examples, to be
edited: the file says so in its first lines. An existing file is never
overwritten unless ``force``.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from survival_invest._atomic import write_text
from survival_invest.errors import InputError
from survival_invest.io.text import sniff_csv

__all__ = ["OPTIONAL_FILES", "spells_format_of", "write_config"]

#: ``[data]`` keys of files a portfolio may do without.
OPTIONAL_FILES = ("finance", "payments", "persons")
_WIDE_SUFFIXES = (".sas7bdat", ".xpt", ".dta")
_HEAD = (
    "# Written by `survival-invest init` for your own files. The [data] section points at them; the cases,\n"
    "# budgets, costs and price index below are the Norddjurs EXAMPLE (seed 004): replace them with yours.\n"
    '# Check with `survival-invest validate --config <this file>` (README: "Your own data").\n'
)


def spells_format_of(path: Path) -> str:
    """``dream_wide`` for SAS/transport/Stata files and files whose columns are mostly ``y_YYWW``, else ``long``."""
    if path.suffix.lower() in _WIDE_SUFFIXES:
        return "dream_wide"
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            columns = list(pq.read_schema(path).names)
        else:
            sep = sniff_csv(path, "spells").sep
            columns = list(pd.read_csv(path, nrows=0, sep=sep, encoding="latin-1").columns)  # names only
    except (OSError, ValueError):  # unreadable here: validate says why
        return "long"
    weeks = sum(1 for c in columns if re.fullmatch(r"(?i)y_\d{4}", str(c)))
    return "dream_wide" if weeks >= 2 and weeks >= len(columns) // 2 else "long"


def _shown(path: Path, folder: Path) -> str:
    """``path`` as the configuration writes it: relative to ``folder`` when under it, else absolute (TOML-escaped)."""
    absolute = path.resolve()
    try:
        text = os.path.relpath(absolute, folder.resolve())
        text = text if not text.startswith("..") else str(absolute)
    except ValueError:  # another drive (Windows)
        text = str(absolute)
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _data_section(files: dict[str, Path | None], folder: Path, spells_format: str) -> str:
    """The ``[data]`` section for ``files`` (key -> path or None)."""
    lines = ["[data]"]
    for key in ("spells", "memberships"):
        lines.append(f'{key} = "{_shown(files[key], folder)}"')  # type: ignore[arg-type]  # required, checked
    lines.append(f'spells_format = "{spells_format}"')
    for key in OPTIONAL_FILES:
        path = files.get(key)
        lines.append(f'{key} = "{_shown(path, folder)}"' if path is not None else f'# {key} = "{key}.csv"')
    return "\n".join(lines) + "\n"


def write_config(
    out: str | Path,
    *,
    spells: str | Path,
    memberships: str | Path,
    finance: str | Path | None = None,
    payments: str | Path | None = None,
    persons: str | Path | None = None,
    cpr: bool = False,
    force: bool = False,
) -> Path:
    """Write a portfolio configuration for one's own files (rules: module docstring); return its path.

    Parameters
    ----------
    out : str or Path
        The configuration file to write (``.toml``).
    spells, memberships : str or Path
        The extract (long or wide DREAM) and the memberships file.
    finance, payments, persons : str or Path, optional
        The finance extract, the payment file and the person table.
    cpr : bool
        Declare the ids CPR numbers (``[privacy] ids = "cpr"``).
    force : bool
        Overwrite an existing file.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        An existing ``out`` without ``force``, or a named file that does not exist.
    """
    target = Path(out)
    if target.exists() and not force:
        raise InputError(f"{target}: exists; choose another file or pass --force to overwrite it.")
    given = {"spells": spells, "memberships": memberships, "finance": finance, "payments": payments, "persons": persons}
    files = {k: (Path(v) if v is not None else None) for k, v in given.items()}
    missing = [f"--{k} {p}" for k, p in files.items() if p is not None and not p.exists()]
    if missing:
        raise InputError(f"init: no such file: {', '.join(missing)}.")
    template = (resources.files("survival_invest") / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    start = template.index("\n[data]\n") + 1
    end = template.index("\n[", start) + 1
    folder = target.parent if str(target.parent) else Path(".")
    data = _data_section(files, folder, spells_format_of(files["spells"]))  # type: ignore[arg-type]  # required
    text = _HEAD + template[:start] + data + "\n" + template[end:]
    if cpr:
        text += (
            '\n[privacy]\nids = "cpr"                 # the key: environment variable SURVIVAL_INVEST_PSEUDONYM_KEY\n'
        )
    folder.mkdir(parents=True, exist_ok=True)
    write_text(target, text)
    return target
