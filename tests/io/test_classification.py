"""Benefit-code classification: the shipped default and a custom file."""

from __future__ import annotations

from pathlib import Path

import pytest

from survival_invest import ExtractError
from survival_invest.io.classification import read_classification

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_classification_default_and_custom(tmp_path: Path) -> None:
    default = read_classification()
    cls = default.set_index("code")["class"]
    assert cls["130"] == "support" and cls["999"] == "censor" and cls["651"] == "self_support"
    p = _write(tmp_path, "c.csv", "code,class\n130,support\n131,maybe\n")
    with pytest.raises(ExtractError, match=r"c.csv: column 'class', row 2: 'maybe' is not a class"):
        read_classification(p)
