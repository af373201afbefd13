"""Cells to write -> a few rectangular blocks. Pure: no xlwings, no openpyxl.

A button writes a job's ``Changes`` into the live workbook through xlwings, and
every xlwings range operation is one call into Excel (one Office.js action in
xlwings Lite). So the Excel adapter never writes cell by cell: it turns the
cells into rectangles first, and the number of calls depends on the shape of
what is written (columns, colours), not on the number of rows.

- ``value_blocks``: every written cell inside a rectangle, one values write each.
- ``uniform_blocks``: rectangles of cells that want the same thing (a number
  format, a font colour, bold), one call each.
- ``colour_strips``: fills, as ``set_colors`` matrices of at most
  ``MAX_COLOUR_CELLS`` cells (xlwings' limit per call); cells in the
  rectangle that are not written are left as they are (``...``).
- ``readable_colour``: the text colour that reads best on a set of fills, for
  when one call has to colour the text of many differently filled cells.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

V = TypeVar("V")
Cell = tuple[int, int]  # (row, column), Excel's, from 1

MAX_COLOUR_CELLS = 10_000  # xlwings' Range.set_colors takes at most this many cells per call
KEEP_COLOUR = ...  # set_colors: leave this cell's fill as it is


@dataclass(frozen=True, order=True)
class Block:
    """A rectangle of cells: top-left row and column (from 1), and its size."""

    row: int
    column: int
    rows: int = 1
    columns: int = 1

    @property
    def last_row(self) -> int:
        return self.row + self.rows - 1

    @property
    def last_column(self) -> int:
        return self.column + self.columns - 1

    @property
    def size(self) -> int:
        return self.rows * self.columns

    def cells(self) -> Iterable[Cell]:
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                yield r, c


def _rectangles(cells: Mapping[Cell, Any], key: Callable[[Any], Hashable]) -> list[tuple[Block, Hashable]]:
    """Cover ``cells`` with rectangles of equal ``key``: runs along each row, then
    runs with the same columns and key in consecutive rows are stacked."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for r, c in cells:
        by_row[r].append(c)
    open_runs: dict[tuple[int, int, Hashable], Block] = {}  # runs that reached the previous row
    done: list[tuple[Block, Hashable]] = []
    previous_row = None
    for r in sorted(by_row):
        columns = sorted(by_row[r])
        runs: list[tuple[int, int, Hashable]] = []
        start = columns[0]
        k = key(cells[(r, start)])
        for a, b in zip(columns, columns[1:] + [None]):
            kb = key(cells[(r, b)]) if b is not None else None
            if b is None or b != a + 1 or kb != k:
                runs.append((start, a, k))
                if b is not None:
                    start, k = b, kb
        still_open: dict[tuple[int, int, Hashable], Block] = {}
        for c0, c1, k in runs:
            block = open_runs.pop((c0, c1, k), None) if previous_row == r - 1 else None
            if block is None:
                block = Block(r, c0, 1, c1 - c0 + 1)
            else:
                block = Block(block.row, block.column, block.rows + 1, block.columns)
            still_open[(c0, c1, k)] = block
        done.extend((b, k[2]) for k, b in open_runs.items())
        open_runs, previous_row = still_open, r
    done.extend((b, k[2]) for k, b in open_runs.items())
    return sorted(done, key=lambda item: item[0])


def value_blocks(cells: Mapping[Cell, Any]) -> list[tuple[Block, list[list[Any]]]]:
    """Rectangles fully covered by ``cells``, with their values row by row."""
    out = []
    for block, _ in _rectangles(cells, key=lambda _v: None):
        matrix = [
            [cells[(r, c)] for c in range(block.column, block.last_column + 1)]
            for r in range(block.row, block.last_row + 1)
        ]
        out.append((block, matrix))
    return out


def uniform_blocks(cells: Mapping[Cell, V]) -> list[tuple[Block, V]]:
    """Rectangles of cells wanting the same (hashable) value: one call each."""
    return [(block, value) for block, value in _rectangles(cells, key=lambda v: v)]  # type: ignore[misc]


