"""Write cells straight into a sheet's XML: the fast way to change a big master.

openpyxl loads a whole workbook with its styles and saves it again, whatever a job
changed: on a 20,000-action master that is most of a minute. A job that recalculates
RAG changes two or three cells a row, so :func:`patch_sheet` edits the sheet's XML as
text instead: it walks the rows once, rewrites the cells a job writes (value and
cell format) and copies everything else through byte for byte — the other cells,
shared strings, conditional formats, data validations, tables, drawings.

It only patches what it fully understands: rows and cells written the way Excel,
openpyxl and XlsxWriter write them (``<row r="..">``, ``<c r="A1" ..>`` in order).
Anything else — a cell that is the anchor of a shared or array formula, a write into
the inside of merged cells, rows out of order — makes it return None, and the caller
writes the sheet the slow, general way instead.

Text is written as an inline string (``t="inlineStr"``), never as a formula: what a
partner typed stays text (see ``safety``). Cell formats are indices into the
workbook's styles; the caller works them out (``xlsx_changes.StyleMaker``) and passes
them in through ``restyle``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .changes import KEEP, CellWrite
from .safety import clean_text

# What a row and a cell look like when Excel, openpyxl or XlsxWriter wrote them.
_ROW = re.compile(rb'<row r="(\d+)"([^>]*?)(/?)>')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_CELL_START = re.compile(rb'<c r="([A-Z]{1,3})\d')
_ATTRIBUTE = re.compile(rb'\s([\w:]+)="([^"]*)"')
_MERGED = re.compile(rb'<mergeCell ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"\s*/>')
_COL = re.compile(rb"<col\s[^>]*/>")
# A cell with another attribute first, a namespace prefix, or no reference: not patched.
_UNUSUAL_CELL = re.compile(rb"<c(?:[>/]|\s(?!r=\"[A-Z]))|<\w+:c[\s>/]")
_UNUSUAL_ROW = re.compile(rb"<row(?:[>/]|\s(?!r=\"\d))|<\w+:row[\s>/]")
_KEEP_ON_NEW_VALUE = (b"s",)  # attributes a cell keeps when its value is replaced (r is written anew)

Restyle = Callable[[int, CellWrite], "int | None"]  # (old cell format, write) -> new format or None to keep


@dataclass(frozen=True)
class PatchResult:
    """A patched sheet, and how many cells were rewritten and added. ``pieces`` joined are
    its XML: mostly stretches of the old sheet (memoryviews, not copies), so a writer can
    stream them into the new file without ever holding a second copy of a big sheet."""

    pieces: tuple[bytes | memoryview, ...]
    rewritten: int
    added: int

    @property
    def xml(self) -> bytes:
        return b"".join(self.pieces)


def patchable(xml: bytes) -> bool:
    """Whether :func:`patch_sheet` can work on this sheet at all (rows and cells written
    the usual way, no namespace prefixes)."""
    return b"<sheetData" in xml and _UNUSUAL_CELL.search(xml) is None and _UNUSUAL_ROW.search(xml) is None


def patch_sheet(
    xml: bytes,
    writes: list[CellWrite],
    restyle: Restyle,
    epoch: dt.datetime | None = None,
    *,
    checked: bool = False,
) -> PatchResult | None:
    """``xml`` with ``writes`` applied (values and cell formats; notes are not cells and
    are left to the caller), or None when the sheet is not one this module can patch.

    ``restyle(old_format, write)`` gives the cell format a written cell takes, or None
    to keep its own. ``epoch`` is the workbook's date system (1900 unless it says 1904).
    ``checked``: :func:`patchable` has already said yes to this sheet.
    """
    if not checked and not patchable(xml):
        return None
    try:
        return _patch(xml, writes, restyle, epoch)
    except _NotPatchable:
        return None


def _patch(
    xml: bytes, writes: list[CellWrite], restyle: Restyle, epoch: dt.datetime | None
) -> PatchResult | None:
    by_row: dict[int, dict[int, CellWrite]] = {}
    for write in writes:
        cells = by_row.setdefault(write.row, {})
        earlier = cells.get(write.column)
        cells[write.column] = write if earlier is None else _combined(earlier, write)
    if _writes_inside_merged_cells(xml, by_row):
        return None
    data_start, data_end = _sheet_data(xml)
    column_styles = _column_styles(xml[:data_start])
    writer = _CellWriter(restyle, epoch)
    view = memoryview(xml)  # the unchanged stretches are joined without copying them first
    out: list[bytes | memoryview] = [view[:data_start]]
    at = data_start
    wanted = sorted(by_row)
    next_wanted = 0
    last_row = 0
    for found in _ROW.finditer(xml, data_start, data_end):
        number = int(found.group(1))
        if number <= last_row:
            return None  # rows out of order: not written by a program this module knows
        last_row = number
        # rows plantrack writes into that the sheet does not have yet come before this one
        while next_wanted < len(wanted) and wanted[next_wanted] < number:
            out.append(view[at : found.start()])
            at = found.start()
            out.append(writer.new_row(wanted[next_wanted], by_row[wanted[next_wanted]], column_styles))
            next_wanted += 1
        if next_wanted < len(wanted) and wanted[next_wanted] == number:
            if found.group(3):  # <row .../>: no cells yet
                end = found.end()
                inner = b""
                open_tag = found.group(0)[:-2] + b">"
            else:
                end = xml.find(b"</row>", found.end(), data_end)
                if end < 0:
                    return None
                inner = xml[found.end() : end]
                end += len(b"</row>")
                open_tag = found.group(0)
            row_style = _row_style(found.group(2))
            patched = writer.row(number, inner, by_row[number], row_style, column_styles)
            if patched is None:
                return None
            out.append(view[at : found.start()])
            out.append(_without_spans(open_tag) + patched + b"</row>")
            at = end
            next_wanted += 1
    out.append(view[at:data_end])
    for number in wanted[next_wanted:]:
        out.append(writer.new_row(number, by_row[number], column_styles))
    tail: bytes | memoryview = view[data_end:]
    if data_end == data_start:  # <sheetData/>: open it
        out[0] = xml[: data_start - len(b"/>")] + b">"
        tail = b"</sheetData>" + bytes(tail)
    out.append(tail)
    if wanted:  # <dimension> comes before <sheetData>, so it is in the first piece
        out[0] = _widen_dimension(bytes(out[0]), max(wanted), max(max(r) for r in by_row.values()))
    return PatchResult(tuple(out), writer.rewritten, writer.added)


# --------------------------------------------------------------------------- cells


class _CellWriter:
    def __init__(self, restyle: Restyle, epoch: dt.datetime | None):
        self.restyle = restyle
        self.epoch = epoch
        self.rewritten = 0
        self.added = 0

    def row(
        self,
        number: int,
        inner: bytes,
        writes: dict[int, CellWrite],
        row_style: int | None,
        column_styles: list[tuple[int, int, int]],
    ) -> bytes | None:
        """The row's cells with ``writes`` applied, in column order.

        Each written cell is found by its reference (a search in C, not a parse of every
        cell: a master's rows hold twenty-odd cells and a job writes two or three); the
        row's cells are parsed only to place a cell it does not have yet.
        """
        if b"<extLst" in inner:
            return None
        suffix = b'%d"' % number
        edits: list[tuple[int, int, int, bytes]] = []  # (start, end, column, new bytes)
        missing = []
        for column in sorted(writes):
            needle = b'<c r="' + _letters(column) + suffix
            start = inner.find(needle)
            if start < 0:
                missing.append(column)
                continue
            tag_end = inner.find(b">", start)
            if tag_end < 0:
                return None
            if inner[tag_end - 1] == 47:  # "/": <c .../> holds no value
                attributes, content, end = inner[start + len(needle) : tag_end - 1], b"", tag_end + 1
            else:
                close = inner.find(b"</c>", tag_end)
                if close < 0:
                    return None
                attributes, content = inner[start + len(needle) : tag_end], inner[tag_end + 1 : close]
                end = close + len(b"</c>")
            cell = self.cell(number, column, writes[column], dict(_ATTRIBUTE.findall(attributes)), content)
            edits.append((start, end, column, cell))
            self.rewritten += 1
        for column in missing:
            at = _insertion_point(inner, column)
            default = _default_style(column, row_style, column_styles)
            edits.append((at, at, column, self.cell(number, column, writes[column], {b"s": default}, None)))
            self.added += 1
        edits.sort()
        out: list[bytes] = []
        at = 0
        for start, end, _, cell in edits:
            out.append(inner[at:start])
            out.append(cell)
            at = end
        out.append(inner[at:])
        return b"".join(out)

    def new_row(
        self, number: int, writes: dict[int, CellWrite], column_styles: list[tuple[int, int, int]]
    ) -> bytes:
        cells = []
        for column in sorted(writes):
            default = _default_style(column, None, column_styles)
            cells.append(self.cell(number, column, writes[column], {b"s": default}, None))
            self.added += 1
        return b'<row r="%d">' % number + b"".join(cells) + b"</row>"

    def cell(
        self,
        row: int,
        column: int,
        write: CellWrite,
        attributes: dict[bytes, bytes],
        content: bytes | None,
    ) -> bytes:
        """One ``<c>`` element: the old one (``attributes``, ``content``) with ``write`` applied."""
        reference = _column_letters(column) + str(row)
        old_style = int(attributes.get(b"s") or 0)
        new_style = self.restyle(old_style, write)
        style = old_style if new_style is None else new_style
        if write.value is KEEP:  # only the format changes (a formula stays as it is)
            kept = {k: v for k, v in attributes.items() if k != b"s"}
            head = _open(reference, style, kept)
            return head + b">" + content + b"</c>" if content else head + b"/>"
        if content is not None and _anchors_formula(content):
            raise _NotPatchable
        kind, body = self.value(write.value)
        kept = {k: v for k, v in attributes.items() if k in _KEEP_ON_NEW_VALUE and k != b"s"}
        if kind:
            kept[b"t"] = kind
        head = _open(reference, style, kept)
        return head + b">" + body + b"</c>" if body else head + b"/>"

    def value(self, value: Any) -> tuple[bytes, bytes]:
        """(the cell's type attribute, its content) for a value, as Excel stores it."""
        if value is None:
            return b"", b""
        if isinstance(value, bool):
            return b"b", b"<v>1</v>" if value else b"<v>0</v>"
        if isinstance(value, (int, decimal.Decimal)):
            return b"", b"<v>%s</v>" % str(value).encode()
        if isinstance(value, float):
            if not math.isfinite(value):
                return self.text(str(value))
            return b"", b"<v>%s</v>" % repr(value).encode()
        if isinstance(value, (dt.date, dt.time, dt.timedelta)):
            from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, to_excel

            serial = to_excel(value, self.epoch or CALENDAR_WINDOWS_1900)
            number = int(serial) if float(serial).is_integer() else serial
            return b"", b"<v>%s</v>" % repr(number).encode()
        return self.text(str(value))

    @staticmethod
    def text(text: str) -> tuple[bytes, bytes]:
        text = clean_text(text)
        if not text:
            return b"", b""  # an empty cell, as openpyxl and Excel store no text
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
        space = b' xml:space="preserve"' if text != text.strip() or "\n" in text else b""
        return b"inlineStr", b"<is><t%s>%s</t></is>" % (space, escaped)


def _combined(earlier: CellWrite, later: CellWrite) -> CellWrite:
    """Two writes to one cell as one: what the later one sets wins, the rest of the earlier stays."""
    return CellWrite(
        later.sheet,
        later.row,
        later.column,
        value=earlier.value if later.value is KEEP else later.value,
        fill=earlier.fill if later.fill is KEEP else later.fill,
        font_colour=earlier.font_colour if later.font_colour is KEEP else later.font_colour,
        note=earlier.note if later.note is KEEP else later.note,
        number_format=later.number_format or earlier.number_format,
    )


class _NotPatchable(Exception):
    """Raised inside the patcher when a cell cannot be rewritten safely."""


def _insertion_point(inner: bytes, column: int) -> int:
    """Where a new cell of ``column`` goes in a row's XML: before the first cell to its
    right. Searched from the end, as the columns plantrack writes (RAG, reason ...) are
    usually the last ones."""
    at = len(inner)
    while True:
        start = inner.rfind(b'<c r="', 0, at)
        if start < 0:
            return at
        found = _CELL_START.match(inner, start)
        if found is None or _column_number(found.group(1)) < column:
            return at
        at = start


def _open(reference: str, style: int, attributes: dict[bytes, bytes]) -> bytes:
    parts = [b'<c r="', reference.encode(), b'"']
    if style:
        parts.append(b' s="%d"' % style)
    for key, value in attributes.items():
        parts.append(b" " + key + b'="' + value + b'"')
    return b"".join(parts)


def _anchors_formula(content: bytes) -> bool:
    """The cell holds the formula that other cells share, or an array formula: rewriting
    it would break the cells that depend on it."""
    if b"<f" not in content:
        return False
    tag = re.search(rb"<f\b[^>]*>", content)
    return tag is not None and b"ref=" in tag.group(0)


# --------------------------------------------------------------------------- sheet-level helpers


def _sheet_data(xml: bytes) -> tuple[int, int]:
    """Where the rows are: (start, end) offsets inside ``<sheetData>`` (equal for ``<sheetData/>``)."""
    found = re.search(rb"<sheetData\s*(/?)>", xml)
    if found is None:
        raise ValueError("no sheetData")
    if found.group(1):
        return found.end(), found.end()
    end = xml.rfind(b"</sheetData>")
    if end < found.end():
        raise ValueError("sheetData not closed")
    return found.end(), end


def _row_style(attributes: bytes) -> int | None:
    """A row's own cell format, which new cells in it take (when it is a custom one)."""
    values = dict(_ATTRIBUTE.findall(attributes))
    if values.get(b"customFormat") in (b"1", b"true") and b"s" in values:
        return int(values[b"s"])
    return None


def _column_styles(head: bytes) -> list[tuple[int, int, int]]:
    """(first column, last column, format) of each ``<col>`` that has a format."""
    styles = []
    for tag in _COL.findall(head):
        values = dict(_ATTRIBUTE.findall(tag))
        if b"style" in values and b"min" in values and b"max" in values:
            styles.append((int(values[b"min"]), int(values[b"max"]), int(values[b"style"])))
    return styles


def _default_style(column: int, row_style: int | None, column_styles: list[tuple[int, int, int]]) -> bytes:
    """The format a new cell starts from, as Excel gives it: the row's, else the column's."""
    if row_style is not None:
        return str(row_style).encode()
    for first, last, style in column_styles:
        if first <= column <= last:
            return str(style).encode()
    return b"0"


def _without_spans(open_tag: bytes) -> bytes:
    """A row's opening tag without ``spans`` (an optional hint that a new cell could make wrong)."""
    return _SPANS.sub(b"", open_tag) if b"spans=" in open_tag else open_tag


def _writes_inside_merged_cells(xml: bytes, by_row: dict[int, dict[int, CellWrite]]) -> bool:
    if b"<mergeCell" not in xml:
        return False
    for first_col, first_row, last_col, last_row in _MERGED.findall(xml):
        top, left = int(first_row), _column_number(first_col)
        bottom = int(last_row) if last_row else top
        right = _column_number(last_col) if last_col else left
        for row in range(top, bottom + 1):
            for column in by_row.get(row, {}):
                if left <= column <= right and (row, column) != (top, left):
                    return True
    return False


def _widen_dimension(xml: bytes, last_row: int, last_column: int) -> bytes:
    """Make ``<dimension>`` cover the cells written (readers use it to size the sheet)."""
    found = _DIMENSION.search(xml)
    if found is None:
        return xml
    first_col, first_row, end_col, end_row = found.groups()
    end_col, end_row = end_col or first_col, end_row or first_row
    right = max(_column_number(end_col), last_column)
    bottom = max(int(end_row), last_row)
    if (right, bottom) == (_column_number(end_col), int(end_row)):
        return xml
    ref = b"%s%s:%s%d" % (first_col, first_row, _column_letters(right).encode(), bottom)
    return xml[: found.start()] + b'<dimension ref="' + ref + b'"/>' + xml[found.end() :]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


@functools.lru_cache(maxsize=1024)
def _letters(number: int) -> bytes:
    return _column_letters(number).encode()


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
