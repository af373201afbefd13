"""Run xlwings buttons on Linux through xlwings' own Office.js ("remote") engine.

The round trip mirrors what happens in Excel with xlwings Lite / xlwings Server:

1. ``book_json_from_xlsx`` builds the payload the Office.js client sends
   (``getBookData``): every worksheet's values from A1 to the last used cell,
   dates as ISO strings, defined names, tables, notes.
2. ``run_button`` opens it with ``xw.Book(json=...)``, runs the button (a plain
   function or an ``@xw.script``) and returns ``book.json()["actions"]``, passed
   through JSON as the server would.
3. ``apply_actions`` plays the actions onto the .xlsx with openpyxl, the way the
   client's ``runActions`` plays them onto the live workbook, including Excel's
   parsing of written strings ("2024-03-31" becomes a date, "1.10" a number).

Every action the engine can emit is either applied, recorded without a file
effect (``ApplyReport.ignored`` / ``.alerts``) or refused with
``UnsupportedActionError`` naming it, so a test fails loudly instead of silently
dropping a change. See ``tests/OFFICEJS_NOTES.md`` for the engine's rules.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import math
import os
import re
import types
from collections.abc import Callable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.formula.translate import Translator
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.utils.cell import absolute_coordinate
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

# Both are read once, when xlwings is first imported: the remote engine registers
# only with a PRO licence key, and `xw.script` is the real (xlwings Server / Lite)
# decorator only with XLWINGS_ON_SERVER=true -- elsewhere on Linux it is a no-op.
# Import this module before anything that imports xlwings (or set both variables).
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

import xlwings as xw  # noqa: E402
import xlwings.server  # noqa: E402

BookJson = dict[str, Any]
Action = dict[str, Any]
DateMode = Literal["iso", "serial"]

MAX_ROWS = 1_048_576  # Excel's grid, as in xlwings.constants
MAX_COLUMNS = 16_384
NOTE_AUTHOR = "xlwings"


class HarnessError(RuntimeError):
    """The harness cannot do what was asked (bad input, engine not available)."""


class UnsupportedActionError(HarnessError):
    """An action the openpyxl player does not emulate; the message names it."""


@dataclass
class ApplyReport:
    """What ``apply_actions`` did: the saved file and the actions without a file effect."""

    out_path: Path
    applied: list[str] = field(default_factory=list)  # funcs, in order
    ignored: list[str] = field(default_factory=list)  # recorded, no file effect
    alerts: list[dict[str, str]] = field(default_factory=list)  # book.app.alert(...)


# --------------------------------------------------------------------------------------
# 1. The book JSON the Office.js client sends
# --------------------------------------------------------------------------------------

_VISIBILITY = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}
_CALCULATION = {"auto": "Automatic", "manual": "Manual", "autoNoTable": "AutomaticExceptTables"}
_EPOCH = dt.datetime(1970, 1, 1)


def book_json_from_xlsx(
    path: str | Path,
    *,
    active_sheet: str | None = None,
    selection: str | None = None,
    include: Sequence[str] | str | None = None,
    exclude: Sequence[str] | str | None = None,
    dates: DateMode = "iso",
) -> BookJson:
    """Return the dict the Office.js client would send for the workbook at ``path``.

    Cached values are read (``data_only=True``): a formula that Excel never
    calculated (e.g. written by openpyxl) arrives empty, as it would be unknown,
    except ``=HYPERLINK("target", "text")`` with two literal strings, which
    arrives as its text, as Excel calculates it (``_link_texts``).
    ``include``/``exclude`` are sheet names, as in ``@script(include=...)``:
    excluded sheets are sent with ``values=[[]]`` and no tables.
    ``dates="serial"`` simulates Excel 2019 and older (no ExcelApi 1.12), where
    the client cannot tell dates and sends every date as its serial number.
    """
    wb = openpyxl.load_workbook(path, data_only=True)
    links = _link_texts(path)
    try:
        sheets = wb.worksheets
        names = [ws.title for ws in sheets]
        excluded = _excluded_sheets(names, include, exclude)
        if active_sheet is None:
            active = wb.active if isinstance(wb.active, Worksheet) else sheets[0]
            active_index = sheets.index(active)
        else:
            active_index = _sheet_index(names, active_sheet)
        if selection is None:
            selection = _selection_of(sheets[active_index])
        payload: BookJson = {
            "client": "Office.js",
            "version": _xlwings_version(),
            "book": {
                "name": Path(path).name,
                "active_sheet_index": active_index,
                "selection": selection,
                "calculation": _CALCULATION.get(wb.calculation.calcMode or "auto", "Automatic"),
            },
            "names": _names_json(wb, excluded),
            "sheets": [
                _sheet_json(ws, ws.title in excluded, dates, links.get(ws.title, {})) for ws in sheets
            ],
        }
    finally:
        wb.close()
    # What the engine receives went through JSON (the client's JSON.stringify).
    return json.loads(json.dumps(payload, allow_nan=False))


def _xlwings_version() -> str:
    try:
        from importlib.metadata import version

        return version("xlwings")
    except Exception:  # pragma: no cover - the version is informative only
        return "unknown"


def _as_list(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def _excluded_sheets(
    names: list[str], include: Sequence[str] | str | None, exclude: Sequence[str] | str | None
) -> set[str]:
    include_list, exclude_list = _as_list(include), _as_list(exclude)
    if include_list and exclude_list:
        raise HarnessError("Either use 'include' or 'exclude', but not both (as the client).")
    if include_list:
        return {name for name in names if name not in include_list}
    return set(exclude_list)


def _sheet_index(names: list[str], name: str) -> int:
    for index, candidate in enumerate(names):
        if candidate.casefold() == name.casefold():
            return index
    raise HarnessError(f"No sheet named {name!r}; the workbook has {names}.")


def _selection_of(ws: Worksheet) -> str:
    try:
        sqref = str(ws.sheet_view.selection[0].sqref or "A1")
    except IndexError:
        return "A1"
    return sqref.split()[0].replace("$", "")


def _names_json(wb: Workbook, excluded: set[str]) -> list[dict[str, Any]]:
    """Range names, book scope first, then sheet scope (as the client sends them)."""
    titles = [ws.title for ws in wb.worksheets]
    entries: list[dict[str, Any]] = []
    scopes: list[tuple[Worksheet | None, dict[str, DefinedName]]] = [(None, dict(wb.defined_names))]
    scopes += [(ws, dict(ws.defined_names)) for ws in wb.worksheets if ws.title not in excluded]
    for scope, defined in scopes:
        for name, dn in defined.items():
            if name.startswith("_xlnm.") or dn.hidden or dn.type != "RANGE":
                continue
            destinations = list(dn.destinations)
            if len(destinations) != 1 or destinations[0][0] not in titles:
                continue  # multi-area names are not Office.js "Range" items
            sheet_title, ref = destinations[0]
            entries.append(
                {
                    "name": name,
                    "sheet_index": titles.index(sheet_title),
                    "address": ref.replace("$", ""),
                    "scope_sheet_name": scope.title if scope is not None else None,
                    "scope_sheet_index": titles.index(scope.title) if scope is not None else None,
                    "book_scope": scope is None,
                }
            )
    return entries


_LINK_FORMULA = re.compile(r'^=HYPERLINK\("(?:[^"]|"")*",\s*"((?:[^"]|"")*)"\)$', re.IGNORECASE)


def _link_texts(path: str | Path) -> dict[str, dict[tuple[int, int], str]]:
    """The text of each ``=HYPERLINK("target","text")`` cell, by sheet: what Excel shows
    and sends for it once calculated (openpyxl writes formulas without a cached value).
    The workbook is read a second time (formulas) only when a sheet holds one."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        if not any(
            b"HYPERLINK(" in zf.read(name)
            for name in zf.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        ):
            return {}
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        out: dict[str, dict[tuple[int, int], str]] = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if isinstance(value, str) and (match := _LINK_FORMULA.match(value)):
                        text = match.group(1).replace('""', '"')
                        out.setdefault(ws.title, {})[(cell.row, cell.column)] = text
        return out
    finally:
        wb.close()


