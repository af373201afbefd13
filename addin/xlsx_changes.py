"""Apply a job's ``Changes`` to an openpyxl workbook (the file adapter's writer)."""

from __future__ import annotations

import datetime as dt
import warnings
from copy import copy, deepcopy
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.comments import Comment
from openpyxl.drawing.text import CharacterProperties, ParagraphProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from .changes import KEEP, CellWrite, Changes, ChartSpec, GeneratedSheet
from .errors import UnusableWorkbook
from .rules import normalise_header
from .safety import put
from .templates import Template, load_template
from .writer import GRID, body_font, fill, header_font, page_setup

NOTE_AUTHOR = "plantrack"
CM = 1.0


def load_for_update(path: Path, limits: Any = None) -> Workbook:
    """Open a master for writing (styles and all), after the guard (with the plan's
    ``rules.Limits``, when given)."""
    from .files import checked

    info = checked(path, limits)
    try:
        # rich_text: keep the bold or coloured words inside cells (openpyxl flattens them otherwise)
        with warnings.catch_warnings():  # openpyxl's warnings are not for the user (see files.read_grids)
            warnings.simplefilter("ignore")
            return load_workbook(path, keep_vba=bool(getattr(info, "has_macros", False)), rich_text=True)
    except Exception as exc:  # openpyxl raises many types on damaged files
        detail = " ".join(str(exc).split())[:150] or type(exc).__name__  # one line, whatever openpyxl says
        raise UnusableWorkbook(path, "the workbook could not be opened for writing", detail) from exc


def _sheet(wb: Workbook, name: str) -> Worksheet | None:
    wanted = normalise_header(name)
    for ws in wb.worksheets:
        if normalise_header(ws.title) == wanted:
            return ws
    return None


def apply_cell(ws: Worksheet, change: CellWrite, styles: dict[tuple[Any, ...], Any] | None = None) -> None:
    """Write one ``CellWrite``. ``styles`` (one dict per workbook) remembers the style each
    (old style, change) pair gave, so thousands of RAG cells cost one openpyxl style lookup
    each kind, not one each (openpyxl hashes every Font and fill it is given)."""
    cell = ws.cell(row=change.row, column=change.column)
    if isinstance(cell, MergedCell):
        # a value or note cannot go into the inner cell of merged cells: unmerge them first
        # (the read already warned about them; the first cell keeps its value, as in Excel)
        merged = next(r for r in ws.merged_cells.ranges if cell.coordinate in r)
        ws.unmerge_cells(merged.coord)
        cell = ws.cell(row=change.row, column=change.column)
    if change.value is not KEEP:
        put(cell, change.value)
    restyle = change.number_format or change.fill is not KEEP or change.font_colour is not KEEP
    if restyle:
        old = cell._style  # None for a cell with no style yet
        key = (tuple(old) if old is not None else None, change.number_format, change.fill, change.font_colour)
        known = styles.get(key) if styles is not None else None
        if known is not None:
            cell._style = copy(known)
        else:
            _restyle(cell, change)
            if styles is not None:
                styles[key] = copy(cell._style)
    if change.note is not KEEP:
        if change.note:
            comment = Comment(change.note, NOTE_AUTHOR)
            comment.width, comment.height = 320, 110
            cell.comment = comment
        else:
            cell.comment = None


