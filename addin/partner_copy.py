"""A partner copy as a workbook: its look decided once, then written by XlsxWriter.

``copy_book(copy, rules, template)`` turns what ``jobs.issue`` decided for one
agency into a ``CopyBook``: for every sheet, the values and the look of every
cell (a ``Look``: font, fill, border, alignment, number format, locked or not),
column widths, row heights, drop-downs and input messages, RAG colours,
frozen panes, filter, print set-up and protection. The look follows
``templates/tracker.toml`` exactly as ``writer`` does for a new tracker:

- Instructions: the lines, title and headings in bold, wrapped.
- Actions, Milestones, Indicators, Indicator data: the header row as in the
  master; the columns a partner may change are yellow, wrapped where the
  master wraps, formatted (dates, whole-number %), and unlocked; every other
  cell is grey and locked (a RAG keeps its colour); no formatted empty rows
  below the last, so there is nowhere to add a row.
- The record (``_plantrack_record``): text only, very hidden.
- Every sheet protected without a password (filter, sort, resize allowed), and
  the workbook's structure locked.

``CopyBook.save(path)`` writes it with XlsxWriter, except the cells themselves:
``sheet_xml`` writes each sheet's ``<sheetData>`` in one pass (several times faster
than XlsxWriter's cell-by-cell calls, which cost more than everything else about
issuing). Where XlsxWriter is not installed (Excel's Python in the browser)
openpyxl writes the same workbook, cell for cell. The look of a table's columns
is worked out once per issue and shared by every copy. Text is always written as
text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .jobs.issue import PartnerCopy
from .jobs.returns_record import RECORD_SHEET
from .rules import ColumnRule, RuleSet, SheetRule, normalise_header
from .safety import clean_text
from .templates import Template
from .writer import (
    VALIDATION_ROWS,
    PageLook,
    lines_height,
    number_format,
    page_look,
    row_height,
    wrapped_lines,
)

GRID_COLOUR = "BFBFBF"  # the thin grey border round table cells (writer.GRID)
HEADER_MARGIN_IN = 0.5  # header and footer margins, inches (openpyxl's defaults, as in the master)
A4 = 9
_DATES = (dt.date, dt.datetime)


@dataclass(frozen=True)
class Look:
    """How one cell looks (colours as hex RGB)."""

    font: str = "Calibri"
    size: float = 11
    bold: bool = False
    italic: bool = False
    colour: str | None = None
    fill: str | None = None
    border: bool = False
    wrap: bool = False
    valign: str | None = None  # "top" or "center"
    number_format: str | None = None
    locked: bool = True


@dataclass(frozen=True)
class Validation:
    """A drop-down, a range check or an input message on rows ``first``-``last`` of a column."""

    column: int
    first: int
    last: int
    kind: str  # "list", "date" (after 1900), "whole" (minimum-maximum) or "any" (message only)
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = 0
    title: str = ""
    prompt: str = ""
    error: str = ""
    show_error: bool = False
    warning: bool = False  # the error lets the value stand (a warning), rather than stopping it


@dataclass(frozen=True)
class RagColour:
    """A conditional format: cells equal to ``value`` get ``fill`` and bold ``font_colour``."""

    column: int
    first: int
    last: int
    value: str
    fill: str
    font_colour: str


@dataclass
class SheetLayout:
    """One sheet of the copy: its cells from A1 and how they look.

    A cell's look is ``cell_looks[(row, column)]``, else (for a date)
    ``date_looks[column]``, else ``row_looks[row]``, else ``column_looks[column]``
    (rows and columns from 1); a blank cell with a look is written as a
    formatted blank.
    """

    name: str
    rows: list[Sequence[Any]]
    column_looks: dict[int, Look] = field(default_factory=dict)
    row_looks: dict[int, Look] = field(default_factory=dict)
    cell_looks: dict[tuple[int, int], Look] = field(default_factory=dict)
    date_looks: dict[int, Look] = field(default_factory=dict)  # a date in a column not formatted for dates
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    validations: list[Validation] = field(default_factory=list)
    rag_colours: list[RagColour] = field(default_factory=list)
    freeze: str | None = None
    filter_columns: int = 0  # a filter on A1 to the last row of this many columns
    print_header_row: bool = False
    tab_colour: str | None = None
    page: PageLook | None = None
    very_hidden: bool = False


@dataclass
class CopyBook:
    """A whole partner copy, ready to write."""

    sheets: list[SheetLayout]
    active: int = 0

    def save(self, path: str | Path, engine: str | None = None) -> Path:
        """Write the copy to ``path``: XlsxWriter when installed, else openpyxl (``engine`` chooses)."""
        engine = engine or default_engine()
        writers: dict[str, Callable[[CopyBook, Path], None]] = {
            "xlsxwriter": _save_xlsxwriter,
            "openpyxl": _save_openpyxl,
        }
        path = Path(path)
        writers[engine](self, path)
        return path


def default_engine() -> str:
    """XlsxWriter when it is installed (the command line), else openpyxl (Excel's Python in the browser)."""
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "xlsxwriter"


# ------------------------------------------------------------------ the look


def _body_look(template: Template, column: ColumnRule) -> Look:
    s = template.style
    if column.computed:
        return Look(s.font, s.font_size, italic=True, colour=s.computed_font_colour)
    return Look(s.font, s.font_size)


def copy_book(copy: PartnerCopy, rules: RuleSet, template: Template) -> CopyBook:
    """The partner copy ``jobs.issue`` decided, with its look, ready to ``save``."""
    page = page_look(template, copy.title, copy.marking, copy.report_date)
    sheets = [instructions_sheet(copy.instructions, template, page)]
    for sheet in copy.sheets:
        rule = rules.sheet(sheet.name)
        sheets.append(table_sheet(rule, sheet.headers, sheet.rows, sheet.editable, template, rules, page))
    record: list[Sequence[Any]] = [*copy.record_rows()]
    sheets.append(SheetLayout(RECORD_SHEET, record, very_hidden=True))
    return CopyBook(sheets, active=1 if len(sheets) > 2 else 0)


def instructions_sheet(
    lines: Sequence[tuple[str, str]], template: Template, page: PageLook | None
) -> SheetLayout:
    s = template.style
    width = template.width("Instructions", "A")
    sheet = SheetLayout("Instructions", [], widths={1: width}, page=page)
    sheet.tab_colour = template.look("Instructions").tab_colour
    for r, (text, kind) in enumerate(lines, start=1):
        size = s.title_font_size if kind == "title" else s.font_size + (1 if kind == "heading" else 0)
        sheet.rows.append([text or None])
        sheet.row_looks[r] = Look(s.font, size, bold=kind in ("title", "heading"), wrap=True, valign="top")
        sheet.heights[r] = row_height(text, width, size)
    return sheet


def table_sheet(
    rule: SheetRule,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    editable: Sequence[str],
    template: Template,
    rules: RuleSet,
    page: PageLook | None,
) -> SheetLayout:
    """A copy's table: the header row, the agency's rows, nothing below them."""
    look = template.look(rule.name)
    frame = _table_frame(
        rule, tuple(headers), tuple(editable), template, rules, max(len(rows) + 1, VALIDATION_ROWS)
    )
    sheet = SheetLayout(
        rule.name,
        [list(headers)],
        column_looks=frame.column_looks,
        row_looks={1: frame.header_look},
        date_looks=frame.date_looks,
        widths=frame.widths,
        validations=frame.validations,
        rag_colours=frame.rag_colours,
        freeze=look.freeze,
        filter_columns=len(headers),
        print_header_row=True,
        tab_colour=look.tab_colour,
        page=page,
    )
    rag_looks, font_size = frame.rag_looks, template.style.font_size
    for r, values in enumerate(rows, start=2):
        sheet.rows.append(values)
        for c in frame.rag_columns:
            value = values[c - 1] if c <= len(values) else None
            if value.__class__ is str and (c, value) in rag_looks:
                sheet.cell_looks[(r, c)] = rag_looks[(c, value)]
        lines = max(
            (
                wrapped_lines(value, width)
                for i, width in frame.wrapping
                if i < len(values) and (value := values[i]).__class__ is str and len(value) > 20
            ),
            default=0,
        )
        if lines:
            sheet.heights[r] = lines_height(lines, font_size)
    return sheet


@dataclass(frozen=True)
class _TableFrame:
    """What every copy's table of a sheet has in common: worked out once for all the copies
    of an issue, and shared by them (never changed)."""

    widths: dict[int, float]
    header_look: Look
    column_looks: dict[int, Look]
    date_looks: dict[int, Look]
    rag_looks: dict[tuple[int, str], Look]  # (column, RAG) -> the look of a RAG cell
    rag_columns: list[int]
    wrapping: list[tuple[int, float]]  # (column from 0, width) of the columns whose text wraps
    validations: list[Validation]
    rag_colours: list[RagColour]


_FRAMES: dict[tuple[Any, ...], tuple[RuleSet, Template, _TableFrame]] = {}


def _table_frame(
    rule: SheetRule,
    headers: tuple[str, ...],
    editable: tuple[str, ...],
    template: Template,
    rules: RuleSet,
    last: int,
) -> _TableFrame:
    key = (id(rules), id(template), rule.name, headers, editable, last)
    cached = _FRAMES.get(key)
    if cached is not None and cached[0] is rules and cached[1] is template:  # (held: ids not reused)
        return cached[2]
    s = template.style
    by_name = {c.name: c for c in rule.columns}
    columns = [by_name.get(h) or rule.column(h) for h in headers]
    unlocked = {normalise_header(h) for h in editable}
    wrap = {w.casefold() for w in template.look(rule.name).wrap}
    header_look = Look(
        s.font,
        s.font_size,
        bold=True,
        colour=s.header_font_colour,
        fill=s.header_fill,
        border=True,
        wrap=True,
        valign="center",
    )
    frame = _TableFrame({}, header_look, {}, {}, {}, [], [], [], [])
    for c, (header, column) in enumerate(zip(headers, columns), start=1):
        width = template.width(rule.name, header)
        frame.widths[c] = width
        wraps = header.casefold() in wrap
        if wraps:
            frame.wrapping.append((c - 1, width))
        if normalise_header(header) in unlocked:
            base = replace(_body_look(template, column), fill=s.editable_fill, locked=False)
        else:
            base = replace(_body_look(template, column), fill=s.locked_fill)
        fmt = number_format(column, template)
        frame.column_looks[c] = replace(base, border=True, wrap=wraps, valign="top", number_format=fmt)
        if column.type != "date":
            frame.date_looks[c] = replace(frame.column_looks[c], number_format=s.date_format)
        frame.validations.extend(_validations(c, column, rules, last))
        if column.name in ("RAG", "RAG override"):
            frame.rag_colours.extend(
                RagColour(c, 2, last, value, colour, template.rag_fonts.get(value, "000000"))
                for value, colour in template.rag_fills.items()
            )
        if column.name == "RAG" and base.locked:  # a RAG keeps its colour
            frame.rag_columns.append(c)
            for value, colour in template.rag_fills.items():
                font_colour = template.rag_fonts.get(value, "000000")
                frame.rag_looks[(c, value)] = replace(
                    frame.column_looks[c], bold=True, italic=False, colour=font_colour, fill=colour
                )
    if len(_FRAMES) > 32:
        _FRAMES.clear()
    _FRAMES[key] = (rules, template, frame)
    return frame


def _validations(c: int, column: ColumnRule, rules: RuleSet, last: int) -> list[Validation]:
    """As ``writer`` gives the master (drop-downs of lists, dates, whole-number %, input messages);
    a copy has no other sheets to look names up in, so a lookup column gets its message only."""
    title, prompt = (column.name[:32], _utf16_cut(column.help, 255)) if column.help else ("", "")
    choices = rules.choices(column.choices) if column.choices else ()
    if choices:
        values = tuple(v.replace('"', "'") for v in choices)
        if len(",".join(values)) < 250:
            error = _utf16_cut(f"Choose a value from the list for {column.name}.", 255)
            return [
                Validation(
                    c,
                    2,
                    last,
                    "list",
                    values,
                    title=title,
                    prompt=prompt,
                    error=error,
                    show_error=True,
                    warning=True,
                )
            ]
    elif column.type == "date":
        return [Validation(c, 2, last, "date", title=title, prompt=prompt)]
    elif column.type == "percent":
        error = "% complete is a whole number from 0 to 100."
        return [
            Validation(
                c,
                2,
                last,
                "whole",
                minimum=0,
                maximum=100,
                title=title,
                prompt=prompt,
                error=error,
                show_error=True,
            )
        ]
    return [Validation(c, 2, last, "any", title=title, prompt=prompt)] if prompt else []


def _utf16_cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (how Excel counts its message limits)."""
    if len(text.encode("utf-16-le")) <= 2 * limit:
        return text
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            break
        out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------ XlsxWriter


def _header_footer(parts: tuple[str, str, str], limit: int = 255) -> str:
    """'&L…&C…&R…' within Excel's 255 characters (the left part, the title, is shortened first)."""
    left, centre, right = parts
    codes = [(code, text) for code, text in (("&C", centre), ("&R", right)) if text]
    rest = "".join(code + text for code, text in codes)
    if left:
        room = limit - len(rest) - 2
        left = left[: max(room, 0)]
        if (len(left) - len(left.rstrip("&"))) % 2:  # never cut a doubled '&&' in half
            left = left[:-1]
        rest = ("&L" + left if left else "") + rest
    return rest[:limit]


def _xlsxwriter_format(book: Any, look: Look) -> Any:
    props: dict[str, Any] = {"font_name": look.font, "font_size": look.size}
    if look.bold:
        props["bold"] = True
    if look.italic:
        props["italic"] = True
    if look.colour:
        props["font_color"] = f"#{look.colour}"
    if look.fill:
        props["pattern"], props["bg_color"] = 1, f"#{look.fill}"
    if look.border:
        props["border"], props["border_color"] = 1, f"#{GRID_COLOUR}"
    if look.wrap:
        props["text_wrap"] = True
    if look.valign:
        props["valign"] = "vcenter" if look.valign == "center" else look.valign
    if look.number_format:
        props["num_format"] = look.number_format
    if not look.locked:
        props["locked"] = False
    return book.add_format(props)


def _xlsxwriter_width(width: float) -> float:
    """XlsxWriter adds Excel's padding to a width; the master's widths are stored as given."""
    pixels = round(width * 7)  # Calibri 11: 7 pixels a character; padding 5 pixels
    return max((pixels - 5) / 7, 0.0) if width >= 1 else width


@functools.cache
def _xlsxwriter_classes() -> tuple[type, type]:
    """XlsxWriter's workbook and worksheet, with what plantrack needs (made once, when first used)."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
        """XlsxWriter's workbook with the structure locked (sheets cannot be added,
        deleted, renamed, moved or unhidden), which XlsxWriter has no option for."""

        def _write_book_views(self) -> None:
            self._xml_empty_tag("workbookProtection", [("lockStructure", "1")])
            super()._write_book_views()

    class _Worksheet(Worksheet):  # type: ignore[misc]
        """A worksheet whose cells (``<sheetData>``) ``sheet_xml`` writes, several times faster than
        XlsxWriter's cell-by-cell calls; XlsxWriter writes everything else about the sheet."""

        cells_xml = ""

        def _write_sheet_data(self) -> None:
            self.fh.write(f"<sheetData>{self.cells_xml}</sheetData>")

        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            # A quoted text (a RAG colour's rule: equal to "Amber") has no functions to expand,
            # which costs XlsxWriter thirty regular expressions a rule.
            if formula[:1] == '"' and formula[-1:] == '"' and '"' not in formula[1:-1]:
                return formula
            return super()._prepare_formula(formula, expand_future_functions)  # type: ignore[no-any-return]

    return _Workbook, _Worksheet


