"""The sheets a merge writes into the master: Audit log, Merge report, Returns.

- **Audit log**: every change a merge applied, appended to the rows already
  there (when, file and its SHA-256, agency, sheet, cell, ref, column, old
  value, new value). plantrack never removes a row from it.
- **Merge report**: the latest merge's conflicts, rejections, proposals and
  refused files, with links to the master's cells, for the programme manager
  to work through, then a note for each thing the reader noticed in a return
  (hidden rows or sheets, merged cells ...). Regenerated at each merge.
- **Returns**: see ``returns_status``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..changes import Changes, GeneratedSheet
from ..rules import normalise_header
from ..tables import Grid
from .merge import MergeItem, MergeResult
from .pack_sheets import row_heights
from .returns_status import book_sheets, returns_sheet

AUDIT_SHEET = "Audit log"
REPORT_SHEET = "Merge report"
AUDIT_COLUMNS = [
    "When",
    "File",
    "SHA-256",
    "Agency",
    "Sheet",
    "Cell",
    "Ref",
    "Column",
    "Old value",
    "New value",
]
REPORT_COLUMNS = [
    "What",
    "Agency",
    "Return file",
    "Sheet",
    "Master cell",
    "Ref",
    "Column",
    "As issued",
    "Partner's value",
    "Master's value",
    "Why, and what to do",
]
KIND_WORDS = {
    "conflict": "Conflict",
    "rejected": "Rejected",
    "proposal": "Proposal",
    "refused": "Refused file",
}
NOTE_WORD = "Note"
NOTE_FILL = "F2F2F2"
KIND_FILLS = {"conflict": "FFC000", "rejected": "FFC7CE", "proposal": "BDD7EE", "refused": "FF7C80"}
KIND_ORDER = {"refused": 0, "conflict": 1, "proposal": 2, "rejected": 3}
COUNT_WORDS = {
    "conflict": "conflict",
    "proposal": "proposal",
    "rejected": "rejected edit",
    "refused": "refused file",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def existing_audit_rows(grids: Mapping[str, Grid]) -> list[list[Any]]:
    """The Audit log's rows already in the master (below its header), as they are."""
    wanted = normalise_header(AUDIT_SHEET)
    grid = next((g for n, g in grids.items() if normalise_header(n) == wanted), None)
    if grid is None:
        return []
    rows = grid.values
    start = next((i + 1 for i, r in enumerate(rows[:10]) if r and normalise_header(r[0] or "") == "when"), 0)
    return [list(r[: len(AUDIT_COLUMNS)]) for r in rows[start:] if any(v not in (None, "") for v in r)]


def audit_sheet(
    existing: Sequence[Sequence[Any]], new: Sequence[Sequence[Any]], datetime_format: str = "dd/mm/yyyy hh:mm"
) -> GeneratedSheet:
    rows = [AUDIT_COLUMNS, *(list(r) for r in existing), *(list(r) for r in new)]
    return GeneratedSheet(
        AUDIT_SHEET,
        rows,
        header_row=1,
        widths={1: 16, 2: 36, 3: 20, 4: 30, 5: 14, 6: 8, 7: 16, 8: 18, 9: 40, 10: 40},
        wrap_columns={2, 9, 10},
        number_formats={1: datetime_format},
        tab_colour="7F7F7F",
    )


def _link(item: MergeItem) -> str | None:
    if not item.master_sheet or not item.master_cell:
        return None
    return f"#'{item.master_sheet}'!{item.master_cell}"


_NOTE_SHEET = re.compile(r"^Sheet '([^']+)'")


def _files_line(result: MergeResult) -> str:
    """'Returns merged: a.xlsx, b.xlsx; refused: c.xlsx. 5 changes applied; ...'"""
    parts = []
    for state, words in (
        ("merged", "Returns merged"),
        ("already merged", "already merged"),
        ("refused", "refused"),
    ):
        names = [o.file for o in result.outcomes if o.state == state]
        if names or state == "merged":
            parts.append(f"{words}: {', '.join(names) or 'none'}")
    counts = ", ".join(_plural(result.count(k), word) for k, word in COUNT_WORDS.items())
    return f"{'; '.join(parts)}. {_plural(result.count('applied'), 'change')} applied; {counts}."


def report_sheet(result: MergeResult) -> GeneratedSheet:
    items = sorted(result.to_look_at, key=lambda i: (KIND_ORDER.get(i.kind, 9), i.file, i.sheet))
    rows: list[list[Any]] = [
        [f"Merge report — {result.merged_at:%d/%m/%Y %H:%M}"],
        [_files_line(result)],
        [
            "Work through each line: a conflict or proposal needs your decision in the master "
            "(the link goes to the cell); a rejected edit was not applied; a refused file was not "
            "merged at all; a note is something odd in a return that is worth a look. "
            "Regenerated at each merge."
        ],
        REPORT_COLUMNS,
    ]
    fills: dict[tuple[int, int], str] = {}
    links: dict[tuple[int, int], str] = {}
    for r, item in enumerate(items, start=len(rows) + 1):
        cell = f"{item.master_sheet}!{item.master_cell}" if item.master_cell else (item.return_cell or None)
        rows.append(
            [
                KIND_WORDS.get(item.kind, item.kind),
                item.agency or None,
                item.file,
                item.sheet or None,
                cell,
                item.ref or None,
                item.column or None,
                item.issued or None,
                item.partner or None,
                item.master or None,
                item.message,
            ]
        )
        fills[(r, 1)] = KIND_FILLS.get(item.kind, "FFFFFF")
        link = _link(item)
        if link:
            links[(r, 5)] = link
    if not items:
        rows.append(["Nothing to look at: every change in the returns was applied."])
    for outcome in result.outcomes:
        for note in outcome.warnings:
            sheet = _NOTE_SHEET.match(note)
            rows.append(
                [NOTE_WORD, outcome.agency, outcome.file, sheet.group(1) if sheet else None]
                + [None] * 6
                + [note]
            )
            fills[(len(rows), 1)] = NOTE_FILL
    widths: dict[int, float] = {1: 13, 2: 26, 3: 30, 4: 13, 5: 16, 6: 14, 7: 16, 8: 22, 9: 26, 10: 22, 11: 60}
    wrap = {2, 3, 6, 8, 9, 10, 11}
    return GeneratedSheet(
        REPORT_SHEET,
        rows,
        header_row=4,
        title_rows=3,
        widths=widths,
        wrap_columns=wrap,
        row_heights=row_heights(rows, widths, wrap, header_row=4),  # not every program fits them
        fills=fills,
        links=links,
        tab_colour="C00000",
    )


def merge_changes(
    result: MergeResult,
    existing_audit: Sequence[Sequence[Any]],
    contacts: Mapping[str, tuple[str, str]],
    *,
    datetime_format: str = "dd/mm/yyyy hh:mm",
    date_format: str = "dd/mm/yyyy",
) -> Changes:
    """Everything the merge writes into the master: the cells, and the sheets above."""
    changes = Changes(cells=list(result.changes.cells))
    changes.sheets.append(audit_sheet(existing_audit, result.audit_rows, datetime_format))
    changes.sheets.append(report_sheet(result))
    changes.sheets.append(
        returns_sheet(result.statuses, result.merged_at, contacts, datetime_format, date_format)
    )
    changes.sheets.extend(s for s in book_sheets(result.book) if s.name != "_plantrack_issues")
    return changes
