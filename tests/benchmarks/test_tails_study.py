"""The quick version of benchmarks/tails.py: the study runs end to end, its intervals and its table are right."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def study() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("tails_study", ROOT / "benchmarks" / "tails.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]  # the file is in the repo
    sys.modules["tails_study"] = module  # its dataclass looks its module up while the file runs
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]  # a file spec has a loader
        yield module
    finally:
        sys.modules.pop("tails_study", None)


@pytest.fixture(scope="module")
def run(study: ModuleType) -> tuple[pd.DataFrame, pd.DataFrame]:
    return study.run(8, 3, (1,))  # type: ignore[no-any-return]


def test_every_model_and_figure_has_an_interval_around_its_estimate(
    study: ModuleType, run: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    table, raw = run
    assert len(raw) == 8 * len(study.MODELS) * len(study.FIGURES)
    assert np.isfinite(raw[["estimate", "se", "tail_var", "tail_part"]].to_numpy()).all()
    z = 1.959963984540054
    lower, upper = raw["estimate"] - z * raw["se"], raw["estimate"] + z * raw["se"]
    assert (raw["se"] > 0).all() and ((lower < raw["estimate"]) & (raw["estimate"] < upper)).all()
    # no tail: nothing extrapolated, no tail variance; flat: no parameters; fitted tails carry theirs
    by = raw.groupby("model")
    assert (by.get_group("none")[["tail_var", "tail_part"]] == 0).all().all()
    assert (by.get_group("flat")["tail_var"] == 0).all() and (by.get_group("flat")["tail_part"] != 0).any()
    for model in ("exponential", "weibull", "loglogistic"):
        assert (by.get_group(model)["tail_var"] != 0).any(), model
    assert len(table) == len(study.MODELS) * len(study.FIGURES)
    assert ((table["coverage"] >= 0) & (table["coverage"] <= 1)).all()
    # the cap leaves out the months beyond 24 months: its estimate is far below the truth to 36
    none = table[table["model"] == "none"]
    assert (none["bias"] < -0.2 * none["truth"]).all()


def test_the_table_prints(study: ModuleType, run: tuple[pd.DataFrame, pd.DataFrame], capsys) -> None:  # type: ignore[no-untyped-def]
    text = study.markdown(run[0])
    assert text.count("\n") == 1 + len(study.MODELS) * len(study.FIGURES)
    assert "| x1 | fte_y3 | loglogistic |" in text and " ± " in text
    assert study.main(["--replicates", "3", "--sizes", "1"]) == 0
    out = capsys.readouterr().out
    assert "| x1 | area36 | none |" in out and "Command: `python benchmarks/tails.py --replicates 3" in out