def _sheet_json(
    ws: Worksheet, excluded: bool, dates: DateMode, links: dict[tuple[int, int], str] | None = None
) -> dict[str, Any]:
    values: list[list[Any]] = [[]]
    notes: list[dict[str, str]] = []
    used = _used_range(ws)
    if not excluded:
        values = [[""]]
        if used is not None:
            values = []
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column):
                values.append(
                    [
                        _wire_value(
                            cell.value
                            if cell.value is not None or not links
                            else links.get((cell.row, cell.column)),
                            dates,
                        )
                        for cell in row
                    ]
                )
                notes += [{"address": c.coordinate} for c in row if getattr(c, "comment", None)]
    return {
        "name": ws.title,
        "values": values,
        "used_range_address": None if excluded else used,
        "visibility": _VISIBILITY.get(ws.sheet_state, "Visible"),
        "show_gridlines": ws.sheet_view.showGridLines is not False,
        "print_area": _print_area(ws),
        "notes": notes,
        "notes_supported": True,
        "tables": [] if excluded else [_table_json(ws, t) for t in ws.tables.values()],
        # openpyxl does not load pictures, charts, shapes or pivot tables reliably:
        # a button that needs them cannot be tested with this harness.
        "pictures": [],
        "shapes": [],
        "charts": [],
        "pivot_tables": [],
    }


def _used_range(ws: Worksheet) -> str | None:
    """Office.js ``getUsedRange()`` (formatted cells count), or None for an empty sheet."""
    if ws.max_row == 1 and ws.max_column == 1:
        cell = ws.cell(1, 1)
        if cell.value is None and not cell.has_style and not cell.comment:
            return None
    first = f"{get_column_letter(ws.min_column)}{ws.min_row}"
    last = f"{get_column_letter(ws.max_column)}{ws.max_row}"
    return first if first == last else f"{first}:{last}"


def _print_area(ws: Worksheet) -> str | None:
    area = ws.print_area
    if not area:
        return None
    return ",".join(part.rsplit("!", 1)[-1] for part in str(area).split(","))


def _table_json(ws: Worksheet, table: Table) -> dict[str, Any]:
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = (table.headerRowCount if table.headerRowCount is not None else 1) > 0
    totals = bool(table.totalsRowCount)

    def addr(r0: int, r1: int) -> str:
        return f"{get_column_letter(min_col)}{r0}:{get_column_letter(max_col)}{r1}"

    body_first, body_last = min_row + int(headers), max_row - int(totals)
    style = table.tableStyleInfo
    if headers:
        columns = [str(ws.cell(min_row, c).value or "") for c in range(min_col, max_col + 1)]
    else:
        columns = [col.name for col in table.tableColumns]
    return {
        "name": table.displayName,
        "range_address": addr(min_row, max_row),
        "header_row_range_address": addr(min_row, min_row) if headers else None,
        "data_body_range_address": addr(body_first, body_last),
        "total_row_range_address": addr(max_row, max_row) if totals else None,
        "show_headers": headers,
        "show_totals": totals,
        "table_style": style.name if style is not None and style.name else "",
        "show_autofilter": table.autoFilter is not None,
        "show_table_style_first_column": bool(style and style.showFirstColumn),
        "show_table_style_last_column": bool(style and style.showLastColumn),
        "show_table_style_row_stripes": bool(style and style.showRowStripes),
        "show_table_style_column_stripes": bool(style and style.showColumnStripes),
        "row_count": max_row - min_row + 1,
        "column_count": max_col - min_col + 1,
        "columns": columns,
    }


def _wire_value(value: Any, dates: DateMode) -> Any:
    """A cell value as Office.js ``range.values`` + the client's date handling send it."""
    if value is None:
        return ""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        serial = float(to_excel(value))
        return _json_number(serial) if dates == "serial" else _serial_to_iso(serial)
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, int):
        return value
    return str(value)


def _json_number(number: float) -> int | float:
    # JSON.stringify(5.0) is "5": Python sees an int on the server side.
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _serial_to_iso(serial: float) -> str:
    """``new Date(Math.round((serial - 25569) * 86400 * 1000)).toISOString()``."""
    millis = math.floor((serial - 25569) * 86_400_000 + 0.5)
    moment = _EPOCH + dt.timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------
# 2. Running a button through the engine
# --------------------------------------------------------------------------------------