class StyleMaker:
    """The cell format a written cell takes, as an index into ``wb``'s formats: for the
    cells ``cell_patch`` writes straight into a sheet's XML. It restyles a scratch cell
    exactly as ``apply_cell`` restyles a real one, so both ways give the same look, and
    remembers each (old format, change) pair."""

    def __init__(self, wb: Workbook):
        from openpyxl.cell.cell import Cell

        self.wb = wb
        self.scratch = Cell(wb.worksheets[0])  # never added to the sheet
        self.made: dict[tuple[Any, ...], int | None] = {}

    def __call__(self, old: int, change: CellWrite) -> int | None:
        dated = type(change.value) if isinstance(change.value, (dt.date, dt.time, dt.timedelta)) else None
        restyle = change.number_format or change.fill is not KEEP or change.font_colour is not KEEP
        if not restyle and dated is None:
            return None
        key = (old, dated, change.number_format, change.fill, change.font_colour)
        if key not in self.made:
            self.made[key] = self._make(old, change, dated is not None, bool(restyle))
        return self.made[key]

    def _make(self, old: int, change: CellWrite, dated: bool, restyle: bool) -> int | None:
        from openpyxl.styles.cell_style import StyleArray

        styles = self.wb._cell_styles
        cell = self.scratch
        cell._style = copy(styles[old]) if 0 <= old < len(styles) else StyleArray()
        before = copy(cell._style)
        if dated:
            cell.value = change.value  # openpyxl gives a date a date format unless it has one
        if restyle:
            _restyle(cell, change)
        if cell._style == before:
            return None
        index = styles.add(cell._style)
        if styles[index] != cell._style:  # openpyxl's index of formats out of step: do not guess
            raise ValueError("cell formats could not be indexed")
        return index


def _restyle(cell: Any, change: CellWrite) -> None:
    if change.number_format:
        cell.number_format = change.number_format
    if change.fill is not KEEP:
        cell.fill = fill(change.fill) if change.fill else PatternFill(fill_type=None)
    if change.font_colour is not KEEP:
        font = cell.font
        cell.font = Font(
            name=font.name,
            size=font.size,
            italic=font.italic,
            bold=bool(change.font_colour) or font.bold if change.font_colour else False,
            color=change.font_colour or None,
        )


def render_sheet(
    wb: Workbook, spec: GeneratedSheet, template: Template, context: dict[str, Any]
) -> Worksheet:
    """(Re)create a generated sheet in place of any sheet of the same name.

    The cells are laid out as plain values and shared styles (``_GeneratedCells``), not
    openpyxl cells: making and saving an openpyxl cell costs about 50 µs, and the board
    pack of a big plan has hundreds of thousands. They are written straight into the
    sheet's XML when the workbook is saved, exactly as openpyxl would write them; reading
    any cell of the returned sheet first turns them into ordinary openpyxl cells.
    """
    old = _sheet(wb, spec.name)
    index = None
    if old is not None:
        index = wb.worksheets.index(old)
        wb.remove(old)
    if index is None and spec.after is not None:
        anchor = _sheet(wb, spec.after)
        index = wb.worksheets.index(anchor) + 1 if anchor is not None else None
    ws = _GeneratedWorksheet.create(wb, spec.name, index)
    s = template.style
    cells = _GeneratedCells(ws, spec, _Looks(template, spec))
    for (r, c), target in spec.links.items():  # few: done on openpyxl cells
        link = cells.openpyxl_cell(r, c)
        if target.startswith("#"):
            link.hyperlink = None
            from openpyxl.worksheet.hyperlink import Hyperlink

            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=target[1:], display=str(link.value or "")
            )
        else:
            link.hyperlink = target
        link.font = Font(name=s.font, size=s.font_size, color="0563C1", underline="single")
        cells.take(link)
    for (r, c), text in spec.notes.items():
        noted = cells.openpyxl_cell(r, c)
        noted.comment = Comment(text, NOTE_AUTHOR)
        cells.take(noted)
    cells.heights.update(spec.row_heights)
    ws.pending = cells
    for c, width in spec.widths.items():
        ws.column_dimensions[get_column_letter(c)].width = width
    for r in spec.row_breaks:
        ws.row_breaks.append(Break(id=r))
    for chart in spec.charts:
        ws.add_chart(build_chart(ws, chart), chart.anchor)
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    elif spec.header_row:
        ws.freeze_panes = f"A{spec.header_row + 1}"
    if spec.header_row:
        ws.print_title_rows = f"{spec.header_row}:{spec.header_row}"
    if spec.tab_colour:
        ws.sheet_properties.tabColor = spec.tab_colour
    if spec.print_ready:
        page_setup(ws, template, context.get("title", ""), context.get("marking"), context.get("report_date"))
    ws.sheet_state = spec.state
    return ws


