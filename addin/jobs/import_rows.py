"""Import, part 2: walking the rows of a council's action table.

Which rows start an action, which carry on the one above (text cut by a page
break or a Word paste, more milestones), which are headings, "Outcome" rows or
a repeat of the header. The result is a list of records, one per action, each
holding its source rows; ``importer`` turns them into actions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..tables import column_letter, is_blank
from . import import_cells as cells
from .import_map import SourceTable, is_header_like

SHOWN_CHARS = 160  # how much of a cell's text a note quotes

_MARKING = re.compile(r"\b(OFFICIAL(?:[-\s]SENSITIVE)?|RESTRICTED|PROTECT(?:ED)?)\b")  # in capitals only


@dataclass(frozen=True)
class ImportNote:
    """One thing the import decided. ``attention`` notes are for the user to check."""

    code: str
    message: str
    attention: bool = True
    row: int | None = None  # the source's Excel row
    cell: str | None = None  # e.g. "B12" on the source sheet
    column: str | None = None  # the source header
    value: str | None = None  # the source value, shortened
    ref: str | None = None  # the action it concerns, in the new tracker


def shown(value: Any) -> str | None:
    text = cells.one_line(value)
    if text is None:
        return None
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "\u2026"


# ------------------------------------------------------------ walking rows


@dataclass
class Line:
    row: int  # Excel row
    cells: dict[int, Any]  # column index -> value (non-blank only)


@dataclass
class Record:
    """The source rows of one action (before splitting numbered items)."""

    lines: list[Line]
    ref: str | None
    ref_raw: Any = None
    action_text: str | None = None  # the first row's action text without its leading ref
    heading: cells.Heading | None = None
    outcome: str | None = None


@dataclass
class Walk:
    records: list[Record] = field(default_factory=list)
    title: str | None = None
    marking: str | None = None
    notes: list[ImportNote] = field(default_factory=list)
    repeated_headers: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class Context:
    heading: cells.Heading | None = None
    heading_open: bool = False
    outcome: str | None = None
    outcome_mode: bool = False

    def new_heading(self, found: cells.Heading) -> None:
        self.heading, self.heading_open, self.outcome, self.outcome_mode = found, True, None, False

    def take_outcome(self, text: str) -> None:
        self.outcome = f"{self.outcome}\n{text}" if self.outcome else text

    def close(self) -> None:
        self.heading_open = self.outcome_mode = False


def _single_text(row: Sequence[Any]) -> tuple[int, str] | None:
    """(column, text) when a row holds exactly one non-blank cell and it is text."""
    filled = [(i, v) for i, v in enumerate(row) if not is_blank(v)]
    if len(filled) != 1 or not isinstance(filled[0][1], str):
        return None
    text = cells.cell_text(filled[0][1])
    return (filled[0][0], text) if text else None


def _marking(text: str) -> str | None:
    """The protective marking a short line in capitals names ("OFFICIAL-SENSITIVE"), or None."""
    m = _MARKING.search(text)
    if m is None or len(text) > 60:
        return None
    return re.sub(r"\s+", "-", m.group(1))


def _context_row(ctx: Context, text: str) -> bool:
    """Headings, Outcome rows and what runs on from them; True when the row was one."""
    found = cells.heading(text)
    if found is not None:
        ctx.new_heading(found)
        return True
    outcome = cells.outcome_label(text)
    if outcome is not None:
        ctx.outcome, ctx.outcome_mode, ctx.heading_open = (outcome or None), True, False
        return True
    if ctx.outcome_mode:
        ctx.take_outcome("\n".join(cells.milestone_lines(text)) or text)
        return True
    if ctx.heading_open and ctx.heading is not None and text[:1].islower():
        ctx.heading = cells.Heading(f"{ctx.heading.text} {' '.join(text.split())}", ctx.heading.number)
        return True
    return False


def _walk_above(table: SourceTable, ctx: Context, walk: Walk) -> None:
    """Rows above the header: the title, headings and outcomes; other text is reported."""
    for index in range(table.header_index):
        row = table.grid.values[index]
        if all(is_blank(v) for v in row):
            continue
        single = _single_text(row)
        texts = [t for t in (cells.one_line(v) for v in row) if t]
        for text in texts:
            walk.marking = walk.marking or _marking(text)
        if single is not None and _context_row(ctx, single[1]):
            continue
        ctx.close()
        if single is not None and _marking(single[1]):
            continue
        if single is not None and walk.title is None:
            walk.title = " ".join(single[1].split())
            continue
        walk.notes.append(
            ImportNote(
                "above_table",
                "Text above the table: not imported (it is kept here).",
                attention=False,
                row=index + 1,
                value=shown(" | ".join(texts)),
            )
        )


def _has_refs(table: SourceTable, by_target: Mapping[str, int]) -> bool:
    """Do most rows with action text carry a ref (in the Ref column or in the text)?"""
    ref_at, action_at = by_target.get("Ref"), by_target.get("Action")
    with_action = with_ref = 0
    for row in table.grid.values[table.header_index + 1 :]:
        ref = cells.ref_text(row[ref_at]) if ref_at is not None and ref_at < len(row) else None
        text = cells.cell_text(row[action_at]) if action_at is not None and action_at < len(row) else None
        if ref or text:
            with_action += 1
        if ref or cells.leading_ref(text):
            with_ref += 1
    return with_action > 0 and with_ref * 2 >= with_action


def walk_table(table: SourceTable, known: Mapping[str, str]) -> Walk:
    walk = Walk()
    ctx = Context()
    _walk_above(table, ctx, walk)
    ctx.close()
    by_target = table.by_target()
    used_columns = {c.index for c in table.columns}
    ref_at, action_at = by_target.get("Ref"), by_target.get("Action")
    has_refs = _has_refs(table, by_target)
    current: Record | None = None
    for index in range(table.header_index + 1, len(table.grid.values)):
        row = table.grid.values[index]
        number = index + 1
        if all(is_blank(v) for v in row):
            continue
        if is_header_like(row, known):
            walk.repeated_headers.append(number)
            ctx.close()
            continue
        single = _single_text(row)
        if single is not None and _context_row(ctx, single[1]):
            continue
        ctx.close()
        line = Line(number, {i: v for i, v in enumerate(row) if i in used_columns and not is_blank(v)})
        if not line.cells:
            continue
        walk.rows_read += 1
        raw_ref = row[ref_at] if ref_at is not None and ref_at < len(row) else None
        ref = cells.ref_text(raw_ref)
        text = cells.cell_text(line.cells.get(action_at)) if action_at is not None else None
        if ref is None and text:
            found = cells.leading_ref(text)
            if found:
                ref, text = found
                raw_ref = None
        new_text = text is not None and not text[0].islower()
        starts_action = ref is not None or current is None or (not has_refs and new_text)
        if starts_action and ref is None and not text and current is None:
            walk.notes.append(
                ImportNote(
                    "row_without_action",
                    "A row before the first action, with no action or ref: not imported "
                    "(its text is kept here).",
                    row=number,
                    value=shown(" | ".join(str(v) for v in line.cells.values())),
                )
            )
            continue
        if starts_action:
            current = Record([line], ref, raw_ref, text, ctx.heading, ctx.outcome)
            walk.records.append(current)
            continue
        assert current is not None
        current.lines.append(line)
        walk.continued.append(number)
        if text and has_refs and not text[0].islower():
            walk.notes.append(
                ImportNote(
                    "row_without_ref",
                    "This row has action text but no ref: it was added to the action above. "
                    "If it is an action of its own, give it a ref in the new tracker and move the text.",
                    row=number,
                    cell=f"{column_letter(action_at or 0)}{number}",
                    value=shown(text),
                )
            )
    return walk
