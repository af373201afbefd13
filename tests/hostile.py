"""Hostile and awkward trackers, built by code (see also badfiles.py for files that are
not workbooks at all). Each builder writes the file at ``path`` and returns it.

- ``tracker(path)``: the built-in example, as ``plantrack new --example`` writes it.
- ``with_sheet_xml(source, path, sheet, body)``: the same workbook with one sheet's XML
  replaced, streamed in chunks (for sheets of a million rows without a million-row list).
- the awkward ones a partner's return or an old master really holds: merged cells across
  the table, hidden rows, formulas where values belong, a sheet renamed, a header missing.
- the hostile ones: a value in cell XFD1048576, a million rows of nothing, a dimension
  that lies, a value planted far from the table.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import badfiles

from addin.example import example_plan
from addin.rules import load_rules
from addin.writer import write_tracker

MAIN_NS = badfiles.MAIN_NS


def tracker(path: Path) -> Path:
    write_tracker(example_plan(), load_rules(), path)
    return path


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part holding ``sheet``'s XML."""
    from addin.files import _sheet_parts

    with zipfile.ZipFile(path) as zf:
        return _sheet_parts(zf)[sheet]


def with_sheet_xml(source: Path, path: Path, sheet: str, body: Iterable[bytes]) -> Path:
    """``source`` with ``sheet``'s XML replaced by ``body`` (chunks, written as they come)."""
    part = sheet_part(source, sheet)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename == part:
                with new.open(part, "w", force_zip64=True) as stream:
                    for chunk in body:
                        stream.write(chunk)
            else:
                new.writestr(info, old.read(info))
    return path


def _worksheet(*inner: bytes) -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN_NS}">'.encode()
    yield from inner


def _text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _in_chunks(rows: Iterable[str], size: int = 20_000) -> Iterator[bytes]:
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


# --------------------------------------------------------------------------- hostile extents


def value_far_away(source: Path, path: Path, cell: str = "XFD1048576", sheet: str = "Agencies") -> Path:
    """One value planted in ``cell`` of a small sheet (calamine would build a grid up to it)."""
    row = "".join(ch for ch in cell if ch.isdigit())
    body = _worksheet(
        b"<sheetData>",
        f'<row r="1">{_text_cell("A1", "Agency")}</row>'.encode(),
        f'<row r="{row}">{_text_cell(cell, "x")}</row>'.encode(),
        b"</sheetData></worksheet>",
    )
    return with_sheet_xml(source, path, sheet, body)


def million_styled_rows(source: Path, path: Path, sheet: str = "Agencies", cells: bool = False) -> Path:
    """1,048,576 rows that hold only a style (``cells``: two styled, empty cells in each)."""

    def rows() -> Iterator[str]:
        for r in range(1, 1_048_577):
            if r == 1:
                yield f'<row r="1">{_text_cell("A1", "Agency")}</row>'
            elif cells:
                yield f'<row r="{r}"><c r="A{r}" s="1"/><c r="Z{r}" s="1"/></row>'
            else:
                yield f'<row r="{r}" s="1" customFormat="1"/>'

    body = _worksheet(b"<sheetData>", *_in_chunks(rows()), b"</sheetData></worksheet>")
    return with_sheet_xml(source, path, sheet, body)


def lying_dimension(source: Path, path: Path, sheet: str = "Agencies") -> Path:
    """A sheet that declares A1:XFD1048576 but holds one row."""
    body = _worksheet(
        b'<dimension ref="A1:XFD1048576"/><sheetData>',
        f'<row r="1">{_text_cell("A1", "Agency")}</row>'.encode(),
        b"</sheetData></worksheet>",
    )
    return with_sheet_xml(source, path, sheet, body)


def lower_case_far_cell(source: Path, path: Path, sheet: str = "Agencies") -> Path:
    """A far cell written in lower case and with single quotes (calamine reads both)."""
    body = _worksheet(
        b"<sheetData>",
        f'<row r="1">{_text_cell("A1", "Agency")}</row>'.encode(),
        b"<row r = '1048576'><c r = 'xfd1048576' t='inlineStr'><is><t>x</t></is></c></row>",
        b"</sheetData></worksheet>",
    )
    return with_sheet_xml(source, path, sheet, body)


def rows_without_references(source: Path, path: Path, count: int, sheet: str = "Agencies") -> Path:
    """``count`` rows whose cells carry no reference (legal XML; readers count them)."""

    def rows() -> Iterator[str]:
        yield f'<row r="1">{_text_cell("A1", "Agency")}</row>'
        for i in range(count):
            yield f'<row><c t="inlineStr"><is><t>Agency {i}</t></is></c></row>'

    body = _worksheet(b"<sheetData>", *_in_chunks(rows()), b"</sheetData></worksheet>")
    return with_sheet_xml(source, path, sheet, body)


# --------------------------------------------------------------------------- awkward, and reported


def awkward(path: Path) -> Path:
    """The example with merged cells across the Actions table, hidden rows, a formula where a
    value belongs (% complete) and a hidden sheet: all readable, all reported."""
    import openpyxl

    tracker(path)
    wb = openpyxl.load_workbook(path)
    actions = wb["Actions"]
    actions.merge_cells("B3:B5")  # a theme typed once for three rows
    actions.row_dimensions[7].hidden = True
    actions["N8"] = "=40+10"  # % complete as a formula: there is no saved value
    wb.create_sheet("Old actions").sheet_state = "hidden"
    wb.save(path)
    return path


def sheet_renamed(path: Path, old: str = "Actions", new: str = "Action plan") -> Path:
    import openpyxl

    tracker(path)
    wb = openpyxl.load_workbook(path)
    wb[old].title = new
    wb.save(path)
    return path


def header_missing(path: Path, header: str = "Due date") -> Path:
    """The Actions sheet with one header cell emptied."""
    import openpyxl

    tracker(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    for cell in ws[1]:
        if cell.value == header:
            cell.value = None
    wb.save(path)
    return path


def copy(source: Path, path: Path) -> Path:
    shutil.copyfile(source, path)
    return path