def build_chart(ws: Worksheet, spec: ChartSpec, reuse: bool = True) -> Any:
    """The chart ``spec`` describes. A chart of the same shape as one built before (the
    trends sheet has one per indicator) is made from that one's XML, its title and cell
    ranges changed (``_ChartTemplate``): openpyxl takes a few milliseconds a chart."""
    if reuse:
        made = _ChartTemplate.make(ws, spec)
        if made is not None:
            return made
    r1, c1, r2, c2 = spec.data
    data = Reference(ws, min_row=r1, min_col=c1, max_row=r2, max_col=c2)
    cr1, cc, cr2 = spec.categories
    cats = Reference(ws, min_row=cr1, min_col=cc, max_row=cr2)
    chart: Any
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "stacked_bar" else "col"
        if spec.kind == "stacked_bar":
            chart.grouping = "stacked"
            chart.overlap = 100
    chart.title = spec.title
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    if spec.y_title:
        chart.y_axis.title = spec.y_title
    if spec.x_title:
        chart.x_axis.title = spec.x_title
    chart.width, chart.height = spec.width_cm, spec.height_cm
    if spec.title_size:
        size = CharacterProperties(sz=int(spec.title_size * 100), b=True)
        for paragraph in chart.title.tx.rich.p:
            paragraph.pPr = ParagraphProperties(defRPr=size)
            for run in paragraph.r or []:
                run.rPr = size
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 leaves these out: Excel hides the axes
    if spec.reverse_categories:
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"  # keep the value axis at the bottom
    if spec.legend is None:
        chart.legend = None
    else:
        chart.legend.position = spec.legend
    for series, colour in zip(chart.series, spec.colours):
        if spec.kind == "line":
            series.graphicalProperties.line.solidFill = colour
            series.smooth = False
        else:
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
    return chart


_CHART_TEMPLATES: dict[tuple[Any, ...], _ChartTemplate | None] = {}  # by shape; None: not reusable


class _PrebuiltChart(ChartBase):
    """A chart whose XML is already made (``_ChartTemplate``)."""

    def __init__(self, element: Any, width: float, height: float):
        super().__init__()
        self.element, self.width, self.height = element, width, height

    def _write(self) -> Any:
        return self.element


class _ChartTemplate:
    """The XML of a chart built by openpyxl, and where in it go the texts that differ between
    charts of the same shape: the title, the axis titles and the cell ranges."""

    def __init__(self, element: Any, slots: dict[str, list[int]]):
        self.element, self.slots = element, slots

    @staticmethod
    def shape(spec: ChartSpec) -> tuple[Any, ...] | None:
        """What the XML depends on beyond the texts, or None for a chart not worth the risk."""
        r1, c1, r2, c2 = spec.data
        cr1, _, cr2 = spec.categories
        texts = [spec.title, spec.y_title or "", spec.x_title or ""]
        if not spec.title or any("\n" in t for t in texts) or r2 - r1 < 2 or cr2 <= cr1 or c2 < c1:
            return None
        return (
            spec.kind,
            c2 - c1,
            tuple(spec.colours),
            spec.width_cm,
            spec.height_cm,
            spec.title_size,
            spec.reverse_categories,
            spec.legend,
            bool(spec.y_title),
            bool(spec.x_title),
        )

    @staticmethod
    def texts(ws: Worksheet, spec: ChartSpec) -> dict[str, str]:
        """The texts of the chart, as openpyxl writes them (``add_data``, ``set_categories``)."""
        r1, c1, r2, c2 = spec.data
        cr1, cc, cr2 = spec.categories
        out = {"title": spec.title, "categories": str(Reference(ws, min_row=cr1, min_col=cc, max_row=cr2))}
        if spec.y_title:
            out["y_title"] = spec.y_title
        if spec.x_title:
            out["x_title"] = spec.x_title
        for n, c in enumerate(range(c1, c2 + 1)):
            values = Reference(ws, min_col=c, min_row=r1, max_col=c, max_row=r2)
            head = values.pop()
            out[f"name {n}"], out[f"values {n}"] = f"{values.sheetname}!{head}", str(values)
        return out

    @classmethod
    def make(cls, ws: Worksheet, spec: ChartSpec) -> Any:
        """The chart made from the template of its shape (learnt from this one if there is
        none yet), or None when it must be built by openpyxl."""
        shape = cls.shape(spec)
        if shape is None:
            return None
        if shape not in _CHART_TEMPLATES:
            if len(_CHART_TEMPLATES) > 100:
                _CHART_TEMPLATES.clear()
            _CHART_TEMPLATES[shape] = cls.learn(ws, spec)
        template = _CHART_TEMPLATES[shape]
        return template.chart(ws, spec) if template is not None else None

    @classmethod
    def learn(cls, ws: Worksheet, spec: ChartSpec) -> _ChartTemplate | None:
        """The template of ``spec``'s shape: where each of its texts sits in its XML. None when
        a text is not found exactly where expected (each once, the ranges of the categories
        once a series), or two texts are the same."""
        element = build_chart(ws, spec, reuse=False)._write()
        nodes = list(element.iter())
        texts = cls.texts(ws, spec)
        if len(set(texts.values())) != len(texts):
            return None
        slots = {key: [i for i, node in enumerate(nodes) if node.text == text] for key, text in texts.items()}
        series = spec.data[3] - spec.data[1] + 1
        for key, found in slots.items():
            if len(found) != (series if key == "categories" else 1):
                return None
        return cls(element, slots)

    def chart(self, ws: Worksheet, spec: ChartSpec) -> _PrebuiltChart:
        element = deepcopy(self.element)
        nodes = list(element.iter())
        for key, text in self.texts(ws, spec).items():
            for i in self.slots[key]:
                nodes[i].text = text
        return _PrebuiltChart(element, spec.width_cm, spec.height_cm)


