"""What a job wants written into a workbook, independent of how it is written.

Jobs (validate --write, rag, merge, pack) never touch cells. They return a
``Changes``: single cells to set (value, fill, note) and whole sheets to
(re)generate. Two adapters apply it: ``files.apply_changes`` with openpyxl for
.xlsx files, and ``buttons`` with xlwings for the live workbook, in blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


class _Keep:
    """Marker: leave this property of the cell as it is."""

    _instance: _Keep | None = None

    def __new__(cls) -> _Keep:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "KEEP"

    def __bool__(self) -> bool:
        return False


KEEP: Any = _Keep()


@dataclass(frozen=True, slots=True)  # slots: a big plan's RAG run writes hundreds of thousands
class CellWrite:
    """One cell of an existing sheet. Rows and columns are Excel's, from 1.

    ``value``, ``fill`` (hex RGB, or None to clear), ``font_colour`` and
    ``note`` (None removes it) are changed only when given.
    """

    sheet: str
    row: int
    column: int
    value: Any = KEEP
    fill: Any = KEEP
    font_colour: Any = KEEP
    note: Any = KEEP
    number_format: str | None = None


@dataclass
class ChartSpec:
    """A chart on a generated sheet. Ranges are on that sheet, rows and columns from 1.

    ``data`` is (first_row, first_col, last_row, last_col) including a header row
    holding the series names; ``categories`` is (first_row, col, last_row).
    """

    kind: Literal["bar", "stacked_bar", "line"]
    title: str
    data: tuple[int, int, int, int]
    categories: tuple[int, int, int]
    anchor: str
    colours: list[str] = field(default_factory=list)
    y_title: str | None = None
    x_title: str | None = None
    width_cm: float = 16
    height_cm: float = 7.5
    reverse_categories: bool = False  # first category at the top of a bar chart
    legend: str | None = "r"  # "r", "b", "t", "l", or None for no legend
    title_size: float | None = None  # points; None leaves the spreadsheet program's default


@dataclass
class GeneratedSheet:
    """A sheet plantrack owns (Validation, Audit log, Returns, board pack ...).

    It is replaced whole each time. ``rows`` are the values from A1;
    ``header_row`` is the row styled as the table header (0 for none);
    ``title_rows`` the rows above it styled as titles. ``fills``, ``links``
    (a URL or an in-book target like ``#'Actions'!F12``), ``fonts`` and
    ``notes`` are keyed by (row, column) from 1.
    """

    name: str
    rows: list[list[Any]]
    header_row: int = 1
    title_rows: int = 0
    widths: dict[int, float] = field(default_factory=dict)
    wrap_columns: set[int] = field(default_factory=set)
    number_formats: dict[int, str] = field(default_factory=dict)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    font_colours: dict[tuple[int, int], str] = field(default_factory=dict)
    bold_cells: set[tuple[int, int]] = field(default_factory=set)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    charts: list[ChartSpec] = field(default_factory=list)
    state: Literal["visible", "hidden", "veryHidden"] = "visible"
    after: str | None = None
    tab_colour: str | None = None
    print_ready: bool = True
    freeze: str | None = None
    row_heights: dict[int, float] = field(default_factory=dict)  # points, by row from 1
    row_breaks: list[int] = field(default_factory=list)  # a printed page ends after each of these rows


@dataclass
class Changes:
    """Everything one job writes: cells of existing sheets, and whole generated sheets."""

    cells: list[CellWrite] = field(default_factory=list)
    sheets: list[GeneratedSheet] = field(default_factory=list)
    remove_sheets: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cells or self.sheets or self.remove_sheets)

    def extend(self, other: Changes) -> Changes:
        self.cells.extend(other.cells)
        self.sheets.extend(other.sheets)
        self.remove_sheets.extend(other.remove_sheets)
        return self