def _save_xlsxwriter(book: CopyBook, path: Path) -> None:
    _Workbook, _Worksheet = _xlsxwriter_classes()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = _Workbook(str(path), options)
    formats: dict[Look, Any] = {}

    def fmt(look: Look) -> Any:
        found = formats.get(look)
        if found is None:
            found = formats[look] = _xlsxwriter_format(workbook, look)
        return found

    try:
        for sheet in book.sheets:
            ws = workbook.add_worksheet(sheet.name, worksheet_class=_Worksheet)
            for c, width in sheet.widths.items():
                ws.set_column(c - 1, c - 1, _xlsxwriter_width(width))
            ws.cells_xml, columns = sheet_xml(sheet, lambda look: fmt(look)._get_xf_index())
            if columns:
                ws.dim_rowmin, ws.dim_colmin = 0, 0
                ws.dim_rowmax, ws.dim_colmax = len(sheet.rows) - 1, columns - 1
            _finish_xlsxwriter(workbook, ws, sheet, fmt)
            if sheet.very_hidden:
                ws.very_hidden()
        workbook.worksheets()[book.active].activate()
    finally:
        workbook.close()


# Text that needs more than copying into the XML: markup characters, characters XML
# cannot hold (dropped, as ``safety.clean_text`` does), a carriage return, or text
# that reads like Excel's own escape for a character (_x000D_), which is escaped in turn.
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9A-Fa-f]{4}_")
_ESCAPED_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EPOCH = dt.datetime(1899, 12, 30)


