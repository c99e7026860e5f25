"""The HTML report renders in headless Chromium without console errors, and shows its plots.

Chromium comes from the distribution's packages (``make test`` installs it when
missing). Without it this test fails, on purpose: it is not skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from survival_invest.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(data), "--seed", "5"]) == 0
    out = tmp_path_factory.mktemp("reports")
    assert (
        main(["run", "--config", str(data / "portfolio.toml"), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    )
    return out / "2022-06" / "report.html"


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "headless Chromium is required for this test (Debian package 'chromium'; make test installs it)"
    return exe


def test_report_renders_without_console_errors_and_shows_plots(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,2400",
                f"--screenshot={shot}",
                report.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    assert not [line for line in proc.stderr.splitlines() if "Failed to load resource" in line]

    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.shape[:2] == (2400, 1200)
    # not blank: plenty of non-white pixels and colour (the curves' blue and orange)
    non_white = (img < 240).any(axis=2).mean()
    assert non_white > 0.05
    blue = ((img[..., 2] > 150) & (img[..., 0] < 100)).sum()
    orange = ((img[..., 0] > 200) & (img[..., 1] > 100) & (img[..., 1] < 180) & (img[..., 2] < 80)).sum()
    assert blue > 500 and orange > 500
