"""The synthetic data command: the bundled data regenerate byte-identically."""

from __future__ import annotations

import hashlib
from pathlib import Path

from survival_invest.synthetic.cli import main

BUNDLED = Path(__file__).parents[2] / "data" / "synthetic"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundled_demo_data_regenerates_byte_identically(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--seed", "20200101"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in BUNDLED.iterdir() if p.name != "README.md")
    for name in written:
        assert _digest(tmp_path / name) == _digest(BUNDLED / name), name
