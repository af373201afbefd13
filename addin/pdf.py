"""Chosen sheets of a workbook -> a PDF, with LibreOffice headless.

``export_pdf(workbook, sheets, target)`` copies the workbook into a temporary
folder with every other sheet hidden, has LibreOffice convert the copy (with a
throwaway profile, so it works while LibreOffice is open on the desktop), and
moves the PDF to ``target``. The workbook itself is never changed.

LibreOffice exits 0 even when it could not convert a file, so success is
checked by the PDF being there and not empty.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import PlantrackError
from .rules import normalise_header

TIMEOUT_SECONDS = 300
INSTALL_ADVICE = (
    "install LibreOffice (free, https://www.libreoffice.org/download/; on Debian or Ubuntu "
    "'sudo apt-get install libreoffice-calc') and run the command again"
)
# Where LibreOffice usually lives when it is not on the PATH.
KNOWN_PLACES = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
)
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/>")
_NAME = re.compile(rb'\bname="([^"]*)"')
_STATE = re.compile(rb'\s+state="[^"]*"')
_VIEW_TAG = re.compile(rb"<(?:\w+:)?workbookView\b[^>]*?/?>")


class PdfFailed(PlantrackError):
    """The PDF could not be made (LibreOffice missing, failed or too slow)."""

    def __init__(self, problem: str, advice: str = ""):
        super().__init__(f"{problem} — {advice}" if advice else problem)


@dataclass(frozen=True)
class PdfResult:
    path: Path
    pages: int


def find_soffice() -> str | None:
    """The LibreOffice program (``soffice``), or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((place for place in KNOWN_PLACES if Path(place).is_file()), None)


def export_pdf(
    workbook: str | Path, sheets: Sequence[str], target: str | Path, timeout: int = TIMEOUT_SECONDS
) -> PdfResult:
    """Write ``sheets`` of ``workbook`` (in the workbook's order) to the PDF ``target``."""
    workbook, target = Path(workbook), Path(target)
    exe = find_soffice()
    if exe is None:
        raise PdfFailed("LibreOffice is not installed, so the PDF could not be made", INSTALL_ADVICE)
    if not sheets:
        raise PdfFailed("there are no sheets to put in the PDF")
    with tempfile.TemporaryDirectory(prefix="plantrack-pdf-") as folder:
        work = Path(folder)
        copy = work / "pack.xlsx"
        keep_only(workbook, sheets, copy)
        outdir = work / "out"
        outdir.mkdir()
        try:
            result = subprocess.run(
                [
                    exe,
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless",
                    "--norestore",
                    "--nologo",
                    "--nolockcheck",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(outdir),
                    str(copy),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfFailed(
                f"LibreOffice took more than {timeout} seconds to make the PDF",
                "close other LibreOffice windows and try again",
            ) from exc
        except OSError as exc:
            raise PdfFailed(f"LibreOffice could not be started ({exc})", INSTALL_ADVICE) from exc
        made = outdir / "pack.pdf"
        if not made.is_file() or made.stat().st_size == 0:
            said = " ".join((result.stderr or result.stdout or "").split())[-200:]
            raise PdfFailed(
                "LibreOffice did not make the PDF" + (f" ({said})" if said else ""),
                "check the workbook opens in Excel, then try again",
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".pdf", dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(made, tmp_name)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
            os.replace(tmp_name, target)
        except PermissionError as exc:
            raise PdfFailed(
                f"{target.name} cannot be replaced (is it open?)", "close it and run again"
            ) from exc
        finally:
            Path(tmp_name).unlink(missing_ok=True)
    return PdfResult(target, pdf_page_count(target))


def keep_only(workbook: Path, sheets: Sequence[str], copy: Path) -> None:
    """Copy ``workbook`` to ``copy`` with every sheet not in ``sheets`` hidden (and the
    first of ``sheets`` active). Only the workbook part is rewritten; the rest is copied
    byte for byte, so charts and formatting come through unchanged."""
    wanted = {normalise_header(s) for s in sheets}
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = _hide_others(data, wanted)
            out.writestr(item, data)


def _hide_others(xml: bytes, wanted: set[str]) -> bytes:
    first_kept: list[int] = []
    index = 0

    def visit(match: re.Match[bytes]) -> bytes:
        nonlocal index
        tag = match.group(0)
        name_match = _NAME.search(tag)
        name = html.unescape(name_match.group(1).decode("utf-8")) if name_match else ""
        here, index = index, index + 1
        cleaned = _STATE.sub(b"", tag)
        if normalise_header(name) in wanted:
            first_kept.append(here)
            return cleaned
        return cleaned[:-2].rstrip() + b' state="hidden"/>'

    xml = _SHEET_TAG.sub(visit, xml)
    if not first_kept:
        raise PdfFailed("the workbook has none of the sheets to put in the PDF")
    active = str(first_kept[0]).encode()

    def view(match: re.Match[bytes]) -> bytes:
        tag = re.sub(rb'\s+(activeTab|firstSheet)="\d+"', b"", match.group(0))
        end = -2 if tag.endswith(b"/>") else -1
        return tag[:end].rstrip() + b' activeTab="' + active + b'" firstSheet="' + active + b'"' + tag[end:]

    return _VIEW_TAG.sub(view, xml)


def pdf_page_count(pdf: Path) -> int:
    """How many pages ``pdf`` has."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is optional: count the page objects instead
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))
    return len(PdfReader(str(pdf)).pages)
