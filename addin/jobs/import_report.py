"""Import, part 4: the import report, as lines to print and as the "Import report" sheet.

The sheet is a ``changes.GeneratedSheet``, written into the new master by the
adapter; nothing here touches a workbook.
"""

from __future__ import annotations

from ..changes import GeneratedSheet
from ..dates import format_uk
from .importer import ImportNote, ImportResult

REPORT_SHEET = "Import report"
HEADERS = ["Kind", "Source cell", "Source column", "Value in the source", "What plantrack did", "Ref"]
CHECK_FILL = "FFC000"  # amber: a cell to check
COLUMN_FILL = "DDEBF7"  # light blue: how a column was mapped


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 action', '2 actions', '1 agency', '2 agencies'."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def counts_line(result: ImportResult) -> str:
    plan = result.plan
    return (
        f"{plural(len(plan.actions), 'action')}, {plural(len(plan.milestones), 'milestone')}, "
        f"{plural(len(plan.leads), 'lead')} and {plural(len(plan.agencies), 'agency', 'agencies')} "
        f"from {plural(result.rows_read, 'row')}"
    )


def checks_line(result: ImportResult) -> str:
    n = len(result.attention)
    return f"{plural(n, 'thing')} to check" if n else "nothing to check"


def column_lines(result: ImportResult) -> list[str]:
    """'A "Impact of actions" -> Action' for every column of the source table."""
    out = []
    for c in result.columns:
        header = f"'{c.header}'" if c.header else "(no header)"
        if c.target is not None:
            how = " (--map)" if c.how == "--map" else ""
            out.append(f"{c.letter} {header} \u2192 {c.target}{how}")
        else:
            why = f", {c.how}" if c.how.startswith("second") else ""
            out.append(f"{c.letter} {header} \u2192 kept as the extra column '{c.kept_as}'{why}")
    return out


def note_line(note: ImportNote) -> str:
    """One note as a line: where, the value, what was done."""
    where = []
    if note.row is not None:
        where.append(f"row {note.row}" + (f" ({note.cell})" if note.cell else ""))
    elif note.cell:
        where.append(note.cell)
    if note.column:
        where.append(f"'{note.column}'")
    if note.ref:
        where.append(f"action {note.ref}")
    head = ", ".join(where)
    value = f" \u201c{note.value}\u201d" if note.value else ""
    return f"{head}{value}: {note.message}" if head or value else note.message


def report_sheet(result: ImportResult) -> GeneratedSheet:
    """The "Import report" sheet: what was mapped to what, and every decision, cells to check first."""
    plan = result.plan
    attention = len(result.attention)
    when = format_uk(plan.info.report_date) if plan.info.report_date else "-"
    rows: list[list[object]] = [
        ["Import report"],
        [
            f"Imported from {result.source or 'the source workbook'}, sheet '{result.sheet}' (header on row "
            f"{result.header_row}). Report date {when}."
        ],
        [
            f"{counts_line(result)}; {checks_line(result)}"
            + (" (Kind 'Check', in amber)." if attention else ".")
        ],
        [],
        list(HEADERS),
    ]
    fills: dict[tuple[int, int], str] = {}
    for c in result.columns:
        what = (
            f"Mapped to the tracker column {c.target}" + (" (--map)" if c.how == "--map" else "")
            if c.target is not None
            else f"Kept as the extra column '{c.kept_as}'"
            + (f" ({c.how})" if c.how.startswith("second") else "")
        )
        rows.append(["Column", f"{c.letter}{result.header_row}", c.header or "(no header)", None, what, None])
        fills[(len(rows), 1)] = COLUMN_FILL
    ordered = [n for n in result.notes if n.attention] + [n for n in result.notes if not n.attention]
    for note in ordered:
        cell = note.cell or (f"row {note.row}" if note.row is not None else None)
        rows.append(
            ["Check" if note.attention else "Note", cell, note.column, note.value, note.message, note.ref]
        )
        if note.attention:
            fills[(len(rows), 1)] = CHECK_FILL
    return GeneratedSheet(
        name=REPORT_SHEET,
        rows=rows,
        header_row=5,
        title_rows=3,
        widths={1: 9, 2: 11, 3: 22, 4: 55, 5: 80, 6: 9},
        wrap_columns={3, 4, 5},
        fills=fills,
        after="Agencies",
        tab_colour="BF8F00",
        freeze="A6",
    )
