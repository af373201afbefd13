"""The Excel adapter: a live workbook through xlwings (the buttons' ``files``).

It works the same on the desktop (Windows or macOS Excel with xlwings) and in
Excel's Office.js engine (xlwings Lite, xlwings Server), so it uses only what
both engines do alike: read values, names and tables; write values, fills,
font colour and weight, number formats, column widths, wrapping and notes; add
sheets with ``after=``. It never reads a format back (the Office.js engine
cannot), and it never writes cell by cell:

- ``read_grids(book, rules)`` reads every sheet once, by value, from A1 to the
  last used cell, and irons out the engines' differences: whole numbers are
  ints, empty cells None, a date at midnight a ``date``, and, in the Office.js
  engine (where Excel 2019 and older send every date as its serial number),
  numbers in date columns become dates.
- ``write_changes(book, changes)`` writes a job's ``Changes`` in blocks (see
  ``blocks``): one values write per rectangle of written cells, fills with one
  ``set_colors`` per column strip, number formats, font colours and bold per
  rectangle of equal values. Generated sheets are replaced whole: one values
  write, then formats per column or rectangle.
- Text stays text: a string Excel would turn into something else (a number,
  a date, a formula...) is written with a leading apostrophe; a column formatted
  as text ("@") first is written as it is.

Limits, so that the number of calls does not grow with the number of rows:
at most ``NOTE_LIMIT`` notes are added per run (the Validation sheet lists
every finding anyway); font colours and bold take at most ``FORMAT_RUNS``
rectangles each per sheet, after which the text of the remaining coloured
cells gets the one colour that reads on all their fills (black on the RAG
colours). Charts, page setup, borders, frozen panes, tab colours and row
heights are left to the file version (``plantrack pack`` and friends).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..changes import KEEP, CellWrite, Changes, GeneratedSheet
from ..errors import UnusableWorkbook
from ..reader import Tracker, tracker_from_grids
from ..rules import RuleSet, normalise_header, rules_for_workbook
from ..safety import clean_text
from ..tables import Grid, find_header_row, is_blank
from ..templates import Template, load_template
from .blocks import (
    Block,
    Cell,
    colour_strips,
    contrast,
    excel_would_convert,
    readable_colour,
    uniform_blocks,
    value_blocks,
)

if TYPE_CHECKING:  # the adapter only calls methods on the objects xlwings hands it
    import xlwings as xw

OFFICE_JS_ENGINES = {"remote"}  # xlwings Lite and xlwings Server run through this one
NOTE_LIMIT = 50
FORMAT_RUNS = 40
STATUS_FIELD = "Last run"
LINK_FONT = "0563C1"
MAX_TEXT = 32_767  # characters in one Excel cell
MAX_LINK_TEXT = 255  # characters in one string inside a formula
# Headers of the sheets plantrack itself writes (pack history, issue book, returns):
# in the Office.js engine their dates may arrive as serial numbers too.
DATE_HEADERS = {"packdate", "issuedat", "receivedat", "due", "when", "date", "periodend", "returndue"}
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_LAST_SERIAL = 2_958_465  # 31/12/9999


# ------------------------------------------------------------------ the book


def engine_name(book: xw.Book) -> str:
    try:
        return str(book.app.engine.name)
    except Exception:  # an engine without the attribute: treat it as a desktop one
        return ""


def is_office_js(book: xw.Book) -> bool:
    """True in xlwings Lite / xlwings Server (Excel's Office.js API), False on the desktop."""
    return engine_name(book) in OFFICE_JS_ENGINES


LITE_FILES = Path(
    "/data"
)  # xlwings Lite: Files > Import/Export puts files here, and offers what is written here


def book_path(book: xw.Book) -> Path:
    """The workbook's path: files a button reads or writes (plantrack.toml, partner copies,
    returns) are beside it. In the Office.js engine the workbook has no folder: xlwings Lite's
    file area (/data) stands in for it, else the current directory."""
    full = Path(str(book.fullname))
    if full.is_absolute() and not is_office_js(book):
        return full
    folder = LITE_FILES if is_office_js(book) and LITE_FILES.is_dir() else Path.cwd()
    return folder / full.name


def find_sheet(book: xw.Book, name: str) -> Any | None:
    wanted = normalise_header(name)
    for sheet in book.sheets:
        if normalise_header(sheet.name) == wanted:
            return sheet
    return None


# ------------------------------------------------------------------ reading


def _cell(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, dt.datetime) and value.time() == dt.time() and value.tzinfo is None:
        return value.date()
    return value


# How the Office.js client sends a date: JavaScript's toISOString(), always with milliseconds and Z.
_CLIENT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ERROR_TEXTS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!"}


def _client_value(value: Any) -> Any:
    """A value as the Office.js client sent it. Only the client's own date form is a date:
    xlwings' reader would also take text such as "2019-11-01T09:30:00" for one (and fail)."""
    if isinstance(value, str):
        if _CLIENT_DATE.match(value):
            return dt.datetime.fromisoformat(value[:-1])
        if value in _ERROR_TEXTS:
            return None
    return _cell(value)


def read_grid(sheet: Any) -> Grid:
    """One sheet's values from A1 to its last used cell, in one read. In the Office.js engine
    that is the payload the client sent (A1 to the last used cell of every sheet)."""
    payload = getattr(sheet, "api", None)
    if isinstance(payload, dict) and isinstance(payload.get("values"), list):
        rows = [[_client_value(v) for v in row] for row in payload["values"] if isinstance(row, list)]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        return Grid(sheet.name, rows)
    used = sheet.used_range
    if used is None:
        return Grid(sheet.name, [])
    last = used.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value or []
    rows = [[_cell(v) for v in row] for row in values]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return Grid(sheet.name, rows)


def read_grids(book: xw.Book, rules: RuleSet) -> dict[str, Grid]:
    """Every sheet's grid, read once; serial-number dates turned into dates (Office.js)."""
    grids = {}
    for sheet in book.sheets:
        grid = read_grid(sheet)
        if len(grid.values) > rules.limits.max_rows:
            raise UnusableWorkbook(
                book_path(book),
                f"sheet '{grid.name}' has {len(grid.values):,} rows, more than the limit of "
                f"{rules.limits.max_rows:,}",
                "remove empty or stray rows, or raise max_rows in the rule set",
            )
        grids[grid.name] = grid
    if is_office_js(book):
        serials_to_dates(grids, rules)
    return grids


def from_serial(value: Any) -> Any:
    """An Excel date serial number -> date (datetime when it has a time of day)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= _LAST_SERIAL:
        return value
    moment = _EXCEL_EPOCH + dt.timedelta(days=float(value))
    moment = (
        moment.replace(microsecond=0)
        if moment.microsecond < 500_000
        else (moment + dt.timedelta(seconds=1)).replace(microsecond=0)
    )
    return moment.date() if moment.time() == dt.time() else moment


def serials_to_dates(grids: Mapping[str, Grid], rules: RuleSet) -> None:
    """Excel 2019 and older (ExcelApi below 1.12) send dates as serial numbers to the
    Office.js engine. Numbers in the date columns the rules name, in the Plan sheet's
    date fields and in plantrack's own dated columns are taken to be dates."""
    by_name = {normalise_header(s.name): s for s in rules.sheets}
    for name, grid in grids.items():
        rule = by_name.get(normalise_header(name))
        if rule is not None and rule.kind == "fields":
            dated = {f.key for f in rule.fields if f.type == "date"}
            for row in grid.values:
                if len(row) > 1 and not is_blank(row[0]) and normalise_header(row[0]) in dated:
                    row[1] = from_serial(row[1])
            continue
        if not grid.values:
            continue
        found: int | None
        if rule is not None:
            dated = {c.key for c in rule.columns if c.type == "date"}
            found = find_header_row(grid.values, rule)
        else:
            dated, found = DATE_HEADERS, _plain_header_row(grid)
        if found is None:
            continue
        at = found
        columns = [
            i
            for i, h in enumerate(grid.values[at])
            if not is_blank(h)
            and (normalise_header(h) in dated or (rule is None and normalise_header(h).endswith("date")))
        ]
        for row in grid.values[at + 1 :]:
            for i in columns:
                if i < len(row):
                    row[i] = from_serial(row[i])


def _plain_header_row(grid: Grid) -> int | None:
    for i, row in enumerate(grid.values[:10]):
        keys = {normalise_header(v) for v in row if isinstance(v, str)}
        if keys & DATE_HEADERS or any(k.endswith("date") for k in keys):
            return i
    return None


def read_book(book: xw.Book, extra_rules: str | Path | None = None) -> tuple[RuleSet, dict[str, Grid]]:
    """The rules for this workbook and every sheet's grid: the rules are the defaults, then a
    ``plantrack.toml`` beside the workbook (in xlwings Lite: in its file area)."""
    rules = rules_for_workbook(book_path(book), extra=extra_rules)
    return rules, read_grids(book, rules)


def tracker_of(
    book: xw.Book, rules: RuleSet, grids: dict[str, Grid], extra_rules: str | Path | None = None
) -> Tracker:
    """The tracker, as ``files.read_tracker`` gives it for a file (a rule set named on
    the Plan sheet applies on top)."""
    path = book_path(book)
    tracker = tracker_from_grids(grids, rules, path)
    if tracker.plan.info.rule_set:
        rules = rules_for_workbook(path, named=tracker.plan.info.rule_set, extra=extra_rules)
        if is_office_js(book):
            serials_to_dates(grids, rules)
        tracker = tracker_from_grids(grids, rules, path)
    return tracker


def read_tracker(book: xw.Book, extra_rules: str | Path | None = None) -> tuple[Tracker, dict[str, Grid]]:
    """The tracker and every sheet's grid (``read_book`` then ``tracker_of``)."""
    rules, grids = read_book(book, extra_rules)
    return tracker_of(book, rules, grids, extra_rules), grids


# ------------------------------------------------------------------ values as Excel reads them


def excel_value(value: Any, *, text_cell: bool = False) -> Any:
    """A value to hand xlwings so that Excel stores exactly it.

    Text Excel would read as something else gets a leading apostrophe (Excel keeps
    the text and drops the apostrophe) unless the cell is formatted as text
    (``text_cell``): then it is written as it is. Characters a cell cannot hold
    are dropped; NaN is empty; a Decimal is a float."""
    if value is None or value is KEEP:
        return None
    if isinstance(value, str):
        text = clean_text(value)[:MAX_TEXT]
        if text_cell or not excel_would_convert(text):
            return text
        return "'" + text[: MAX_TEXT - 1]
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (int, float, dt.date, dt.datetime)):
        return value
    return excel_value(str(value), text_cell=text_cell)


