"""``report.pdf``: the report page printed to PDF by headless Chromium, for the committee's agenda system.

Why Chromium and not WeasyPrint: the PDF is the same HTML and CSS that the
browser test renders (one layout, one engine, the print style sheet of
:mod:`survival_invest.report.layout`: A4 portrait, a page break before each
case, the as-of month, cut-off and price level in the running header, "Side n
af N" in the footer, from CSS page-margin boxes, which Chromium prints since
version 131); Chromium is already what ``make browser`` installs from the
distribution for that test, so the PDF adds no Python dependency (WeasyPrint
would bring Pango and its own CSS subset, and a second renderer whose pages
could differ from what the browser shows).

When no Chromium is found (or ``SURVIVAL_INVEST_PDF=off``), the HTML report is
still written and the run's warnings say that the PDF was not
(:func:`pdf_engine` is asked before the page is made, so the page says it too).
A Chromium that fails or times out raises :class:`PdfError`; the monthly job
logs it and records it among the run's warnings, and publishes the rest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from survival_invest.errors import SurvivalInvestError

__all__ = ["PDF_ENV", "PdfError", "html_to_pdf", "pdf_engine", "pdf_missing_reason"]

#: Set to ``off`` (or ``0``, ``no``, ``false``) to write no PDF (e.g. in a quick local loop).
PDF_ENV = "SURVIVAL_INVEST_PDF"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class PdfError(SurvivalInvestError):
    """The PDF engine was found but did not produce a PDF (it failed, timed out or wrote nothing)."""


def pdf_engine() -> str | None:
    """The Chromium executable that prints the PDF, or None when there is none (or the PDF is switched off)."""
    if os.environ.get(PDF_ENV, "").strip().lower() in {"off", "0", "no", "false"}:
        return None
    for name in _NAMES:
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def pdf_missing_reason() -> str:
    """Why :func:`pdf_engine` found nothing, in words for the run's warning."""
    if os.environ.get(PDF_ENV, "").strip().lower() in {"off", "0", "no", "false"}:
        return f"{PDF_ENV} is off"
    return "no headless Chromium found (make browser installs the Debian package chromium)"


def html_to_pdf(html_file: Path, pdf_file: Path, *, engine: str, timeout: float = 120.0) -> None:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium (no browser header or footer: the page's own).

    Parameters
    ----------
    html_file : Path
        A self-contained HTML page (nothing loaded from the network).
    pdf_file : Path
        Where the PDF goes (written by Chromium; the monthly job writes into its unpublished run folder).
    engine : str
        The Chromium executable (:func:`pdf_engine`).
    timeout : float
        Seconds before the print is given up.

    Raises
    ------
    PdfError
        Chromium failed, timed out, or wrote no PDF.
    """
    with tempfile.TemporaryDirectory(prefix="si-pdf-") as profile:
        cmd = [
            engine,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_file}",
            Path(html_file).resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(f"report.pdf: {engine} did not finish printing {html_file.name}: {exc}") from None
    ok = pdf_file.is_file() and pdf_file.read_bytes()[:5] == b"%PDF-"
    if proc.returncode != 0 or not ok:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise PdfError(f"report.pdf: {engine} exited with {proc.returncode} and wrote no PDF ({tail})")