def run_button(
    path: str | Path,
    func: Callable[..., Any],
    *,
    args: Sequence[Any] = (),
    active_sheet: str | None = None,
    selection: str | None = None,
    include: Sequence[str] | str | None = None,
    exclude: Sequence[str] | str | None = None,
    dates: DateMode = "iso",
) -> list[Action]:
    """Run ``func`` on the workbook at ``path`` through ``xw.Book(json=...)``; return its actions.

    ``func`` is either a plain ``func(book, *args)`` (sync or async) or an
    ``@xw.script``-decorated function, which is dispatched exactly as xlwings
    Server / Lite do it: ``await xlwings.server.custom_scripts_call(module, name,
    typehint_to_value={xw.Book: book}, args=args)``. A script's ``include``,
    ``exclude`` and ``button`` metadata shape the payload (a sheet button runs
    with its sheet active and its cell selected) unless overridden here.
    The actions are passed through ``json.dumps`` so a value the server could not
    serialise fails here too.
    """
    _check_xlwings()
    meta: dict[str, Any] = dict(getattr(func, "__xlscript__", None) or {})
    if include is None and exclude is None:
        include, exclude = meta.get("include"), meta.get("exclude")
    button_sheet, button_cell = _parse_button(meta.get("button"))
    payload = book_json_from_xlsx(
        path,
        active_sheet=active_sheet or button_sheet,
        selection=selection or button_cell,
        include=include,
        exclude=exclude,
        dates=dates,
    )
    book = xw.Book(json=payload)
    try:
        if meta:
            module = types.SimpleNamespace(**{func.__name__: func})
            call = xlwings.server.custom_scripts_call(
                module, func.__name__, typehint_to_value={xw.Book: book}, args=list(args)
            )
            book = asyncio.run(call)
        else:
            result = func(book, *args)
            if inspect.isawaitable(result):
                asyncio.run(_await(result))
        actions = book.json()["actions"]
    finally:
        if book.impl.api is not None:
            book.close()
    return json.loads(json.dumps(actions, allow_nan=False))


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _check_xlwings() -> None:
    if "remote" not in [engine.name for engine in xw.engines] or xw.script is not xlwings.server.script:
        raise HarnessError(
            "xlwings was imported before XLWINGS_LICENSE_KEY=noncommercial and "
            "XLWINGS_ON_SERVER=true were set, so the remote engine or the real @xw.script "
            "is missing. Import tests.officejs before anything that imports xlwings, or "
            "set both variables in the environment (or in tests/conftest.py)."
        )


def _parse_button(ref: str | None) -> tuple[str | None, str | None]:
    """``"[shape]Sheet1!B4"`` -> ("Sheet1", "B4"), as the client's sheet-button code."""
    if not ref:
        return None, None
    match = re.match(r"^\[(.*?)\](.*)$", ref)
    target = match.group(2) if match else ref
    sheet, _, cell = target.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet or None, cell or None


def count_range_actions(actions: Sequence[Action]) -> int:
    """Actions addressed to a range (they carry ``start_row``): one Office.js range call each."""
    return sum(1 for action in actions if action.get("start_row") is not None)


# --------------------------------------------------------------------------------------
# 3. Playing the actions onto the file
# --------------------------------------------------------------------------------------


def apply_actions(
    path: str | Path,
    actions: Sequence[Action],
    out_path: str | Path | None = None,
    *,
    excel_parsing: bool = True,
) -> ApplyReport:
    """Apply ``actions`` to the workbook at ``path`` and save it (in place by default).

    ``excel_parsing`` emulates what Excel does with strings written through
    ``range.values``: ISO dates/datetimes become dates, numeric text becomes
    numbers, "TRUE"/"FALSE" booleans, a leading apostrophe forces text; cells
    formatted as text ("@") keep the string.
    """
    path = Path(path)
    target = Path(out_path) if out_path is not None else path
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    player = _Player(wb, ApplyReport(out_path=target), excel_parsing)
    for number, action in enumerate(actions):
        player.play(number, action)
    wb.save(target)
    return player.report


_Handler = Callable[["_Player", Action], None]
_HANDLERS: dict[str, _Handler] = {}
# Actions that change nothing a file keeps (or that Excel recomputes itself).
NO_FILE_EFFECT = frozenset(
    {"alert", "setScreenUpdating", "calculate", "setAutofit", "setSheetAutofit", "save"}
)


def _handles(*funcs: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        for func in funcs:
            _HANDLERS[func] = handler
        return handler

    return register


def supported_actions() -> frozenset[str]:
    """Every action func ``apply_actions`` accepts (applied or recorded)."""
    return frozenset(_HANDLERS) | NO_FILE_EFFECT


@dataclass
class _Box:
    """A rectangle of cells, 1-based and inclusive; ``whole_*`` when it spans the grid."""

    ws: Worksheet
    r0: int
    c0: int
    r1: int
    c1: int
    whole_rows: bool = False  # every column of rows r0..r1
    whole_cols: bool = False  # every row of columns c0..c1

    @property
    def ref(self) -> str:
        first = f"{get_column_letter(self.c0)}{self.r0}"
        last = f"{get_column_letter(self.c1)}{self.r1}"
        return first if first == last else f"{first}:{last}"

    def coords(self) -> Iterator[tuple[int, int]]:
        for row in range(self.r0, self.r1 + 1):
            for col in range(self.c0, self.c1 + 1):
                yield row, col


class _Player:
    def __init__(self, wb: Workbook, report: ApplyReport, excel_parsing: bool) -> None:
        self.wb = wb
        self.report = report
        self.excel_parsing = excel_parsing

    def play(self, number: int, action: Action) -> None:
        func = str(action.get("func"))
        if func in NO_FILE_EFFECT:
            self.report.ignored.append(func)
            if func == "alert":
                keys = ("prompt", "title", "buttons", "mode", "callback")
                self.report.alerts.append(dict(zip(keys, action["args"], strict=False)))
            return
        handler = _HANDLERS.get(func)
        if handler is None:
            raise UnsupportedActionError(
                f"apply_actions: action {func!r} (#{number}) is not emulated by the openpyxl "
                f"harness; test it in Excel or extend tests/officejs.py. Action: {action}"
            )
        handler(self, action)
        self.report.applied.append(func)

    # -- addressing --------------------------------------------------------------------
    def sheet(self, position: int | None) -> Worksheet:
        sheets = self.wb.worksheets
        if position is None or not 0 <= int(position) < len(sheets):
            raise HarnessError(f"Sheet position {position!r} out of range ({len(sheets)} sheets).")
        return sheets[int(position)]

    def box(self, action: Action, clip: bool = True) -> _Box:
        """The action's range; whole rows/columns are clipped to the used area."""
        ws = self.sheet(action["sheet_position"])
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        r1, c1 = r0 + action["row_count"] - 1, c0 + action["column_count"] - 1
        whole_cols, whole_rows = action["row_count"] >= MAX_ROWS, action["column_count"] >= MAX_COLUMNS
        if clip and whole_cols:
            r1 = max(ws.max_row, r0)
        if clip and whole_rows:
            c1 = max(ws.max_column, c0)
        return _Box(ws, r0, c0, r1, c1, whole_rows=whole_rows, whole_cols=whole_cols)

    def address_box(self, ws: Worksheet, address: str) -> _Box:
        min_col, min_row, max_col, max_row = range_boundaries(address.replace("$", ""))
        return _Box(ws, min_row or 1, min_col or 1, max_row or ws.max_row, max_col or ws.max_column)

    def each_cell(self, box: _Box, dims: bool = False) -> Iterator[Any]:
        """The box's cells; with ``dims``, also the row/column styles of whole rows/columns.

        Formatting a whole column in Excel formats the cells written there later;
        openpyxl keeps that on ``column_dimensions`` and ``put`` copies it to new cells.
        """
        for row, col in box.coords():
            yield box.ws.cell(row, col)
        if dims and box.whole_cols:
            for col in range(box.c0, box.c1 + 1):
                yield box.ws.column_dimensions[get_column_letter(col)]
        if dims and box.whole_rows:
            for row in range(box.r0, box.r1 + 1):
                yield box.ws.row_dimensions[row]

    def put(self, ws: Worksheet, row: int, col: int, value: Any) -> None:
        cell = ws.cell(row, col)
        if isinstance(cell, MergedCell):
            if value in ("", None):
                return
            raise HarnessError(f"{ws.title}!{cell.coordinate} is inside a merged area; Excel refuses it.")
        if not cell.has_style:  # a new cell takes its row's or column's format
            for dim in (ws.row_dimensions.get(row), ws.column_dimensions.get(get_column_letter(col))):
                if dim is not None and dim.has_style:
                    cell._style = copy(dim._style)
                    break
        number_format, general = None, cell.number_format == "General"
        # Excel keeps "'=..." (apostrophe) and "=..." typed into a text ("@") cell as text.
        kept_as_text = (
            self.excel_parsing
            and isinstance(value, str)
            and (value.startswith("'") or cell.number_format == "@")
        )
        if self.excel_parsing:
            value, number_format = _excel_input(value, cell.number_format)
        elif value == "":
            value = None
        cell.value = value  # openpyxl gives a datetime "yyyy-mm-dd h:mm:ss"; Excel would not
        if kept_as_text and cell.data_type in ("f", "e"):
            cell.data_type = "s"  # openpyxl takes "=..." for a formula and "#N/A" for an error
        if number_format and general:
            cell.number_format = number_format


# -- Excel's parsing of typed/written strings ---------------------------------------------
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_PERCENT = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))%")