def link_formula(target: str, text: Any) -> str:
    """A HYPERLINK formula: one values write carries any number of links (a hyperlink
    object would be one call per cell). The text is inside a string: never run."""
    shown = "" if text is None else str(text)
    shown = clean_text(shown)[:MAX_LINK_TEXT].replace('"', '""')
    target = clean_text(target)[:MAX_LINK_TEXT].replace('"', '""')
    return f'=HYPERLINK("{target}","{shown}")'


def column_width(book: xw.Book, characters: float) -> float:
    """Excel's width unit (characters) in what the engine takes: the Office.js engine
    takes points (7 pixels a character plus 5 of padding, at 0.75 points a pixel)."""
    if is_office_js(book):
        return round((characters * 7 + 5) * 0.75, 2)
    return characters


# ------------------------------------------------------------------ writing


@dataclass
class WriteReport:
    """What ``write_changes`` did, in numbers the status line can use."""

    cells: int = 0
    sheets: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: int = 0
    notes_left_out: int = 0
    charts_left_out: int = 0
    formats_simplified: int = 0  # font colour / bold rectangles beyond FORMAT_RUNS
    last_rows: dict[str, int] = field(default_factory=dict)  # sheet (normalised) -> bottom row written


def write_changes(
    book: xw.Book, changes: Changes, template: Template | None = None, *, note_limit: int = NOTE_LIMIT
) -> WriteReport:
    """Write a job's ``Changes`` into the live workbook, in blocks. Every sheet written into
    is found first: a missing one stops the job before anything is written."""
    writer = _Writer(book, template or load_template(), note_limit)
    by_sheet: dict[str, list[CellWrite]] = {}
    for change in changes.cells:
        by_sheet.setdefault(normalise_header(change.sheet), []).append(change)
    targets = []
    for cells in by_sheet.values():
        sheet = find_sheet(book, cells[0].sheet)
        if sheet is None:
            raise UnusableWorkbook(book_path(book), f"the workbook has no '{cells[0].sheet}' sheet")
        targets.append((sheet, cells))
    for name in changes.remove_sheets:
        sheet = find_sheet(book, name)
        if sheet is not None:
            writer.report.removed.append(str(sheet.name))
            sheet.delete()
    for sheet, cells in targets:
        writer.cells(sheet, cells)
        key = normalise_header(cells[0].sheet)
        writer.report.last_rows[key] = max(c.row for c in cells)
    for spec in changes.sheets:
        writer.generated(spec)
    return writer.report