# ------------------------------------------------------------------ generated sheets' cells
#
# ``render_sheet`` lays a generated sheet's cells out as plain values sharing a few style
# arrays; they are written straight into the sheet's XML when the workbook is saved,
# character for character as openpyxl writes them. A cell, as ``_GeneratedCells.row`` works it
# out, is a list:
VALUE, KIND, STYLE, LINK, NOTE = range(5)  # value, openpyxl data type, StyleArray, Hyperlink, Comment
_PLAIN_KINDS = {"s": "inlineStr", "n": "n", "b": "b", "e": "e", "d": "n"}  # data type -> t="..."
_DATE_TYPES = (dt.date, dt.datetime, dt.time, dt.timedelta)
_openpyxl_write_rows: Any = None  # openpyxl's own WorksheetWriter.write_rows, once replaced


class _SharedStyles:
    """The style arrays of a generated sheet's cells: each (style before, change) is worked
    out once on a scratch cell, exactly as on a real one, and the result shared."""

    def __init__(self, ws: Worksheet):
        from openpyxl.cell.cell import Cell

        self.scratch = Cell(ws)  # never added to the sheet
        self.made: dict[tuple[Any, ...], Any] = {}
        self.kept: dict[tuple[int, ...], Any] = {}  # one object per distinct style

    def keep(self, style: Any) -> Any:
        return None if style is None else self.kept.setdefault(tuple(style), style)

    def restyle(self, style: Any, key: tuple[Any, ...], change: Any, *args: Any) -> Any:
        """``style`` (None or a kept one) after ``change(cell, *args)``; ``key`` names the change."""
        made = self.made.get((id(style), key))
        if made is None:
            cell = self.scratch
            cell._style = copy(style) if style is not None else None
            change(cell, *args)
            made = self.made[(id(style), key)] = self.keep(copy(cell._style))
        return made