def _excel_input(value: Any, number_format: str) -> tuple[Any, str | None]:
    """(stored value, number format Excel would apply) for a value written via range.values."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str) or number_format == "@" or value.startswith("="):
        return value, None
    if value.startswith("'"):
        return value[1:], None
    for pattern, number_format in ((_ISO_DATE, "mm-dd-yy"), (_ISO_DATETIME, "m/d/yy h:mm")):
        if pattern.fullmatch(value):  # built-in formats 14 and 22: the locale's short date (+ time)
            try:
                return dt.datetime.fromisoformat(value), number_format
            except ValueError:
                return value, None  # "2024-02-30" stays text in Excel too
    if _NUMBER.fullmatch(value):
        number = float(value)  # Excel keeps no int/float distinction
        return (int(number) if number.is_integer() else number), None
    if match := _PERCENT.fullmatch(value):
        return float(match.group(1)) / 100, "0.00%" if "." in match.group(1) else "0%"
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE", None
    return value, None


# -- values, formulas, clearing ------------------------------------------------------------
@_handles("setValues")
def _set_values(p: _Player, a: Action) -> None:
    box = p.box(a, clip=False)
    values = a["values"] if isinstance(a["values"], list) else [[a["values"]]]
    for i, row in enumerate(values):
        for j, value in enumerate(row if isinstance(row, list) else [row]):
            p.put(box.ws, box.r0 + i, box.c0 + j, value)


@_handles("setFormula")
def _set_formula(p: _Player, a: Action) -> None:
    box = p.box(a, clip=False)
    values = a["values"]
    if isinstance(values, list):
        for i, row in enumerate(values):
            for j, formula in enumerate(row):
                box.ws.cell(box.r0 + i, box.c0 + j).value = formula if formula != "" else None
        return
    origin = f"{get_column_letter(box.c0)}{box.r0}"
    for cell in p.each_cell(box):  # Excel fills the range, adjusting relative references
        text = str(values)
        cell.value = (
            Translator(text, origin).translate_formula(cell.coordinate) if text.startswith("=") else text
        )


@_handles("setFormulaArray")
def _set_formula_array(p: _Player, a: Action) -> None:
    box = p.box(a, clip=False)
    box.ws.cell(box.r0, box.c0).value = ArrayFormula(box.ref, str(a["args"][0]))


@_handles("rangeClearContents", "sheetClearContents")
def _clear_contents(p: _Player, a: Action) -> None:
    for cell in _target_cells(p, a):
        if not isinstance(cell, MergedCell):
            cell.value = None


@_handles("rangeClearFormats", "sheetClearFormats")
def _clear_formats(p: _Player, a: Action) -> None:
    for cell in _target_cells(p, a):
        cell.style = "Normal"


@_handles("rangeClear", "sheetClear")
def _clear_all(p: _Player, a: Action) -> None:
    for cell in _target_cells(p, a):
        if not isinstance(cell, MergedCell):
            cell.value = None
            cell.hyperlink = None
            cell.comment = None
        cell.style = "Normal"


def _target_cells(p: _Player, a: Action) -> Iterator[Any]:
    if a.get("start_row") is not None:
        yield from p.each_cell(p.box(a))
        return
    ws = p.sheet(a["sheet_position"])  # sheet-level clear
    for row in ws.iter_rows():
        yield from row


# -- formats ----------------------------------------------------------------------------------
def _argb(hex_color: str) -> str:
    return "FF" + hex_color.lstrip("#").upper()


def _fill(hex_color: str | None) -> PatternFill:
    if hex_color is None:
        return PatternFill(fill_type=None)
    return PatternFill(fill_type="solid", fgColor=_argb(hex_color), bgColor=_argb(hex_color))


@_handles("setRangeColor")
def _set_range_color(p: _Player, a: Action) -> None:
    fill = _fill(a["args"][0])
    for cell in p.each_cell(p.box(a), dims=True):
        cell.fill = fill


@_handles("setRangeColors")
def _set_range_colors(p: _Player, a: Action) -> None:
    box = p.box(a, clip=False)
    for i, row in enumerate(a["args"][0]):
        for j, color in enumerate(row):
            if color != "keep":
                box.ws.cell(box.r0 + i, box.c0 + j).fill = _fill(color)


_FONT_ATTRS = {"bold": "bold", "italic": "italic", "size": "size", "name": "name", "color": "color"}


@_handles("setFontProperty")
def _set_font_property(p: _Player, a: Action) -> None:
    attribute, value = a["args"][0], a["args"][1]
    if attribute not in _FONT_ATTRS:
        raise UnsupportedActionError(f"setFontProperty: unknown font attribute {attribute!r}")
    for cell in p.each_cell(p.box(a), dims=True):
        font = copy(cell.font)
        setattr(font, _FONT_ATTRS[attribute], _argb(value) if attribute == "color" and value else value)
        cell.font = font


@_handles("setNumberFormat")
def _set_number_format(p: _Player, a: Action) -> None:
    for cell in p.each_cell(p.box(a), dims=True):
        cell.number_format = str(a["args"][0])


_HORIZONTAL = {
    "General": "general",
    "Left": "left",
    "Center": "center",
    "Right": "right",
    "Fill": "fill",
    "Justify": "justify",
    "CenterAcrossSelection": "centerContinuous",
    "Distributed": "distributed",
}
_VERTICAL = {
    "Top": "top",
    "Center": "center",
    "Bottom": "bottom",
    "Justify": "justify",
    "Distributed": "distributed",
}


def _set_alignment(p: _Player, a: Action, **changes: Any) -> None:
    for cell in p.each_cell(p.box(a), dims=True):
        alignment: Alignment = copy(cell.alignment)
        for name, value in changes.items():
            setattr(alignment, name, value)
        cell.alignment = alignment


@_handles("setWrapText")
def _set_wrap_text(p: _Player, a: Action) -> None:
    _set_alignment(p, a, wrap_text=bool(a["args"][0]))


@_handles("setHorizontalAlignment")
def _set_horizontal(p: _Player, a: Action) -> None:
    _set_alignment(p, a, horizontal=_HORIZONTAL[a["args"][0]])


@_handles("setVerticalAlignment")
def _set_vertical(p: _Player, a: Action) -> None:
    _set_alignment(p, a, vertical=_VERTICAL[a["args"][0]])


@_handles("rangeAdjustIndent")
def _adjust_indent(p: _Player, a: Action) -> None:
    for cell in p.each_cell(p.box(a)):
        alignment: Alignment = copy(cell.alignment)
        alignment.indent = min(250, max(0, int(alignment.indent or 0) + int(a["args"][0])))
        cell.alignment = alignment


# Border line style + weight (Office.js vocabulary) <-> openpyxl's single style name.
_BORDER_STYLE = {
    ("continuous", "hairline"): "hair",
    ("continuous", "thin"): "thin",
    ("continuous", "medium"): "medium",
    ("continuous", "thick"): "thick",
    ("dash", "thin"): "dashed",
    ("dash", "medium"): "mediumDashed",
    ("dash_dot", "thin"): "dashDot",
    ("dash_dot", "medium"): "mediumDashDot",
    ("dash_dot_dot", "thin"): "dashDotDot",
    ("dash_dot_dot", "medium"): "mediumDashDotDot",
    ("dot", "thin"): "dotted",
    ("double", "thick"): "double",
    ("slant_dash_dot", "medium"): "slantDashDot",
}
_BORDER_PARTS = {style: parts for parts, style in _BORDER_STYLE.items()}


def _border_style(line_style: str, weight: str) -> str:
    """openpyxl's style for a line style and weight; the nearest weight the style has."""
    for candidate in (weight, "thin", "medium", "thick"):
        if (line_style, candidate) in _BORDER_STYLE:
            return _BORDER_STYLE[(line_style, candidate)]
    raise UnsupportedActionError(f"setBorderProperty: unknown line style {line_style!r}")


