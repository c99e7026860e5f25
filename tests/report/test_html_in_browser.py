"""The HTML report in headless Chromium: no console errors, its plots shown, no sideways scrolling, axe-core clean.

Chromium comes from the distribution's packages and axe-core from the npm
registry (``make browser`` installs both: ``chromium`` with apt, ``axe-core``
into ``.venv/share/npm``). Without them these tests fail, on purpose: they are
not skipped.

Widths are measured inside an ``<iframe srcdoc>`` of the exact width (headless
Chromium's window is at least 500 px wide, a phone is 390): the page's own
script copy measures ``document.documentElement.scrollWidth`` and runs axe-core
(WCAG 2.0/2.1 A and AA rules plus best practices: table headers, text
alternatives of images, colour contrast, landmarks, ...), and the outer page
copies the results into its DOM, which ``--dump-dom`` prints.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from survival_invest.cli import main

AXE = Path(sys.prefix) / "share" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PROBE = """<script>{axe}</script><script>
window.addEventListener('load', function () {{
  var probe = {{sw: document.documentElement.scrollWidth, w: window.innerWidth,
               wide: Array.from(document.querySelectorAll('table, img')).filter(function (e) {{
                 return e.getBoundingClientRect().right > window.innerWidth + 0.5; }}).length}};
  axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}}})
    .then(function (r) {{
      probe.violations = r.violations.map(function (v) {{
        return {{id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(function (n) {{ return n.target.join(' '); }})}};
      }});
      probe.passes = r.passes.map(function (v) {{ return v.id; }});
      window.parent.postMessage(JSON.stringify(probe), '*');
    }});
}});
</script></body>"""

OUTER = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>probe</title>
<style>body {{ margin: 0; }} iframe {{ border: 0; }}</style></head><body>
<iframe id="f" title="report" width="{width}" height="900" srcdoc="{doc}"></iframe>
<script>window.addEventListener('message', function (e) {{
  var pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = e.data; document.body.appendChild(pre);
}});</script></body></html>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's report: its case 1 shows the destinations (plot and share table), its case 6 is adjusted."""
    data = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--demo", "--out", str(data), "--seed", "5"]) == 0
    out = tmp_path_factory.mktemp("reports")
    assert (
        main(["run", "--config", str(data / "portfolio.toml"), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    )
    page = out / "2022-06" / "report.html"
    text = page.read_text(encoding="utf-8")
    assert '<div class="destinations">' in text and '<table class="est dest">' in text  # the widths cover them
    return page


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "headless Chromium is required for this test (Debian package 'chromium'; make browser installs it)"
    return exe


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=180
        )


def _probe(report: Path, width: int, tmp_path: Path) -> dict:
    """scrollWidth, the viewport, elements wider than it, and axe-core's findings, at ``width`` px."""
    assert AXE.is_file(), f"axe-core is required for this test ({AXE}; make browser installs it from npm)"
    page = report.read_text(encoding="utf-8").replace("</body>", PROBE.format(axe=AXE.read_text(encoding="utf-8")))
    outer = tmp_path / f"outer_{width}.html"
    outer.write_text(OUTER.format(width=width, doc=html.escape(page, quote=True)), encoding="utf-8")
    proc = _run(["--window-size=1400,1000", "--virtual-time-budget=30000", "--dump-dom", outer.as_uri()])
    found = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def test_report_renders_without_console_errors_and_shows_plots(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    proc = _run(
        ["--enable-logging=stderr", "--v=0", "--window-size=1280,9000", f"--screenshot={shot}", report.as_uri()]
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    assert not [line for line in proc.stderr.splitlines() if "Failed to load resource" in line]

    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.shape[:2] == (9000, 1280)
    # not blank: plenty of non-white pixels and colour (the curves' blue and orange)
    non_white = (img < 240).any(axis=2).mean()
    assert non_white > 0.05
    blue = ((img[..., 2] > 150) & (img[..., 0] < 100)).sum()
    orange = ((img[..., 0] > 200) & (img[..., 1] > 100) & (img[..., 1] < 180) & (img[..., 2] < 80)).sum()
    assert blue > 500 and orange > 500


@pytest.mark.parametrize("width", [1280, 390])
def test_no_horizontal_overflow_and_axe_finds_nothing(report: Path, tmp_path: Path, width: int) -> None:
    probe = _probe(report, width, tmp_path)
    assert probe["w"] == width
    assert probe["sw"] <= width, probe
    assert probe["wide"] == 0, probe  # no table or image sticks out (a scrolling box would hide it from scrollWidth)
    assert probe["violations"] == [], probe["violations"]
    # the rules the issue names were checked, and passed: table headers, text alternatives, contrast
    for rule in ("th-has-data-cells", "td-headers-attr", "image-alt", "color-contrast", "html-has-lang"):
        assert rule in probe["passes"], rule


def test_axe_sees_a_missing_alt_text(report: Path, tmp_path: Path) -> None:
    """The check can fail: a page whose plot has no text alternative is reported."""
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r'<img alt="[^"]*"', "<img", report.read_text(encoding="utf-8"), count=1))
    probe = _probe(broken, 1280, tmp_path)
    assert "image-alt" in {v["id"] for v in probe["violations"]}
