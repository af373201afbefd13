"""LibreOffice headless, for the tests that open what plantrack writes in a real
spreadsheet program. In CI LibreOffice must be there (.ci/run installs it):
the tests fail, never skip, when CI=true and it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_office() -> str:
    exe = soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed; .ci/run should install it")
        pytest.skip("LibreOffice is not installed here")
    return exe


def convert(path: Path, to: str = "pdf", outdir: Path | None = None, timeout: int = 180) -> Path:
    """Open ``path`` in LibreOffice headless and convert it; return the new file.

    LibreOffice exits 0 even when it cannot load a file, so success is checked
    by the output file existing and not being empty.
    """
    exe = require_office()
    outdir = outdir or path.parent
    target_ext = to.split(":")[0]
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                exe,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    out = outdir / f"{path.stem}.{target_ext}"
    assert out.exists() and out.stat().st_size > 0, (
        f"LibreOffice did not convert {path.name} to {to}: {result.stdout} {result.stderr}"
    )
    return out


def pdf_text(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is not installed; .ci/run should install it")
        pytest.skip("pdftotext is not installed here")
    return subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)