def _updated_side(side: Side | None, attribute: str, value: Any) -> Side:
    style = side.style if side is not None else None
    color = side.color if side is not None else None
    line_style, weight = _BORDER_PARTS.get(style, (None, "thin")) if style else (None, "thin")
    if attribute == "line_style":
        if value in (None, "none"):
            return Side(style=None, color=color)
        line_style = value
    elif attribute == "weight":
        weight = value
    elif attribute == "color":
        color = _argb(value)
    else:
        raise UnsupportedActionError(f"setBorderProperty: unknown attribute {attribute!r}")
    return Side(style=_border_style(line_style or "continuous", weight), color=color)


@_handles("setBorderProperty")
def _set_border_property(p: _Player, a: Action) -> None:
    side_name, attribute, value = a["args"][0], a["args"][1], a["args"][2]
    box = p.box(a)
    for row, col in box.coords():
        cell = box.ws.cell(row, col)
        border: Border = copy(cell.border)
        targets = _border_targets(side_name, box, row, col)
        for edge in targets:
            setattr(border, edge, _updated_side(getattr(border, edge), attribute, value))
        if side_name == "diagonal_down" and targets:
            border.diagonalDown = True
        if side_name == "diagonal_up" and targets:
            border.diagonalUp = True
        if targets:
            cell.border = border


def _border_targets(side: str, box: _Box, row: int, col: int) -> list[str]:
    rules = {
        "edge_top": [("top", row == box.r0)],
        "edge_bottom": [("bottom", row == box.r1)],
        "edge_left": [("left", col == box.c0)],
        "edge_right": [("right", col == box.c1)],
        "inside_vertical": [("right", col < box.c1), ("left", col > box.c0)],
        "inside_horizontal": [("bottom", row < box.r1), ("top", row > box.r0)],
        "diagonal_down": [("diagonal", True)],
        "diagonal_up": [("diagonal", True)],
    }
    if side not in rules:
        raise UnsupportedActionError(f"setBorderProperty: unknown side {side!r}")
    return [edge for edge, applies in rules[side] if applies]


# -- rows, columns, merging ----------------------------------------------------------------------
@_handles("setColumnWidth")
def _set_column_width(p: _Player, a: Action) -> None:
    box = p.box(a)
    # Office.js measures points; openpyxl/Excel files store characters of the default
    # font (Calibri 11: 7 px per character + 5 px padding). Approximate, like Excel.
    width = max(0.0, (float(a["args"][0]) * 96 / 72 - 5) / 7)
    for col in range(box.c0, box.c1 + 1):
        box.ws.column_dimensions[get_column_letter(col)].width = round(width, 2)


@_handles("setRowHeight")
def _set_row_height(p: _Player, a: Action) -> None:
    box = p.box(a)
    for row in range(box.r0, box.r1 + 1):
        box.ws.row_dimensions[row].height = float(a["args"][0])


@_handles("setRowHidden")
def _set_row_hidden(p: _Player, a: Action) -> None:
    box = p.box(a)
    for row in range(box.r0, box.r1 + 1):
        box.ws.row_dimensions[row].hidden = bool(a["args"][0])


@_handles("setColumnHidden")
def _set_column_hidden(p: _Player, a: Action) -> None:
    box = p.box(a)
    for col in range(box.c0, box.c1 + 1):
        box.ws.column_dimensions[get_column_letter(col)].hidden = bool(a["args"][0])


@_handles("rangeGroup", "rangeUngroup")
def _group(p: _Player, a: Action) -> None:
    box, level = p.box(a), 1 if a["func"] == "rangeGroup" else 0
    if a["args"][0] == "columns":
        for col in range(box.c0, box.c1 + 1):
            box.ws.column_dimensions[get_column_letter(col)].outline_level = level
    else:
        for row in range(box.r0, box.r1 + 1):
            box.ws.row_dimensions[row].outline_level = level


