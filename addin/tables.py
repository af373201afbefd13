"""Sheets as tables: a grid of cell values, matched to the rules by header.

An adapter (``files`` for .xlsx files, ``buttons`` for a live Excel book) reads
each sheet once into a ``Grid``; everything after that works on ``Table``s.
Headers are matched case- and space-insensitively, in any order; the header
row is found among the first rows (a title above the table is allowed).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .rules import ColumnRule, SheetRule, normalise_header

HEADER_SEARCH_ROWS = 10


@dataclass
class Grid:
    """One sheet's cell values as an adapter read them, from cell A1."""

    name: str
    values: list[list[Any]]


class Grids(dict[str, Grid]):
    """Every sheet's grid by sheet name (in workbook order), and what the reader noticed.

    ``warnings`` are plain-English lines about the workbook that are worth
    telling the user but do not stop a job: macros, links to other workbooks,
    hidden sheets, rows or columns, merged cells, formulas where values belong.
    ``merged``: sheet name -> its merged ranges ("B3:B5"), for the sheets that have
    any. A reader gives the value of a merged range's first cell and leaves the
    others empty, so a job that takes values cell by cell (merge) must know them.
    """

    def __init__(
        self,
        *args: Any,
        warnings: list[str] | None = None,
        merged: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = list(warnings or [])
        self.merged: dict[str, list[str]] = dict(merged or {})


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """A sheet's table: the header row, the known columns and the data rows (raw values)."""

    sheet: str
    header_row: int
    headers: list[Any]
    columns: dict[str, int]
    rows: list[list[Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    rule: SheetRule | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, name: str) -> bool:
        return normalise_header(name) in self.columns

    def index(self, name: str) -> int | None:
        return self.columns.get(normalise_header(name))

    def get(self, i: int, name: str) -> Any:
        at = self.index(name)
        if at is None:
            return None
        row = self.rows[i]
        return row[at] if at < len(row) else None

    def column_values(self, name: str) -> list[Any]:
        at = self.index(name)
        if at is None:
            return [None] * len(self.rows)
        return [row[at] if at < len(row) else None for row in self.rows]

    def letter(self, name: str) -> str | None:
        at = self.index(name)
        return None if at is None else column_letter(at)

    def cell(self, i: int, name: str) -> str | None:
        letter = self.letter(name)
        return None if letter is None else f"{letter}{self.row_numbers[i]}"

    def missing_columns(self) -> list[ColumnRule]:
        """Required columns the sheet does not have at all."""
        if self.rule is None:
            return []
        return [c for c in self.rule.required_columns if c.key not in self.columns]

    def extra_columns(self) -> list[tuple[int, str]]:
        """(index, header) of columns the rules do not know."""
        known = set(self.columns.values())
        return [(i, str(h)) for i, h in enumerate(self.headers) if i not in known and not is_blank(h)]

    def records(self) -> Iterator[tuple[int, list[Any]]]:
        yield from zip(self.row_numbers, self.rows)


def find_header_row(values: Sequence[Sequence[Any]], rule: SheetRule) -> int:
    """0-based index of the row among the first few that matches most known headers."""
    known = {c.key for c in rule.columns}
    best, best_hits = 0, -1
    for i, row in enumerate(values[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for v in row if not is_blank(v) and normalise_header(v) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def table_from_grid(grid: Grid, rule: SheetRule) -> Table:
    """Match a grid's header row to the sheet rule and collect the non-empty data rows."""
    values = grid.values
    if not values:
        return Table(grid.name, 1, [], {}, rule=rule)
    at = find_header_row(values, rule)
    headers = list(values[at])
    while headers and is_blank(headers[-1]):
        headers.pop()
    known = {c.key for c in rule.columns}
    columns: dict[str, int] = {}
    for i, header in enumerate(headers):
        if is_blank(header):
            continue
        key = normalise_header(header)
        if key in known and key not in columns:
            columns[key] = i
    width = len(headers)
    rows: list[list[Any]] = []
    numbers: list[int] = []
    for offset, raw in enumerate(values[at + 1 :], start=at + 2):
        # a row as wide as the headers is used as it is, not copied (rows are never changed)
        row = (
            raw
            if len(raw) == width and raw.__class__ is list
            else list(raw[:width]) + [None] * (width - len(raw))
        )
        if all(is_blank(v) for v in row):
            continue
        rows.append(row)
        numbers.append(offset)
    return Table(grid.name, at + 1, headers, columns, rows, numbers, rule)


# ---------------------------------------------------------------- cell values
# The model reads typed values; these turn raw cell values into them, leniently
# (a value of the wrong type gives None: validation reports it from the raw table).


def as_text(value: Any) -> str | None:
    if value.__class__ is str:  # most cells: one strip, no isinstance chain
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return format(value, ".12g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().rstrip("%").replace(",", "").strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def as_percent(value: Any) -> float | None:
    """% complete as a number 0-100. A cell formatted as a percentage (0.85) reads as 85."""
    number = as_number(value)
    if number is None:
        return None
    if isinstance(value, float) and 0 < number < 1 and not isinstance(value, str):
        return round(number * 100, 6)
    return number


CONVERTERS = {"text": as_text, "email": as_text, "date": as_date, "number": as_number, "percent": as_percent}


def typed(value: Any, column: ColumnRule) -> Any:
    return CONVERTERS[column.type](value)