class _Writer:
    def __init__(self, book: xw.Book, template: Template, note_limit: int):
        self.book, self.template = book, template
        self.notes_left = note_limit
        self.report = WriteReport()

    # -- cells of existing sheets ---------------------------------------------------
    def cells(self, sheet: Any, cells: list[CellWrite]) -> None:
        latest: dict[Cell, CellWrite] = {}
        for change in cells:
            latest[(change.row, change.column)] = _merged(latest.get((change.row, change.column)), change)
        formats = {cell: c.number_format for cell, c in latest.items() if c.number_format}
        for block, fmt in uniform_blocks(formats):
            _range(sheet, block).number_format = fmt
        values = {
            cell: excel_value(c.value, text_cell=c.number_format == "@")
            for cell, c in latest.items()
            if c.value is not KEEP
        }
        for block, matrix in value_blocks(values):
            _range(sheet, block).value = matrix
        self.report.cells += len(values)
        fills = {cell: _hex(c.fill) for cell, c in latest.items() if c.fill is not KEEP}
        for block, matrix in colour_strips(fills):
            _range(sheet, block).set_colors(matrix)
        fonts = {cell: (c.font_colour or "000000") for cell, c in latest.items() if c.font_colour is not KEEP}
        known = {cell: (_plain(c.fill) if c.fill is not KEEP else None) for cell, c in latest.items()}
        self.font_colours(sheet, fonts, known, default=None)
        # Like the file adapter: a coloured font is bold, a cleared one is not.
        bold = {cell: bool(c.font_colour) for cell, c in latest.items() if c.font_colour is not KEEP}
        self.bold(sheet, bold, default=None)
        self.notes(sheet, {cell: c.note for cell, c in latest.items() if c.note is not KEEP})

    # -- formats by rectangle, within a budget ------------------------------------------
    def font_colours(
        self, sheet: Any, wanted: Mapping[Cell, str], fills: Mapping[Cell, str | None], default: str | None
    ) -> None:
        exact = [(b, colour) for b, colour in uniform_blocks(wanted) if colour != default]
        if len(exact) <= FORMAT_RUNS:
            for block, colour in exact:
                _range(sheet, block).font.color = _hex(colour)
            return
        base = readable_colour(fills.get(cell) for cell in wanted)
        if base != default:
            for block, _ in uniform_blocks({cell: 0 for cell in wanted}):
                _range(sheet, block).font.color = _hex(base)

        def need(item: tuple[Block, str]) -> tuple[float, int]:
            block, _ = item
            return (min(contrast(base, fills.get(cell) or "FFFFFF") for cell in block.cells()), -block.size)

        rest = sorted(((b, c) for b, c in exact if c != base), key=need)
        for block, colour in rest[:FORMAT_RUNS]:
            _range(sheet, block).font.color = _hex(colour)
        self.report.formats_simplified += max(0, len(rest) - FORMAT_RUNS)

    def bold(
        self, sheet: Any, wanted: Mapping[Cell, bool], default: bool | None, first: Iterable[Cell] = ()
    ) -> None:
        exact = [(b, v) for b, v in uniform_blocks(wanted) if v != default]
        early = set(first)
        exact.sort(key=lambda item: (not any(cell in early for cell in item[0].cells()), -item[0].size))
        for block, value in exact[:FORMAT_RUNS]:
            _range(sheet, block).font.bold = value
        self.report.formats_simplified += max(0, len(exact) - FORMAT_RUNS)

    def notes(self, sheet: Any, notes: Mapping[Cell, str | None]) -> None:
        for (r, c), text in sorted(notes.items()):
            cell = sheet.range((r, c))
            existing = cell.note
            if not text:
                if existing is not None:
                    existing.delete()
                continue
            if self.notes_left <= 0:
                self.report.notes_left_out += 1
                continue
            text = clean_text(str(text))[:MAX_TEXT]
            if existing is not None:
                existing.text = text
            else:
                cell.add_note(text)
            self.notes_left -= 1
            self.report.notes += 1

    # -- generated sheets ---------------------------------------------------------------
    def generated(self, spec: GeneratedSheet) -> None:
        sheet = self._fresh_sheet(spec)
        self.report.sheets.append(spec.name)
        rows = spec.rows
        width = max((len(r) for r in rows), default=0)
        n = len(rows)
        body = range(spec.header_row + 1, n + 1)
        style = self.template.style
        if n and width:
            # Formats first, so text written into a text column stays as typed.
            formats = {
                (r, c): fmt
                for c, fmt in spec.number_formats.items()
                for r in body
                if not (fmt == "@" and (r, c) in spec.links)
            }
            for block, fmt in uniform_blocks(formats):
                _range(sheet, block).number_format = fmt
            matrix = []
            for r, row in enumerate(rows, start=1):
                line = []
                for c in range(1, width + 1):
                    value = row[c - 1] if c <= len(row) else None
                    if (r, c) in spec.links:
                        line.append(link_formula(spec.links[(r, c)], value))
                    else:
                        text_cell = r > spec.header_row and spec.number_formats.get(c) == "@"
                        line.append(excel_value(value, text_cell=text_cell))
                matrix.append(line)
            whole = _range(sheet, Block(1, 1, n, width))
            whole.value = matrix
            whole.font.name = style.font
            whole.font.size = style.font_size
            self.report.cells += n * width
        header: list[Cell] = []
        if spec.header_row and spec.header_row <= n:
            header = [
                (spec.header_row, c)
                for c, v in enumerate(rows[spec.header_row - 1], start=1)
                if v is not None
            ]
        titles = [
            (r, c)
            for r in range(1, min(spec.title_rows, n) + 1)
            for c, v in enumerate(rows[r - 1], start=1)
            if v is not None
        ]
        if titles and titles[0][0] == 1:
            sheet.range((1, 1)).font.size = style.title_font_size
        fills: dict[Cell, str | None] = {cell: style.header_fill for cell in header}
        fills.update({cell: _hex(colour) for cell, colour in spec.fills.items()})
        for block, colours in colour_strips(fills):
            _range(sheet, block).set_colors(colours)
        fonts = {cell: style.header_font_colour for cell in header}
        fonts.update({cell: LINK_FONT for cell in spec.links})
        fonts.update(spec.font_colours)
        plain_fills = {cell: _plain(f) for cell, f in fills.items()}
        self.font_colours(sheet, fonts, plain_fills, default="000000")
        bold = {cell: True for cell in [*titles, *header, *spec.bold_cells, *spec.font_colours]}
        self.bold(sheet, bold, default=False, first=[*titles, *header])
        wrap = {(r, c): True for c in spec.wrap_columns for r in body}
        wrap.update({cell: True for cell in header})
        for block, _ in uniform_blocks(wrap):
            _range(sheet, block).wrap_text = True
        for (c0, c1), chars in _width_groups(spec.widths):
            sheet.range((1, c0), (1, c1)).column_width = column_width(self.book, chars)
        self.notes(sheet, dict(spec.notes))
        if spec.wrap_columns and n:
            sheet.autofit("rows")
        self.report.charts_left_out += len(spec.charts)
        if spec.state != "visible":
            sheet.visible = False

    def _fresh_sheet(self, spec: GeneratedSheet) -> Any:
        """Replace the sheet called ``spec.name`` (where it was), or add it after
        ``spec.after`` or at the end. Office.js's ``before=`` is off by one: use ``after=``."""
        sheets = self.book.sheets
        old = find_sheet(self.book, spec.name)
        if old is not None:
            position = old.index  # from 1
            if len(sheets) == 1:  # Excel keeps at least one sheet: add first, then delete
                new = sheets.add(spec.name + " (new)", after=old)
                old.delete()
                new.name = spec.name
                return new
            before = sheets[position - 2] if position > 1 else None
            old.delete()
            if before is None:
                return self.book.sheets.add(spec.name, before=self.book.sheets[0])
            return self.book.sheets.add(spec.name, after=before)
        anchor = find_sheet(self.book, spec.after) if spec.after else None
        return sheets.add(spec.name, after=anchor if anchor is not None else sheets[len(sheets) - 1])