def _xml_text(text: str) -> str:
    text = _ESCAPED_ESCAPE.sub(r"_x005F_\1", clean_text(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "_x000D_")


def excel_serial(value: dt.date | dt.time | dt.timedelta) -> float | None:
    """A date or time as Excel stores it (days since 30/12/1899, as Excel counts them:
    it takes 1900 for a leap year), or None before 1900, which Excel cannot show."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
    elif isinstance(value, dt.date):
        delta = dt.datetime(value.year, value.month, value.day) - _EPOCH
    elif isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    else:
        return value.total_seconds() / 86400
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if serial < 61:  # before 1 March 1900, where Excel's calendar has its 29 February
        serial -= 1
    return serial if serial >= 1 else None


def sheet_xml(sheet: SheetLayout, style_of: Callable[[Look], int]) -> tuple[str, int]:
    """The sheet's ``<row>`` elements (cells as typed values, text always as text, with the
    style index ``style_of`` gives each look) and how many columns they span."""
    columns = max([len(v) for v in sheet.rows] + list(sheet.column_looks), default=0)
    letters = [_letters(c) for c in range(1, columns + 1)]

    def attribute(look: Look | None) -> str:
        index = style_of(look) if look is not None else 0
        return f' s="{index}"' if index else ""

    # Each cell's style as its attribute (' s="7"', or "" for none), worked out once.
    column_styles = [attribute(sheet.column_looks.get(c)) for c in range(1, columns + 1)]
    date_styles = {c - 1: attribute(look) for c, look in sheet.date_looks.items()}
    cell_styles: dict[int, dict[int, str]] = {}
    for (r, c), look in sheet.cell_looks.items():
        cell_styles.setdefault(r, {})[c - 1] = attribute(look)
    styled_columns = max(sheet.column_looks, default=0)
    out: list[str] = []
    add = out.append
    for r, values in enumerate(sheet.rows, start=1):
        height = sheet.heights.get(r)
        add(f'<row r="{r}" ht="{height}" customHeight="1">' if height else f'<row r="{r}">')
        row_look = sheet.row_looks.get(r)
        n = len(values)
        if row_look is not None:
            styles, span = [attribute(row_look)] * n, n
        else:
            styles, span = column_styles, max(n, styled_columns)
        special = cell_styles.get(r)
        for c in range(span):
            value = values[c] if c < n else None
            kind = value.__class__
            if special is not None and c in special:
                s = special[c]
            elif kind in _DATES and c in date_styles:
                s = date_styles[c]
            else:
                s = styles[c]
            if kind is str and value:
                if (
                    not value.isprintable() or "&" in value or "<" in value or ">" in value or "_x" in value
                ) and _SPECIAL.search(value):  # (a few scans of the text: four times quicker than the search)
                    value = _xml_text(value)
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                add(f'<c r="{letters[c]}{r}"{s} t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif value is None or kind is str:  # blank, or empty text
                if s:
                    add(f'<c r="{letters[c]}{r}"{s}/>')
            elif kind is float or kind is int:
                if math.isfinite(value):
                    add(f'<c r="{letters[c]}{r}"{s}><v>{value!r}</v></c>')
                elif s:
                    add(f'<c r="{letters[c]}{r}"{s}/>')
            elif kind is bool:
                add(f'<c r="{letters[c]}{r}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (dt.date, dt.time, dt.timedelta)):
                serial = excel_serial(value)
                if serial is None:  # a date before 1900
                    text = _xml_text(value.isoformat() if isinstance(value, dt.date) else str(value))
                    add(f'<c r="{letters[c]}{r}"{s} t="inlineStr"><is><t>{text}</t></is></c>')
                else:
                    add(f'<c r="{letters[c]}{r}"{s}><v>{serial!r}</v></c>')
            elif isinstance(value, (int, float)) and math.isfinite(value):
                add(f'<c r="{letters[c]}{r}"{s}><v>{float(value)!r}</v></c>')
            else:
                text = _xml_text(str(value))
                add(f'<c r="{letters[c]}{r}"{s} t="inlineStr"><is><t>{text}</t></is></c>')
        add("</row>")
    return "".join(out), columns


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _finish_xlsxwriter(workbook: Any, ws: Any, sheet: SheetLayout, fmt: Callable[[Look], Any]) -> None:
    for v in sheet.validations:
        options: dict[str, Any] = {"ignore_blank": True, "show_input": bool(v.prompt)}
        if v.kind == "list":
            options.update(validate="list", source=list(v.choices))
        elif v.kind == "date":
            options.update(validate="date", criteria=">", value=1)
        elif v.kind == "whole":
            options.update(validate="integer", criteria="between", minimum=v.minimum, maximum=v.maximum)
        else:
            options.update(validate="any")
        if v.prompt:
            options.update(input_title=v.title, input_message=v.prompt)
        options["show_error"] = v.show_error
        if v.error:
            options["error_message"] = v.error
        if v.warning:
            options["error_type"] = "warning"
        ws.data_validation(v.first - 1, v.column - 1, v.last - 1, v.column - 1, options)
    for rag in sheet.rag_colours:
        dxf = fmt(Look(font="", size=0, bold=True, colour=rag.font_colour, fill=rag.fill))
        ws.conditional_format(
            rag.first - 1,
            rag.column - 1,
            rag.last - 1,
            rag.column - 1,
            {"type": "cell", "criteria": "equal to", "value": f'"{rag.value}"', "format": dxf},
        )
    if sheet.freeze:
        ws.freeze_panes(sheet.freeze)
    if sheet.filter_columns:
        ws.autofilter(0, 0, max(len(sheet.rows) - 1, 0), sheet.filter_columns - 1)
    if sheet.print_header_row:
        ws.repeat_rows(0)
    if sheet.tab_colour:
        ws.set_tab_color(f"#{sheet.tab_colour}")
    if sheet.page is not None:
        page = sheet.page
        ws.set_landscape() if page.landscape else ws.set_portrait()
        ws.set_paper(A4)
        if page.fit_to_width:
            ws.fit_to_pages(1, 0)
        ws.set_margins(*page.margins)
        ws.set_header("", {"margin": HEADER_MARGIN_IN})
        ws.set_footer("", {"margin": HEADER_MARGIN_IN})
        # Set directly: set_header would take the '&&G' of a title such as "R&G" for a picture.
        ws.header, ws.footer = _header_footer(page.header), _header_footer(page.footer)
    ws.protect(
        "",
        {
            "objects": True,  # (True: not protected) as openpyxl's protection leaves them
            "scenarios": True,
            "format_columns": True,
            "format_rows": True,
            "sort": True,
            "autofilter": True,
        },
    )


# ------------------------------------------------------------------ openpyxl (no XlsxWriter)


def _save_openpyxl(book: CopyBook, path: Path) -> None:
    from copy import copy as copied

    from openpyxl import Workbook
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    from .safety import put

    side = Side(style="thin", color=GRID_COLOUR)
    grid = Border(left=side, right=side, top=side, bottom=side)

    def solid(colour: str) -> PatternFill:
        return PatternFill(fill_type="solid", start_color=colour, end_color=colour)

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        styles: dict[Look, Any] = {}  # a look's style, worked out on its first cell, then copied

        def style(cell: Any, look: Look, styles: dict[Look, Any] = styles) -> None:
            cached = styles.get(look)
            if cached is not None:
                cell._style = copied(cached)
                return
            cell.font = Font(
                name=look.font, size=look.size, bold=look.bold, italic=look.italic, color=look.colour
            )
            if look.fill:
                cell.fill = solid(look.fill)
            if look.border:
                cell.border = grid
            if look.wrap or look.valign:
                cell.alignment = Alignment(wrap_text=look.wrap or None, vertical=look.valign)
            cell.number_format = look.number_format or "General"
            if not look.locked:
                cell.protection = Protection(locked=False)
            styles[look] = copied(cell._style)

        styled_columns = max(sheet.column_looks, default=0)
        for r, values in enumerate(sheet.rows, start=1):
            row_look = sheet.row_looks.get(r)
            for c in range(1, max(len(values), styled_columns if row_look is None else 0) + 1):
                value = values[c - 1] if c <= len(values) else None
                if value == "":
                    value = None
                look = sheet.cell_looks.get((r, c))
                if look is None and value.__class__ in _DATES:
                    look = sheet.date_looks.get(c)
                look = look or row_look or sheet.column_looks.get(c)
                if value is None and look is None:
                    continue
                cell = ws.cell(row=r, column=c)
                if value is not None:
                    put(cell, value if not isinstance(value, float) or math.isfinite(value) else None)
                if look is not None:
                    style(cell, look)
        for c, w in sheet.widths.items():
            ws.column_dimensions[get_column_letter(c)].width = w
        for r, height in sheet.heights.items():
            ws.row_dimensions[r].height = height
        for v in sheet.validations:
            letter = get_column_letter(v.column)
            if v.kind == "list":
                dv = DataValidation(type="list", formula1=f'"{",".join(v.choices)}"', allow_blank=True)
            elif v.kind == "date":
                dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
            elif v.kind == "whole":
                dv = DataValidation(
                    type="whole",
                    operator="between",
                    formula1=str(v.minimum),
                    formula2=str(v.maximum),
                    allow_blank=True,
                )
            else:
                dv = DataValidation(allow_blank=True)
            if v.prompt:
                dv.promptTitle, dv.prompt, dv.showInputMessage = v.title, v.prompt, True
            if v.error:
                dv.error = v.error
            dv.showErrorMessage = v.show_error
            if v.warning:
                dv.errorStyle = "warning"
            dv.add(f"{letter}{v.first}:{letter}{v.last}")
            ws.add_data_validation(dv)
        for rag in sheet.rag_colours:
            letter = get_column_letter(rag.column)
            ws.conditional_formatting.add(
                f"{letter}{rag.first}:{letter}{rag.last}",
                CellIsRule(
                    operator="equal",
                    formula=[f'"{rag.value}"'],
                    fill=solid(rag.fill),
                    font=Font(color=rag.font_colour, bold=True),
                ),
            )
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
        if sheet.filter_columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(sheet.filter_columns)}{len(sheet.rows)}"
        if sheet.print_header_row:
            ws.print_title_rows = "1:1"
        if sheet.tab_colour:
            ws.sheet_properties.tabColor = sheet.tab_colour
        if sheet.page is not None:
            _openpyxl_page(ws, sheet.page)
        protection = ws.protection
        protection.sheet = True
        protection.autoFilter = protection.sort = False
        protection.formatColumns = protection.formatRows = False
        if sheet.very_hidden:
            ws.sheet_state = "veryHidden"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = book.active
    wb.save(path)


def _openpyxl_page(ws: Any, page: PageLook) -> None:
    ws.page_setup.orientation = "landscape" if page.landscape else "portrait"
    ws.page_setup.paperSize = A4
    if page.fit_to_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    margins = ws.page_margins
    margins.left, margins.right, margins.top, margins.bottom = page.margins
    margins.header = margins.footer = HEADER_MARGIN_IN
    for item, parts in ((ws.oddHeader, page.header), (ws.oddFooter, page.footer)):
        item.left.text, item.center.text, item.right.text = parts