@_handles("rangeInsert", "rangeDelete")
def _insert_delete(p: _Player, a: Action) -> None:
    box, shift = p.box(a), a["args"][0]
    whole_rows, whole_cols = a["column_count"] >= MAX_COLUMNS, a["row_count"] >= MAX_ROWS
    nrows, ncols = box.r1 - box.r0 + 1, box.c1 - box.c0 + 1
    if shift in ("down", "up") and whole_rows:
        (box.ws.insert_rows if shift == "down" else box.ws.delete_rows)(box.r0, nrows)
    elif shift in ("right", "left") and whole_cols:
        (box.ws.insert_cols if shift == "right" else box.ws.delete_cols)(box.c0, ncols)
    else:
        raise UnsupportedActionError(
            f"{a['func']}: only whole rows (shift up/down) or whole columns (shift left/right) are "
            "emulated; openpyxl cannot shift part of a row. Insert/delete entire rows instead."
        )


@_handles("rangeMerge")
def _merge(p: _Player, a: Action) -> None:
    box = p.box(a)
    if a["args"][0]:  # across: one merged area per row
        for row in range(box.r0, box.r1 + 1):
            box.ws.merge_cells(start_row=row, start_column=box.c0, end_row=row, end_column=box.c1)
    else:
        box.ws.merge_cells(box.ref)


@_handles("rangeUnmerge")
def _unmerge(p: _Player, a: Action) -> None:
    box = p.box(a)
    target = CellRange(box.ref)
    for merged in list(box.ws.merged_cells.ranges):
        if not merged.isdisjoint(target):
            box.ws.unmerge_cells(merged.coord)


# -- copying -----------------------------------------------------------------------------------
def _copy_block(
    src: _Box,
    dst_ws: Worksheet,
    dst_row: int,
    dst_col: int,
    what: str = "all",
    skip_blanks: bool = False,
    transpose: bool = False,
) -> None:
    snapshot = [(r, c, src.ws.cell(r, c)) for r, c in src.coords()]
    cells = [(r, c, cell.value, copy(cell._style), cell.coordinate) for r, c, cell in snapshot]
    for r, c, value, style, coordinate in cells:
        dr, dc = (c - src.c0, r - src.r0) if transpose else (r - src.r0, c - src.c0)
        target = dst_ws.cell(dst_row + dr, dst_col + dc)
        if skip_blanks and value is None:
            continue
        if what in ("all", "formulas", "values"):
            if isinstance(value, str) and value.startswith("="):
                if what == "values":
                    raise UnsupportedActionError(
                        f"copy values of formula cell {coordinate}: openpyxl has no calculated values"
                    )
                value = Translator(value, coordinate).translate_formula(target.coordinate)
            target.value = value
        if what in ("all", "formats"):
            target._style = copy(style)


@_handles("copyRange")
def _copy_range(p: _Player, a: Action) -> None:
    dst = p.address_box(p.sheet(a["args"][0]), str(a["args"][1]))
    _copy_block(p.box(a), dst.ws, dst.r0, dst.c0)


@_handles("copyFromRange")
def _copy_from_range(p: _Player, a: Action) -> None:
    sheet_ix, address, copy_type, skip_blanks, transpose = (list(a["args"]) + [None] * 5)[:5]
    what = (copy_type or "all").lower()
    if what not in ("all", "formats", "formulas", "values"):
        raise UnsupportedActionError(f"copyFromRange: copy_type {copy_type!r} is not emulated")
    dst = p.box(a, clip=False)
    _copy_block(
        p.address_box(p.sheet(sheet_ix), str(address)),
        dst.ws,
        dst.r0,
        dst.c0,
        what,
        bool(skip_blanks),
        bool(transpose),
    )


@_handles("moveRange")
def _move_range(p: _Player, a: Action) -> None:
    src = p.box(a)
    dst = p.address_box(p.sheet(a["args"][0]), str(a["args"][1]))
    _copy_block(src, dst.ws, dst.r0, dst.c0)
    moved = {(dst.ws.title, r - src.r0 + dst.r0, c - src.c0 + dst.c0) for r, c in src.coords()}
    for r, c in src.coords():
        if (src.ws.title, r, c) not in moved:
            cell = src.ws.cell(r, c)
            cell.value = None
            cell.style = "Normal"


# -- notes, comments, hyperlinks ------------------------------------------------------------------
@_handles("addNote", "setNoteText", "addComment")
def _add_note(p: _Player, a: Action) -> None:
    # openpyxl writes legacy notes only; a threaded comment (addComment) is stored as
    # a note with the same text, which is what older Excel shows for one anyway.
    cell = p.sheet(a["sheet_position"]).cell(a["start_row"] + 1, a["start_column"] + 1)
    cell.comment = Comment(str(a["args"][1]), NOTE_AUTHOR)


@_handles("deleteNote")
def _delete_note(p: _Player, a: Action) -> None:
    p.sheet(a["sheet_position"]).cell(a["start_row"] + 1, a["start_column"] + 1).comment = None


@_handles("addHyperlink")
def _add_hyperlink(p: _Player, a: Action) -> None:
    address, text, tip = (list(a["args"]) + [None] * 3)[:3]
    for cell in p.each_cell(p.box(a)):
        if str(address).startswith("#"):
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=str(address)[1:], tooltip=tip)
        else:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=str(address), tooltip=tip)
        cell.value = text if text is not None else address


# -- sheets -----------------------------------------------------------------------------------------
def _sheets_index(wb: Workbook, position: int) -> int:
    """Worksheet position (Office.js) -> index in openpyxl's list, which also holds chartsheets."""
    sheets = wb.worksheets
    return wb._sheets.index(sheets[position]) if position < len(sheets) else len(wb._sheets)


@_handles("addSheet")
def _add_sheet(p: _Player, a: Action) -> None:
    position, name = int(a["args"][0]), a["args"][1]
    if name is None:
        taken = {ws.title for ws in p.wb.worksheets}
        name = next(f"Sheet{n}" for n in range(1, 10_000) if f"Sheet{n}" not in taken)
    # Office.js worksheets.add() does not activate the new sheet (the engine's local
    # model does; only an explicit activate() reaches Excel).
    p.wb.create_sheet(title=str(name), index=_sheets_index(p.wb, position))