def _merged(old: CellWrite | None, new: CellWrite) -> CellWrite:
    """Two writes to one cell: the later one wins for what it sets."""
    if old is None:
        return new
    pick = {
        name: getattr(new, name) if getattr(new, name) is not KEEP else getattr(old, name)
        for name in ("value", "fill", "font_colour", "note")
    }
    return CellWrite(
        new.sheet, new.row, new.column, number_format=new.number_format or old.number_format, **pick
    )


def _range(sheet: Any, block: Block) -> Any:
    if block.size == 1:
        return sheet.range((block.row, block.column))
    return sheet.range((block.row, block.column), (block.last_row, block.last_column))


def _plain(colour: Any) -> str | None:
    return str(colour).lstrip("#").upper() if colour else None


def _hex(colour: Any) -> str | None:
    """ "C00000" -> "#C00000"; None stays None (no fill)."""
    return "#" + str(colour).lstrip("#").upper() if colour else None


def _width_groups(widths: Mapping[int, float]) -> list[tuple[tuple[int, int], float]]:
    out: list[tuple[tuple[int, int], float]] = []
    for c in sorted(widths):
        if out and out[-1][0][1] == c - 1 and out[-1][1] == widths[c]:
            out[-1] = ((out[-1][0][0], c), widths[c])
        else:
            out.append(((c, c), widths[c]))
    return out


