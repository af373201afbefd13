"""Apply a job's ``Changes`` to an openpyxl workbook (the file adapter's writer)."""

from __future__ import annotations

import datetime as dt
import warnings
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.chart import BarChart, LineChart, Reference
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
    """(Re)create a generated sheet in place of any sheet of the same name."""
    old = _sheet(wb, spec.name)
    index = None
    if old is not None:
        index = wb.worksheets.index(old)
        wb.remove(old)
    if index is None and spec.after is not None:
        anchor = _sheet(wb, spec.after)
        index = wb.worksheets.index(anchor) + 1 if anchor is not None else None
    ws = wb.create_sheet(spec.name, index)
    s = template.style
    head_fill, head_font = fill(s.header_fill), header_font(template)
    plain, bold = body_font(template), body_font(template, bold=True)
    title_font = Font(name=s.font, size=s.title_font_size, bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    body_styles: dict[tuple[bool, int, bool, Any], Any] = {}
    for r, values in enumerate(spec.rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = put(ws.cell(row=r, column=c), value)
            if spec.title_rows and r <= spec.title_rows:
                cell.font = title_font if r == 1 else bold
                continue
            if r == spec.header_row:
                cell.fill, cell.font, cell.border = head_fill, head_font, GRID
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                continue
            # Body cells share a few styles: set each once, then copy it (openpyxl's style
            # setters hash the style on every call, which dominates big sheets).
            key = (
                (r, c) in spec.bold_cells,
                c,
                bool(spec.header_row and r > spec.header_row),
                type(value) if isinstance(value, (dt.date, dt.time)) else None,
            )
            styled = body_styles.get(key)
            if styled is not None:
                cell._style = copy(styled)
                continue
            cell.font = bold if key[0] else plain
            cell.alignment = wrap if c in spec.wrap_columns else top
            if key[2]:
                cell.border = GRID
            if c in spec.number_formats:
                cell.number_format = spec.number_formats[c]
            body_styles[key] = copy(cell._style)
    restyled: dict[tuple[Any, ...], Any] = {}  # (style before, change) -> style after, set once
    for (r, c), colour in spec.fills.items():
        cell = ws.cell(row=r, column=c)
        change = (tuple(cell._style or ()), "fill", colour)
        if change in restyled:
            cell._style = copy(restyled[change])
        else:
            cell.fill = fill(colour)
            restyled[change] = copy(cell._style)
    for (r, c), colour in spec.font_colours.items():
        cell = ws.cell(row=r, column=c)
        change = (tuple(cell._style or ()), "font", colour)
        if change in restyled:
            cell._style = copy(restyled[change])
        else:
            cell.font = Font(name=s.font, size=s.font_size, bold=True, color=colour)
            restyled[change] = copy(cell._style)
    for (r, c), target in spec.links.items():
        cell = ws.cell(row=r, column=c)
        if target.startswith("#"):
            cell.hyperlink = None
            from openpyxl.worksheet.hyperlink import Hyperlink

            cell.hyperlink = Hyperlink(
                ref=cell.coordinate, location=target[1:], display=str(cell.value or "")
            )
        else:
            cell.hyperlink = target
        cell.font = Font(name=s.font, size=s.font_size, color="0563C1", underline="single")
    for (r, c), text in spec.notes.items():
        ws.cell(row=r, column=c).comment = Comment(text, NOTE_AUTHOR)
    for c, width in spec.widths.items():
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, height in spec.row_heights.items():
        ws.row_dimensions[r].height = height
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


def build_chart(ws: Worksheet, spec: ChartSpec) -> Any:
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