@_handles("setSheetName")
def _set_sheet_name(p: _Player, a: Action) -> None:
    ws = p.sheet(a["sheet_position"])
    old, new = ws.title, str(a["args"][0])
    ws.title = new
    # Excel rewrites references to the renamed sheet in names and formulas.
    pattern = re.compile(rf"(?<![\w.'])({re.escape(quote_sheetname(old))}|{re.escape(old)})!")
    replacement = quote_sheetname(new) + "!"
    defined = list(p.wb.defined_names.values())
    for sheet in p.wb.worksheets:
        defined += list(sheet.defined_names.values())
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = pattern.sub(lambda _m: replacement, cell.value)
    for dn in defined:
        if dn.attr_text:
            dn.attr_text = pattern.sub(lambda _m: replacement, dn.attr_text)


@_handles("sheetDelete")
def _sheet_delete(p: _Player, a: Action) -> None:
    p.wb.remove(p.sheet(a["sheet_position"]))


@_handles("activateSheet")
def _activate_sheet(p: _Player, a: Action) -> None:
    _activate(p.wb, p.sheet(int(a["args"][0])))


def _activate(wb: Workbook, target: Worksheet) -> None:
    wb.active = wb._sheets.index(target)
    for ws in wb.worksheets:  # else Excel opens with the sheets grouped
        ws.sheet_view.tabSelected = ws is target


@_handles("rangeSelect")
def _range_select(p: _Player, a: Action) -> None:
    box = p.box(a, clip=False)
    _activate(p.wb, box.ws)
    box.ws.sheet_view.selection[0].sqref = box.ref
    box.ws.sheet_view.selection[0].activeCell = f"{get_column_letter(box.c0)}{box.r0}"


@_handles("setSheetVisibility")
def _set_visibility(p: _Player, a: Action) -> None:
    states = {value: key for key, value in _VISIBILITY.items()}
    p.sheet(a["sheet_position"]).sheet_state = states[a["args"][0]]


@_handles("setSheetPosition")
def _set_sheet_position(p: _Player, a: Action) -> None:
    ws = p.sheet(a["sheet_position"])
    new_index = _sheets_index(p.wb, int(a["args"][0]))
    p.wb.move_sheet(ws, offset=new_index - p.wb._sheets.index(ws))


@_handles("copySheet")
def _copy_sheet(p: _Player, a: Action) -> None:
    where, target_ix, name = a["args"][0], int(a["args"][1]), str(a["args"][2])
    new_ix = target_ix if where == "Before" else target_ix + 1
    copied = p.wb.copy_worksheet(p.sheet(a["sheet_position"]))  # values, styles, merges only
    copied.title = name
    p.wb.move_sheet(copied, offset=_sheets_index(p.wb, new_ix) - p.wb._sheets.index(copied))


@_handles("setShowGridlines")
def _set_gridlines(p: _Player, a: Action) -> None:
    p.sheet(a["sheet_position"]).sheet_view.showGridLines = bool(a["args"][0])


@_handles("setPrintArea")
def _set_print_area(p: _Player, a: Action) -> None:
    p.sheet(a["sheet_position"]).print_area = a["args"][0] or None


@_handles("freezePaneAtRange")
def _freeze_at(p: _Player, a: Action) -> None:
    ws = p.sheet(a["sheet_position"])
    frozen = str(a["args"][0]).replace("$", "")
    min_col, min_row, max_col, max_row = range_boundaries(frozen)
    rows = 0 if min_row is None else max_row  # "A:A" freezes columns only
    cols = 0 if min_col is None else max_col  # "1:1" freezes rows only
    ws.freeze_panes = f"{get_column_letter(cols + 1)}{rows + 1}"


@_handles("freezePaneUnfreeze")
def _unfreeze(p: _Player, a: Action) -> None:
    p.sheet(a["sheet_position"]).freeze_panes = None


@_handles("setCalculation")
def _set_calculation(p: _Player, a: Action) -> None:
    modes = {value: key for key, value in _CALCULATION.items()}
    p.wb.calculation.calcMode = modes[a["args"][0]]


# -- names -------------------------------------------------------------------------------------------
def _name_scope(p: _Player, book_scope: bool, sheet_index: int | None) -> dict[str, DefinedName]:
    return p.wb.defined_names if book_scope else p.sheet(sheet_index).defined_names


@_handles("setRangeName")
def _set_range_name(p: _Player, a: Action) -> None:
    box, name = p.box(a), str(a["args"][0])
    refers_to = f"{quote_sheetname(box.ws.title)}!{absolute_coordinate(box.ref)}"
    p.wb.defined_names[name] = DefinedName(name, attr_text=refers_to)


@_handles("namesAdd")
def _names_add(p: _Player, a: Action) -> None:
    name, refers_to = str(a["args"][0]), str(a["args"][1]).removeprefix("=")
    book_scope = a.get("sheet_position") is None
    _name_scope(p, book_scope, a.get("sheet_position"))[name] = DefinedName(name, attr_text=refers_to)


@_handles("nameDelete")
def _name_delete(p: _Player, a: Action) -> None:
    name, book_scope, scope_index = str(a["args"][2]), bool(a["args"][4]), a["args"][5]
    del _name_scope(p, book_scope, scope_index)[name]


@_handles("setNameRefersTo")
def _set_name_refers_to(p: _Player, a: Action) -> None:
    name, book_scope, scope_index, value = a["args"][0], bool(a["args"][1]), a["args"][2], a["args"][3]
    scope = _name_scope(p, book_scope, scope_index)
    scope[name] = DefinedName(name, attr_text=str(value).removeprefix("="))


# -- data validation -------------------------------------------------------------------------------
_DV_TYPES = {
    "whole_number": "whole",
    "decimal": "decimal",
    "list": "list",
    "date": "date",
    "time": "time",
    "text_length": "textLength",
    "custom": "custom",
}
_DV_OPERATORS = {
    "between": "between",
    "not_between": "notBetween",
    "equal_to": "equal",
    "not_equal_to": "notEqual",
    "greater_than": "greaterThan",
    "less_than": "lessThan",
    "greater_than_or_equal": "greaterThanOrEqual",
    "less_than_or_equal": "lessThanOrEqual",
}
_DV_KEEP = (
    "promptTitle",
    "prompt",
    "errorTitle",
    "error",
    "showErrorMessage",
    "showInputMessage",
    "errorStyle",
    "allow_blank",
)


def _subtract(outer: tuple[int, int, int, int], hole: tuple[int, int, int, int]) -> list[str]:
    """Refs of ``outer`` minus ``hole`` (both min_col, min_row, max_col, max_row)."""
    c0, r0, c1, r1 = outer
    h0, g0, h1, g1 = hole
    if h0 > c1 or h1 < c0 or g0 > r1 or g1 < r0:
        return [CellRange(min_col=c0, min_row=r0, max_col=c1, max_row=r1).coord]
    bands = [
        (c0, r0, c1, g0 - 1),  # above
        (c0, g1 + 1, c1, r1),  # below
        (c0, max(r0, g0), h0 - 1, min(r1, g1)),  # left
        (h1 + 1, max(r0, g0), c1, min(r1, g1)),  # right
    ]
    return [
        CellRange(min_col=a, min_row=b, max_col=c, max_row=d).coord
        for a, b, c, d in bands
        if a <= c and b <= d
    ]