class _Looks:
    """How ``render_sheet`` styles a generated sheet's cells, as changes to an openpyxl cell
    (made once per distinct style on a scratch cell, see ``_SharedStyles``)."""

    def __init__(self, template: Template, spec: GeneratedSheet):
        s = template.style
        self.spec = spec
        self.head_fill, self.head_font = fill(s.header_fill), header_font(template)
        self.plain, self.bold = body_font(template), body_font(template, bold=True)
        self.title_font = Font(name=s.font, size=s.title_font_size, bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        self.head_align = Alignment(wrap_text=True, vertical="center")
        self.font, self.font_size = s.font, s.font_size

    def titled(self, cell: Any, first: bool) -> None:
        cell.font = self.title_font if first else self.bold

    def headed(self, cell: Any) -> None:
        cell.fill, cell.font, cell.border = self.head_fill, self.head_font, GRID
        cell.alignment = self.head_align

    def body(self, cell: Any, bolded: bool, c: int, boxed: bool) -> None:
        cell.font = self.bold if bolded else self.plain
        cell.alignment = self.wrap if c in self.spec.wrap_columns else self.top
        if boxed:
            cell.border = GRID
        if c in self.spec.number_formats:
            cell.number_format = self.spec.number_formats[c]

    @staticmethod
    def filled(cell: Any, colour: str) -> None:
        cell.fill = fill(colour)

    def coloured(self, cell: Any, colour: str) -> None:
        cell.font = Font(name=self.font, size=self.font_size, bold=True, color=colour)


class _GeneratedCells:
    """The cells and row heights of one generated sheet, to write.

    The cells are worked out from the sheet's spec row by row when they are written (or
    read), not laid out in advance: the spec's rows are the only copy of the values (a big
    plan's board pack has hundreds of thousands of cells; held as cells they took three
    times the memory of the values). Only the few cells openpyxl itself makes (links,
    notes) are held, in ``made``."""

    def __init__(self, ws: Worksheet, spec: GeneratedSheet, looks: _Looks):
        from openpyxl.cell.cell import ERROR_CODES

        from .safety import clean_text

        self.ws, self.spec, self.looks = ws, spec, looks
        self.made: dict[tuple[int, int], list[Any]] = {}  # cells made by openpyxl (links, notes)
        self.heights: dict[int, float] = {}
        self.styles = _SharedStyles(ws)
        self.plain_made = True  # every made cell is one ``write`` writes as openpyxl would
        self._errors, self._clean = frozenset(ERROR_CODES), clean_text
        # the rows and columns of cells with a look of their own, or made by openpyxl
        self._extra: dict[int, set[int]] = {}
        for r, c in [*spec.fills, *spec.font_colours]:
            self._extra.setdefault(r, set()).add(c)

    # the cells, worked out ------------------------------------------------------

    def row(self, r: int) -> dict[int, list[Any]]:
        """The cells of row ``r`` by column, as they are written: value, type, look."""
        spec, restyle, put = self.spec, self.styles.restyle, self.put
        values = spec.rows[r - 1] if r <= len(spec.rows) else ()
        row: dict[int, list[Any]] = {}
        if spec.title_rows and r <= spec.title_rows:
            titled = self.looks.titled
            for c, value in enumerate(values, start=1):
                if value is not None:
                    cell = row[c] = put(r, c, value)
                    cell[STYLE] = restyle(cell[STYLE], ("title", r == 1), titled, r == 1)
        elif r == spec.header_row:
            headed = self.looks.headed
            for c, value in enumerate(values, start=1):
                if value is not None:
                    cell = row[c] = put(r, c, value)
                    cell[STYLE] = restyle(cell[STYLE], ("header",), headed)
        else:
            boxed = bool(spec.header_row and r > spec.header_row)
            body, bold_cells = self.looks.body, spec.bold_cells
            for c, value in enumerate(values, start=1):
                if value is not None:
                    cell = row[c] = put(r, c, value)
                    bolded = (r, c) in bold_cells
                    cell[STYLE] = restyle(cell[STYLE], ("body", bolded, c, boxed), body, bolded, c, boxed)
        for c in self._extra.get(r, ()):
            made = self.made.get((r, c))
            if made is not None:
                row[c] = made
                continue
            if c not in row:
                row[c] = [None, "n", None, None, None]
            cell = row[c]
            colour = spec.fills.get((r, c))
            if colour is not None:
                cell[STYLE] = restyle(cell[STYLE], ("fill", colour), self.looks.filled, colour)
            colour = spec.font_colours.get((r, c))
            if colour is not None:
                cell[STYLE] = restyle(cell[STYLE], ("font", colour), self.looks.coloured, colour)
        return row

    def put(self, r: int, c: int, value: Any) -> list[Any]:
        """The cell (r, c) holding ``value`` as ``safety.put`` writes it into an openpyxl cell."""
        t = type(value)
        if t is str:
            if not value.isprintable():
                value = self._clean(value)
            if len(value) > 32767:
                value = value[:32767]
            return [value, "e" if value in self._errors else "s", None, None, None]
        if t is int or t is float:
            return [value, "n", None, None, None]
        if t is bool:
            return [value, "b", None, None, None]
        if t in _DATE_TYPES and getattr(value, "tzinfo", None) is None:
            style = self.styles.restyle(None, ("value", t), put, value)  # openpyxl's date format
            return [value, "d", style, None, None]
        from openpyxl.cell.cell import Cell  # anything else: the way openpyxl takes it

        scratch = Cell(self.ws, row=r, column=c)
        put(scratch, value)
        return self._entry(scratch)

    @staticmethod
    def plain_value(value: Any) -> bool:
        """Whether ``put`` makes of ``value`` a cell ``write`` writes as openpyxl would."""
        t = type(value)
        if t is str or t is int or t is bool or value is None:
            return True
        if t is float:
            return value - value == 0  # not inf or nan: openpyxl writes those
        return t in _DATE_TYPES and getattr(value, "tzinfo", None) is None

    def filled_rows(self) -> set[int]:
        """The rows with a cell."""
        rows = {r for r, values in enumerate(self.spec.rows, start=1) if any(v is not None for v in values)}
        return rows | self._extra.keys()

    # the few cells openpyxl makes -------------------------------------------------

    def openpyxl_cell(self, r: int, c: int) -> Any:
        """An openpyxl cell holding (r, c), for the few changes made the openpyxl way; ``take`` it back."""
        from openpyxl.cell.cell import Cell

        self._extra.setdefault(r, set()).add(c)
        value, kind, style, link, note = self.row(r)[c]
        cell = Cell(self.ws, row=r, column=c)
        cell._value, cell.data_type, cell._hyperlink, cell._comment = value, kind, link, note
        cell._style = copy(style) if style is not None else None
        return cell

    def take(self, cell: Any) -> None:
        self.made[(cell.row, cell.column)] = self._entry(cell)
        self._extra.setdefault(cell.row, set()).add(cell.column)
        if cell.data_type not in _PLAIN_KINDS:
            self.plain_made = False

    def _entry(self, cell: Any) -> list[Any]:
        style = self.styles.keep(copy(cell._style) if cell._style is not None else None)
        return [cell._value, cell.data_type, style, cell._hyperlink, cell._comment]

    def dimension(self) -> str:
        """What ``Worksheet.calculate_dimension`` gives for these cells."""
        rows: list[int] = []
        columns: set[int] = set()
        for r, values in enumerate(self.spec.rows, start=1):
            filled = [c for c, v in enumerate(values, start=1) if v is not None]
            if filled:
                rows.append(r)
                columns.update((filled[0], filled[-1]))
        for r, extra in self._extra.items():
            rows.append(r)
            columns.update(extra)
        if not rows:
            return "A1:A1"
        first, last = get_column_letter(min(columns)), get_column_letter(max(columns))
        return f"{first}{min(rows)}:{last}{max(rows)}"

    def writable(self, ws: Worksheet) -> bool:
        """True when ``write`` writes these cells as openpyxl's own (etree) writer would."""
        from openpyxl import LXML

        if LXML or ws.parent.iso_dates or not self.plain_made:
            return False
        plain = self.plain_value
        return all(plain(v) for values in self.spec.rows for v in values)

    def materialise(self, ws: Worksheet, cells: dict[tuple[int, int], Any], dimensions: Any) -> None:
        """Make them openpyxl cells and row dimensions of ``ws``."""
        from openpyxl.cell.cell import Cell

        for r in sorted(self.filled_rows()):
            for c, (value, kind, style, link, note) in self.row(r).items():
                cell = Cell(ws, row=r, column=c)
                cell._value, cell.data_type, cell._hyperlink = value, kind, link
                if style is not None:
                    cell._style = copy(style)
                if note is not None:
                    note._parent = None
                    cell.comment = note
                cells[(r, c)] = cell
        for r, height in self.heights.items():
            dimensions[r].height = height

    def write(self, out: Any, ws: Worksheet, dimensions: Any) -> None:
        """Write the rows of ``<sheetData>`` with ``out`` (a function taking text), as openpyxl's
        ``WorksheetWriter.write_rows`` and ``etree_write_cell`` do; ``dimensions`` are the
        sheet's own row dimensions (usually none: the heights wait here)."""
        import xml.etree.ElementTree as ET
        from types import SimpleNamespace

        from openpyxl.comments.comment_sheet import CommentRecord
        from openpyxl.utils.datetime import to_excel
        from openpyxl.worksheet.dimensions import RowDimension

        wb = ws.parent
        add, epoch = wb._cell_styles.add, wb.epoch
        style_ids: dict[int, str] = {}
        letters: dict[int, str] = {}
        serials: dict[Any, str] = {}
        height_attrs: dict[float, str] = {}
        escape = ET._escape_attrib  # type: ignore[attr-defined] # what openpyxl's XML writer escapes with
        heights, hyperlinks, comments = self.heights, ws._hyperlinks, ws._comments
        filled = self.filled_rows()
        for r in sorted(filled | heights.keys() | dimensions.keys()):
            if r in dimensions:
                if r in heights:
                    dimensions[r].height = heights[r]
                attrs: str | None = "".join(f' {k}="{escape(v)}"' for k, v in dimensions[r])
            elif r in heights:
                h = heights[r]
                attrs = height_attrs.get(h)
                if attrs is None:
                    dim = RowDimension(ws, index=r, ht=h)
                    attrs = height_attrs[h] = "".join(f' {k}="{escape(v)}"' for k, v in dim)
            else:
                attrs = ""
            parts = [f'<row r="{r}"{attrs}>']
            row = self.row(r) if r in filled else {}
            for c in sorted(row):
                value, kind, style, link, note = row[c]
                letter = letters.get(c)
                if letter is None:
                    letter = letters[c] = get_column_letter(c)
                if note is not None:
                    held = SimpleNamespace(_comment=note, coordinate=f"{letter}{r}")
                    comments.append(CommentRecord.from_cell(held))
                s = style_ids.get(id(style))
                if s is None:
                    styled = style is not None and any(style)
                    s = style_ids[id(style)] = f' s="{add(style)}"' if styled else ""
                if value is None:
                    if s or note is not None:
                        parts.append(f'<c r="{letter}{r}"{s} t="{_PLAIN_KINDS[kind]}" />')
                elif kind == "s":
                    if not value:
                        parts.append(f'<c r="{letter}{r}"{s} t="inlineStr" />')
                        continue
                    text = value
                    if "&" in text or "<" in text or ">" in text:
                        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    space = ""
                    if (value[0].isspace() or value[-1].isspace()) and not value.isspace():
                        space = ' xml:space="preserve"'
                    parts.append(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
                elif kind == "d":
                    serial = serials.get(value)
                    if serial is None:
                        serial = serials[value] = f"{to_excel(value, epoch):.16g}"
                    parts.append(f'<c r="{letter}{r}"{s} t="n"><v>{serial}</v></c>')
                elif kind == "e":
                    parts.append(f'<c r="{letter}{r}"{s} t="e"><v>{value}</v></c>')
                else:
                    parts.append(f'<c r="{letter}{r}"{s} t="{kind}"><v>{value:.16g}</v></c>')
                if link is not None:
                    hyperlinks.append(link)
            parts.append("</row>")
            out("".join(parts))


class _GeneratedWorksheet(Worksheet):
    """A generated sheet whose cells and row heights wait as ``_GeneratedCells`` until the
    workbook is saved (then they are written straight as XML) or something reads a cell or
    a row dimension (then they become openpyxl's, and the sheet is an ordinary one)."""

    @classmethod
    def create(cls, wb: Workbook, title: str, index: int | None) -> Worksheet:
        _use_generated_cells_writer()
        ws = cls(parent=wb, title=title)
        wb._add_sheet(ws, index)
        return ws

    def _materialise(self) -> None:
        pending = self.__dict__.pop("_pending", None)
        if pending is not None:
            pending.materialise(self, self.__dict__["_cell_dict"], self.__dict__["_row_dims"])

    @property  # type: ignore[override]
    def _cells(self) -> dict[tuple[int, int], Any]:
        self._materialise()
        return self.__dict__["_cell_dict"]

    @_cells.setter
    def _cells(self, value: dict[tuple[int, int], Any]) -> None:
        self.__dict__["_cell_dict"] = value

    @property  # type: ignore[override]
    def row_dimensions(self) -> Any:
        self._materialise()
        return self.__dict__["_row_dims"]

    @row_dimensions.setter
    def row_dimensions(self, value: Any) -> None:
        self.__dict__["_row_dims"] = value

    @property
    def pending(self) -> _GeneratedCells | None:
        return self.__dict__.get("_pending")

    @pending.setter
    def pending(self, cells: _GeneratedCells) -> None:
        self._materialise()
        self.__dict__["_cell_dict"].clear()  # cells made before are replaced, as a new sheet's are
        self.__dict__["_pending"] = cells

    def calculate_dimension(self) -> str:
        pending = self.pending
        return pending.dimension() if pending is not None else super().calculate_dimension()


def _write_rows(self: Any) -> None:
    """openpyxl's ``WorksheetWriter.write_rows``, writing a generated sheet's pending cells
    straight as XML (any other sheet is written by openpyxl's own)."""
    ws = self.ws
    pending = ws.pending if isinstance(ws, _GeneratedWorksheet) else None
    if pending is None or not pending.writable(ws):
        return _openpyxl_write_rows(self)
    xf = self.xf.send(True)
    out = getattr(xf, "_file", None)
    with xf.element("sheetData"):
        if callable(out):
            pending.write(out, ws, ws.__dict__["_row_dims"])
        else:  # an XML writer that takes no text: openpyxl cells, written openpyxl's way
            for row_idx, row in self.rows():
                self.write_row(xf, row, row_idx)
    self.xf.send(None)
    return None


def _use_generated_cells_writer() -> None:
    global _openpyxl_write_rows
    from openpyxl.worksheet._writer import WorksheetWriter

    if _openpyxl_write_rows is None:
        _openpyxl_write_rows = WorksheetWriter.write_rows
        WorksheetWriter.write_rows = _write_rows


def apply_to_workbook(
    wb: Workbook, changes: Changes, template: Template | None = None, context: dict[str, Any] | None = None
) -> Workbook:
    template = template or load_template()
    context = context or _context(wb)
    for name in changes.remove_sheets:
        ws = _sheet(wb, name)
        if ws is not None:
            wb.remove(ws)
    by_sheet: dict[str, Worksheet | None] = {}
    styles: dict[tuple[Any, ...], Any] = {}
    for change in changes.cells:
        if change.sheet not in by_sheet:
            by_sheet[change.sheet] = _sheet(wb, change.sheet)
        ws = by_sheet[change.sheet]
        if ws is None:
            raise UnusableWorkbook(None, f"the workbook has no '{change.sheet}' sheet")
        apply_cell(ws, change, styles)
    for spec in changes.sheets:
        render_sheet(wb, spec, template, context)
    if wb.active is not None and wb.active.sheet_state != "visible":
        wb.active = next(i for i, ws in enumerate(wb.worksheets) if ws.sheet_state == "visible")
    return wb


def _context(wb: Workbook) -> dict[str, Any]:
    """Title, marking and report date from the Plan sheet, for page headers."""
    ws = _sheet(wb, "Plan")
    out: dict[str, Any] = {}
    if ws is None:
        return out
    for label, value in ws.iter_rows(min_row=1, max_col=2, values_only=True):
        key = normalise_header(str(label or ""))
        if key == "title":
            out["title"] = str(value or "")
        elif key == "protectivemarking":
            out["marking"] = str(value or "")
        elif key == "reportdate":
            out["report_date"] = value
    return out