# ------------------------------------------------------------------ status


def show_status(
    book: xw.Book, grids: Mapping[str, Grid], rules: RuleSet, line: str, written: WriteReport | None = None
) -> None:
    """The one-line result: in the Plan sheet's "Last run" row (added under the other fields,
    and under any row the job itself added, the first time), and on the status bar where the
    engine has one (not in Office.js)."""
    plan_rule = next(s for s in rules.sheets if s.kind == "fields")
    sheet = find_sheet(book, plan_rule.name)
    if sheet is not None:
        grid = next(
            (g for name, g in grids.items() if normalise_header(name) == normalise_header(plan_rule.name)),
            Grid(plan_rule.name, []),
        )
        row = next(
            (
                i
                for i, values in enumerate(grid.values, start=1)
                if values
                and not is_blank(values[0])
                and normalise_header(values[0]) == normalise_header(STATUS_FIELD)
            ),
            None,
        )
        if row is not None:
            sheet.range((row, 2)).value = excel_value(line)
        else:
            last = max(
                (
                    i
                    for i, values in enumerate(grid.values, start=1)
                    if any(not is_blank(v) for v in values[:2])
                ),
                default=0,
            )
            if written is not None:
                last = max(last, written.last_rows.get(normalise_header(plan_rule.name), 0))
            sheet.range((last + 1, 1)).value = [[STATUS_FIELD, excel_value(line)]]
    set_status_bar(book, line)


def set_status_bar(book: xw.Book, line: str | bool) -> bool:
    """Excel's status bar, where the engine has one (the desktop); False elsewhere."""
    if is_office_js(book):
        return False
    try:
        book.app.status_bar = line
    except Exception:  # an engine without a status bar
        return False
    return True


def alert(book: xw.Book, text: str, title: str = "plantrack") -> None:
    """A message box (Excel desktop, xlwings Lite and Server all have one)."""
    try:
        book.app.alert(text, title=title)
    except Exception:  # no way to show it: the status cell has the message
        pass