def _remove_validation(ws: Worksheet, box: _Box) -> DataValidation | None:
    """Take ``box`` out of every validation on ``ws``; return the first one that covered it."""
    hole = (box.c0, box.r0, box.c1, box.r1)
    previous = None
    for dv in list(ws.data_validations.dataValidation):
        parts = [ref for rng in dv.sqref.ranges for ref in _subtract(rng.bounds, hole)]
        if parts == [rng.coord for rng in dv.sqref.ranges]:
            continue
        previous = previous or dv
        if parts:
            dv.sqref = MultiCellRange(" ".join(parts))
        else:
            ws.data_validations.dataValidation.remove(dv)
    return previous


def _add_validation(p: _Player, a: Action, **settings: Any) -> None:
    box = p.box(a)
    previous = _remove_validation(box.ws, box)
    kept = {key: getattr(previous, key) for key in _DV_KEEP} if previous is not None else {}
    dv = DataValidation(**{"allow_blank": True, **kept, **settings})
    dv.add(box.ref)
    box.ws.add_data_validation(dv)


@_handles("setDataValidationList")
def _set_validation_list(p: _Player, a: Action) -> None:
    source, in_cell_dropdown = a["args"][0], bool(a["args"][1])
    if source["type"] == "literal":
        items = ["TRUE" if v is True else "FALSE" if v is False else str(v) for v in source["values"]]
        formula = '"' + ",".join(items) + '"'
    elif source["type"] == "range":
        ws = p.sheet(source["sheet_position"])
        r0, c0 = source["start_row"] + 1, source["start_column"] + 1
        ref = _Box(ws, r0, c0, r0 + source["row_count"] - 1, c0 + source["column_count"] - 1).ref
        formula = f"{quote_sheetname(ws.title)}!{absolute_coordinate(ref)}"
    else:
        formula = str(source["name"])
    # openpyxl's showDropDown=True *hides* the in-cell arrow (the XML attribute is inverted).
    _add_validation(p, a, type="list", formula1=formula, showDropDown=not in_cell_dropdown)


@_handles("setDataValidationRule")
def _set_validation_rule(p: _Player, a: Action) -> None:
    rule = a["args"][0]
    formulas = {
        key: str(rule[key]).removeprefix("=") for key in ("formula1", "formula2") if rule.get(key) is not None
    }
    operator = _DV_OPERATORS.get(rule.get("operator") or "", None)
    _add_validation(p, a, type=_DV_TYPES[rule["type"]], operator=operator, **formulas)


@_handles("deleteDataValidation")
def _delete_validation(p: _Player, a: Action) -> None:
    box = p.box(a)
    _remove_validation(box.ws, box)


# -- tables --------------------------------------------------------------------------------------
def _table(p: _Player, a: Action) -> Table:
    tables = list(p.sheet(a["sheet_position"]).tables.values())
    return tables[int(a["args"][0])]


@_handles("addTable")
def _add_table(p: _Player, a: Action) -> None:
    address, has_headers, style, name = (list(a["args"]) + [None] * 4)[:4]
    if not has_headers:
        raise UnsupportedActionError("addTable(has_headers=False): Excel inserts a header row; not emulated")
    taken = {t.displayName for ws in p.wb.worksheets for t in ws.tables.values()}
    name = name or next(f"Table{n}" for n in range(1, 10_000) if f"Table{n}" not in taken)
    table = Table(displayName=str(name), ref=str(address).replace("$", ""))
    table.tableStyleInfo = TableStyleInfo(name=style or "TableStyleMedium2", showRowStripes=True)
    p.sheet(a["sheet_position"]).add_table(table)


@_handles("setTableName")
def _set_table_name(p: _Player, a: Action) -> None:
    ws, table = p.sheet(a["sheet_position"]), _table(p, a)
    del ws.tables[table.displayName]
    table.displayName = table.name = str(a["args"][1])
    ws.add_table(table)


@_handles("setTableStyle")
def _set_table_style(p: _Player, a: Action) -> None:
    table = _table(p, a)
    info = table.tableStyleInfo or TableStyleInfo(showRowStripes=True)
    info.name = str(a["args"][1])
    table.tableStyleInfo = info


@_handles("resizeTable")
def _resize_table(p: _Player, a: Action) -> None:
    table = _table(p, a)
    table.ref = str(a["args"][1]).replace("$", "")
    table.autoFilter.ref = table.ref
    table.tableColumns = []  # rebuilt from the header cells on save


@_handles("showAutofilterTable")
def _show_autofilter(p: _Player, a: Action) -> None:
    from openpyxl.worksheet.filters import AutoFilter

    table = _table(p, a)
    table.autoFilter = AutoFilter(ref=table.ref) if a["args"][1] else None


_STRIPE_FLAGS = {
    "showTableStyleFirstColumn": "showFirstColumn",
    "showTableStyleLastColumn": "showLastColumn",
    "showTableStyleRowStripes": "showRowStripes",
    "showTableStyleColumnStripes": "showColumnStripes",
}


@_handles(*_STRIPE_FLAGS)
def _table_style_flag(p: _Player, a: Action) -> None:
    table = _table(p, a)
    info = table.tableStyleInfo or TableStyleInfo(name="TableStyleMedium2")
    setattr(info, _STRIPE_FLAGS[a["func"]], bool(a["args"][1]))
    table.tableStyleInfo = info


# -- the engine's vocabulary ----------------------------------------------------------------------
def engine_action_funcs() -> frozenset[str]:
    """Action names the installed remote engine can emit, read from its source (for a guard test)."""
    import xlwings.pro._xlremote as remote

    source = Path(remote.__file__).read_text(encoding="utf-8")
    found = set(re.findall(r'func="(\w+)"', source))
    found |= set(re.findall(r'_queue\(\s*"(\w+)"', source))
    found |= {name for pair in re.findall(r'_append\(\s*"(\w+)",\s*"(\w+)"', source) for name in pair}
    found |= set(re.findall(r'_set_format\([^)]*?"(set\w+)"', source, flags=re.S))
    found |= set(re.findall(r'_pending_actions\.append\(\(\s*"(\w+)"', source))
    found |= set(re.findall(r'\n\s+"(setChart\w+)",\n', source))
    # Pivot value fields `_queue("name" | "function" | "number_format", ...)`: attributes, not actions.
    return frozenset(name for name in found if re.fullmatch(r"[a-z]+[A-Z]\w*|alert|calculate|save", name))