def colour_strips(
    fills: Mapping[Cell, str | None], max_cells: int = MAX_COLOUR_CELLS
) -> list[tuple[Block, list[list[Any]]]]:
    """Fills as ``set_colors`` matrices: neighbouring columns' row spans are joined while
    the rectangle holds at most ``max_cells`` cells; a longer column is cut into pieces.
    Cells in a rectangle that are not in ``fills`` are ``...`` (left as they are)."""
    spans: dict[int, tuple[int, int]] = {}
    for r, c in fills:
        low, high = spans.get(c, (r, r))
        spans[c] = (min(low, r), max(high, r))
    groups: list[tuple[int, int, int, int]] = []  # first column, last column, first row, last row
    for c in sorted(spans):
        low, high = spans[c]
        if groups:
            c0, c1, r0, r1 = groups[-1]
            joined = (c - c0 + 1) * (max(r1, high) - min(r0, low) + 1)
            if joined <= max_cells:
                groups[-1] = (c0, c, min(r0, low), max(r1, high))
                continue
        groups.append((c, c, low, high))
    out = []
    for c0, c1, r0, r1 in groups:
        width = c1 - c0 + 1
        height = max(1, max_cells // width)
        for top in range(r0, r1 + 1, height):
            bottom = min(r1, top + height - 1)
            matrix = [
                [fills.get((r, c), KEEP_COLOUR) for c in range(c0, c1 + 1)] for r in range(top, bottom + 1)
            ]
            if any(v is not KEEP_COLOUR for row in matrix for v in row):
                out.append((Block(top, c0, bottom - top + 1, width), matrix))
    return out


# ------------------------------------------------------------------ text colour


@lru_cache(maxsize=256)
def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of "RRGGBB"."""
    text = hex_colour.lstrip("#")
    channels = []
    for i in (0, 2, 4):
        s = int(text[i : i + 2], 16) / 255
        channels.append(s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two "RRGGBB" colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_colour(fills: Iterable[str | None], candidates: Iterable[str] = ("000000", "FFFFFF")) -> str:
    """The text colour whose worst contrast over ``fills`` (None: no fill, white) is best."""
    backgrounds = {f or "FFFFFF" for f in fills} or {"FFFFFF"}
    return max(candidates, key=lambda colour: min(contrast(colour, b) for b in backgrounds))


# ------------------------------------------------------------------ text Excel would re-read

_MONTH_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec am pm a p"
).split()
_NUMBERISH = set("0123456789 /-.,:£$€%()+\u00a0")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[Tt ]\d{1,2}:\d{2}")
_ERRORS = {
    "#N/A",
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "#NUM!",
    "#NAME?",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#GETTING_DATA",
}


def excel_would_convert(text: str) -> bool:
    """True when Excel, given ``text`` as typed input, would not keep it as this text:
    a formula (=, +, -, @), a leading apostrophe (swallowed), a number, percentage,
    currency amount, date, time, fraction, TRUE/FALSE or an error value. Errs on the side
    of True: a leading apostrophe on text is harmless."""
    stripped = text.strip()
    if not stripped:
        return text != ""
    if text[0] in "=+-@'" or stripped[0] in "=+-@":
        return True
    upper = stripped.upper()
    if upper in ("TRUE", "FALSE") or upper in _ERRORS:
        return True
    if not any(ch.isdigit() for ch in stripped):
        return False
    if _ISO_MOMENT.match(stripped):  # 2019-11-01T09:30:00
        return True
    words = [w for w in stripped.lower().replace(",", " ").replace("-", " ").replace("/", " ").split()]
    rest = "".join(ch for w in words if w.strip(".") not in _MONTH_WORDS for ch in w)
    if all(ch in _NUMBERISH for ch in rest):
        return True
    # 1e5, 1.5E-3: scientific notation
    mantissa, sep, exponent = upper.partition("E")
    return bool(sep) and all(ch in _NUMBERISH for ch in mantissa) and exponent.lstrip("+-").isdigit()
