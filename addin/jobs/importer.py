"""Import an existing plan: the action table a council already keeps -> a plantrack ``Plan``.

``import_plan(grids, rules, import_rules, as_of=...)`` is the job. It takes the
source workbook's sheets as grids (read through the guard by the adapter),
finds the action table (``import_map.find_table``), walks its rows and returns
an ``ImportResult``: the new plan and a report of what was mapped to what and
of every cell that needed a decision. ``import_report.report_sheet`` turns the
report into the "Import report" sheet. Nothing here touches a workbook.

How the rows are read (what a programme manager would do by hand):

- A row that starts an action has a ref (in the Ref column, or at the start of
  the action text: "1.1 All managers ..."). In a plan with no refs at all, a
  row with action text starts one. Other rows continue the action above:
  their text runs on (a cell split over two rows by a page break or a Word
  paste), their milestones are added.
- A row with only a numbered heading ("1. Assessments of children's needs ...")
  gives the following actions their theme when the plan has no Theme column
  (otherwise it is kept in a "Section" column). An "Outcome" row (and the
  rows under it) gives them their outcome when the plan has no Outcome column.
  A repeat of the header row (a table over several pages) is skipped.
- Blank cells in the fill-down columns (``fill_down`` in rules/import.toml) take
  the value above. Dates are read the UK way (``addin.dates``); a date cell
  that says "Ongoing" or "Completed." leaves the date empty and its words go
  into the progress update. The status is read from a Status column, else
  from the start of the progress text ("Completed:", "On track"), else it is
  "In progress" or "Not started" (reported).
- A Milestones cell with one milestone per line, beside Start / End cells with
  one date per line, gives one milestone per line with its own dates; the
  action runs from the first start to the last end.
- "(1) ... (2) ..." in one action cell gives one action per number, with refs
  from the row's ref or its recommendation ("S1.1", "S1.2").
- A ref used twice keeps the first; the second gets a letter ("9.3" -> "9.3a"),
  and the report says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..dates import DateReading, describe
from ..model import Action, Agency, Lead, Milestone, Plan, PlanInfo
from ..rules import RuleSet
from ..tables import Grid, as_percent, column_letter, is_blank
from . import import_cells as cells
from .import_map import MILESTONES, ImportRules, SourceColumn, SourceTable, find_table, is_header_like, known_headers

SHOWN_CHARS = 160  # how much of a cell's text a note quotes

_MARKING_WORDS = ("OFFICIAL-SENSITIVE", "OFFICIAL SENSITIVE", "OFFICIAL", "RESTRICTED", "PROTECT")


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


@dataclass
class ImportResult:
    """The imported plan and the import report."""

    plan: Plan
    source: str
    sheet: str
    header_row: int
    columns: list[SourceColumn]
    rows_read: int
    notes: list[ImportNote] = field(default_factory=list)
    sheets_looked_at: int = 1

    @property
    def attention(self) -> list[ImportNote]:
        return [n for n in self.notes if n.attention]

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``)."""
        return {
            "source": self.source,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "rows_read": self.rows_read,
            "actions": len(self.plan.actions),
            "milestones": len(self.plan.milestones),
            "leads": len(self.plan.leads),
            "agencies": len(self.plan.agencies),
            "columns": [
                {"column": c.letter, "header": c.header, "target": c.target, "kept_as": c.kept_as, "how": c.how}
                for c in self.columns
            ],
            "notes": [asdict(n) for n in self.notes],
            "needs_attention": self.needs_attention,
        }


def shown(value: Any) -> str | None:
    text = cells.one_line(value)
    if text is None:
        return None
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "\u2026"


# ------------------------------------------------------------ walking rows


@dataclass
class _Line:
    row: int  # Excel row
    cells: dict[int, Any]  # column index -> value (non-blank only)


@dataclass
class _Record:
    """The source rows of one action (before splitting numbered items)."""

    lines: list[_Line]
    ref: str | None
    ref_raw: Any = None
    action_text: str | None = None  # the first row's action text without its leading ref
    heading: cells.Heading | None = None
    outcome: str | None = None


@dataclass
class _Walk:
    records: list[_Record] = field(default_factory=list)
    title: str | None = None
    marking: str | None = None
    notes: list[ImportNote] = field(default_factory=list)
    repeated_headers: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class _Context:
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
    upper = text.upper()
    for word in _MARKING_WORDS:
        if word in upper and len(text) < 60:
            return "OFFICIAL-SENSITIVE" if word.startswith("OFFICIAL S") else word
    return None


def _context_row(ctx: _Context, text: str) -> bool:
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


def _walk_above(table: SourceTable, ctx: _Context, walk: _Walk) -> None:
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
        if single is not None and walk.title is None and not _marking(single[1]):
            walk.title = " ".join(single[1].split())
            continue
        walk.notes.append(ImportNote(
            "above_table", "Text above the table: not imported (it is kept here).", attention=False,
            row=index + 1, value=shown(" | ".join(texts)),
        ))


def _has_refs(table: SourceTable, by_target: Mapping[str, int]) -> bool:
    """Do most rows with action text carry a ref (in the Ref column or in the text)?"""
    ref_at, action_at = by_target.get("Ref"), by_target.get("Action")
    with_action = with_ref = 0
    for row in table.grid.values[table.header_index + 1:]:
        ref = cells.ref_text(row[ref_at]) if ref_at is not None and ref_at < len(row) else None
        text = cells.cell_text(row[action_at]) if action_at is not None and action_at < len(row) else None
        if ref or text:
            with_action += 1
        if ref or cells.leading_ref(text):
            with_ref += 1
    return with_action > 0 and with_ref * 2 >= with_action


def _walk_table(table: SourceTable, known: Mapping[str, str]) -> _Walk:
    walk = _Walk()
    ctx = _Context()
    _walk_above(table, ctx, walk)
    ctx.close()
    by_target = table.by_target()
    used_columns = {c.index for c in table.columns}
    ref_at, action_at = by_target.get("Ref"), by_target.get("Action")
    has_refs = _has_refs(table, by_target)
    current: _Record | None = None
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
        line = _Line(number, {i: v for i, v in enumerate(row) if i in used_columns and not is_blank(v)})
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
        starts_action = ref is not None or current is None or (not has_refs and bool(text) and not text[0].islower())
        if starts_action and ref is None and not text and current is None:
            walk.notes.append(ImportNote(
                "row_without_action", "A row before the first action, with no action or ref: not imported "
                "(its text is kept here).", row=number, value=shown(" | ".join(str(v) for v in line.cells.values())),
            ))
            continue
        if starts_action:
            current = _Record([line], ref, raw_ref, text, ctx.heading, ctx.outcome)
            walk.records.append(current)
            continue
        assert current is not None
        current.lines.append(line)
        walk.continued.append(number)
        if text and has_refs and not text[0].islower():
            walk.notes.append(ImportNote(
                "row_without_ref", "This row has action text but no ref: it was added to the action above. "
                "If it is an action of its own, give it a ref in the new tracker and move the text.",
                row=number, cell=f"{column_letter(action_at or 0)}{number}", value=shown(text),
            ))
    return walk


# ------------------------------------------------------ records -> actions


@dataclass
class _Draft:
    """One action being built, before refs are settled."""

    record: _Record
    first_row: int
    ref: str | None
    ref_how: str  # "source", "made", "split"
    values: dict[str, Any]
    extras: dict[str, Any]
    milestones: list[Milestone]
    progress_kept: list[str]
    split_index: int | None = None
    status_guessed: bool = False
    due_text: bool = False  # the source had something in its due date cells


class _Converter:
    def __init__(self, table: SourceTable, rules: RuleSet, import_rules: ImportRules, as_of: dt.date):
        self.table = table
        self.rules = rules
        self.import_rules = import_rules
        self.as_of = as_of
        self.by_target = table.by_target()
        self.column_of = {c.index: c for c in table.columns}
        self.actions_rule = rules.sheet("Actions")
        self.notes: list[ImportNote] = []
        self.last: dict[str, Any] = {}
        self.filled: dict[str, list[int]] = {}
        self.drafts: list[_Draft] = []
        self.unknown = import_rules.defaults.unknown

    # --- helpers
    def header(self, target: str) -> str:
        at = self.by_target.get(target)
        return self.column_of[at].header if at is not None else target

    def cell(self, target: str, row: int) -> str | None:
        at = self.by_target.get(target)
        return f"{column_letter(at)}{row}" if at is not None else None

    def note(self, code: str, message: str, *, attention: bool = True, row: int | None = None,
             target: str | None = None, value: Any = None, ref: str | None = None) -> None:
        self.notes.append(ImportNote(
            code, message, attention, row, self.cell(target, row) if target and row else None,
            self.header(target) if target else None, shown(value), ref,
        ))

    def pieces(self, record: _Record, target: str) -> list[tuple[int, Any]]:
        at = self.by_target.get(target)
        if at is None:
            return []
        return [(line.row, line.cells[at]) for line in record.lines if at in line.cells]

    def text_of(self, record: _Record, target: str, *, one_line: bool = False) -> str | None:
        pieces = self.pieces(record, target)
        if target == "Action" and record.action_text is not None:
            pieces = [(record.lines[0].row, record.action_text)] + [p for p in pieces if p[0] != record.lines[0].row]
        read = cells.one_line if one_line else cells.cell_text
        return cells.join_pieces([t for t in (read(v) for _, v in pieces) if t])

    # --- one record
    def convert(self, record: _Record) -> list[_Draft]:
        values: dict[str, Any] = {}
        kept: list[str] = []
        first = record.lines[0].row
        has_milestones = bool(self.pieces(record, MILESTONES))
        for column in self.actions_rule.columns:
            target = column.name
            if target not in self.by_target or target in ("Ref", "Status", "RAG", "% complete"):
                continue
            if column.type == "date":
                if has_milestones and target in ("Start date", "Due date"):
                    continue
                range_start, values[target] = self.read_dates(record, target, kept)
                if target == "Due date" and range_start is not None and not values.get("Start date"):
                    values["Start date"] = range_start
            elif target == "Lead officer":
                lead_pieces = self.pieces(record, target)
                if has_milestones:
                    lead_pieces = lead_pieces[:1]
                values[target] = cells.join_pieces([t for t in (cells.one_line(v) for _, v in lead_pieces) if t])
            else:
                values[target] = self.text_of(record, target, one_line=target in ("Lead agency", "Priority"))
        self.fill_down(record, values)
        extras = self.extras_of(record)
        if record.heading is not None and "Theme" in self.by_target:
            extras.setdefault("Section", record.heading.text)
        if not values.get("Theme") and record.heading is not None:
            values["Theme"] = record.heading.text
        if not values.get("Outcome") and record.outcome:
            values["Outcome"] = record.outcome
        self.read_percent(record, values, kept)
        self.read_rag(record, values, kept)
        status_text = self.text_of(record, "Status", one_line=True)
        draft = _Draft(record, first, record.ref, "source", values, extras, [], kept,
                       due_text=bool(self.pieces(record, "Due date")))
        if has_milestones:
            draft.milestones = self.milestones_of(record, values)
            starts = [m.start_date for m in draft.milestones if m.start_date]
            dues = [m.due_date for m in draft.milestones if m.due_date]
            values["Start date"] = min(starts) if starts else None
            values["Due date"] = max(dues) if dues else None
        drafts = self.split_numbered(draft)
        for d in drafts:
            self.settle_status(d, status_text)
        self.drafts.extend(drafts)
        return drafts

    def fill_down(self, record: _Record, values: dict[str, Any]) -> None:
        """Blank cells of the fill-down columns take the value above. A value that
        carries on from the one above ("Reduced number of referrals due to improved" /
        "preventative work", a merged cell cut by a page break) completes it, for the
        actions above too."""
        first = record.lines[0]
        for target in self.import_rules.fill_down:
            at = self.by_target.get(target)
            if at is None:
                continue
            value, above = values.get(target), self.last.get(target)
            if value and above and at not in first.cells and value[:1].islower():
                joined = cells.join_pieces([above, value]) or value
                for earlier in self.drafts:
                    if earlier.values.get(target) == above:
                        earlier.values[target] = joined
                values[target] = joined
                self.last[target] = joined
                self.filled.setdefault(target, []).append(first.row)
            elif value:
                self.last[target] = value
            elif above is not None:
                values[target] = above
                self.filled.setdefault(target, []).append(first.row)

    def extras_of(self, record: _Record) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        for column in self.table.kept():
            pieces = [line.cells[column.index] for line in record.lines if column.index in line.cells]
            if not pieces:
                continue
            if len(pieces) == 1 and not isinstance(pieces[0], str):
                extras[column.kept_as or column.header] = pieces[0]
            else:
                extras[column.kept_as or column.header] = cells.join_pieces(
                    [t for t in (cells.cell_text(p) for p in pieces) if t])
        return extras

    # --- dates
    def read_dates(self, record: _Record, target: str, kept: list[str]) -> tuple[dt.date | None, dt.date | None]:
        """(the start of a range, the date) read from a date column's cells; the words of
        cells that are not dates go into ``kept`` (the progress update)."""
        readings: list[tuple[int, Any, DateReading]] = []
        header = self.header(target)
        for row, value in self.pieces(record, target):
            found = [r for r in (cells.date_lines(value) if isinstance(value, str) else [cells.read_date(value)])
                     if r is not None]
            readings.extend((row, value, r) for r in found)
            unread = [r for r in found if r.end is None]
            if unread:  # the whole cell's words are kept, once
                kept.append(f"{header}: {cells.cell_text(value) or unread[0].text}")
                words = ("is ongoing, with no date" if all(r.kind == "ongoing" for r in unread)
                         else "is not a date")
                done = "the date was read from the rest" if len(unread) < len(found) else "the date was left empty"
                self.note("date_unreadable", f"{target}: the text {words}; {done} and the text kept in the "
                          "progress update.", row=row, target=target, value=value)
            elif any(r.rest for r in found) and isinstance(value, str):
                kept.append(f"{header}: {cells.cell_text(value)}")
                self.note("date_with_words", f"{target} read as {describe(found[-1].end)}; the whole text was "
                          "kept in the progress update.", attention=False, row=row, target=target, value=value)
        if not readings:
            return None, None
        good = [(row, value, r) for row, value, r in readings if r.end is not None]
        if not good:
            return None, None
        if target == "Start date":
            return None, min(d for d in (cells.first_day(r) for _, _, r in good) if d is not None)
        starts = [r.start for _, _, r in good if r.start is not None]
        if len(good) > 1:
            chosen = max(r.end for _, _, r in good if r.end)
            self.note("several_dates", f"{target}: several dates in the cell; took the latest, {describe(chosen)}.",
                      row=good[0][0], target=target, value="; ".join(r.text for _, _, r in good))
            return (min(starts) if starts else None), chosen
        return (starts[0] if starts else None), good[0][2].end

    # --- other typed cells
    def read_percent(self, record: _Record, values: dict[str, Any], kept: list[str]) -> None:
        pieces = self.pieces(record, "% complete")
        if not pieces:
            return
        row, value = pieces[0]
        number = as_percent(value)
        if number is None or not 0 <= number <= 100:
            kept.append(f"{self.header('% complete')}: {cells.cell_text(value)}")
            self.note("percent_unreadable", "% complete is not a number from 0 to 100: left empty, the text kept "
                      "in the progress update.", row=row, target="% complete", value=value)
            return
        values["% complete"] = number

    def read_rag(self, record: _Record, values: dict[str, Any], kept: list[str]) -> None:
        pieces = self.pieces(record, "RAG")
        if not pieces:
            return
        row, value = pieces[0]
        rag = self.import_rules.rag_of(cells.one_line(value))
        if rag is None:
            kept.append(f"{self.header('RAG')}: {cells.cell_text(value)}")
            self.note("rag_unreadable", "RAG not understood: left empty (plantrack rag works it out), the text "
                      "kept in the progress update.", row=row, target="RAG", value=value)
            return
        values["RAG"] = rag

    # --- milestones
    def milestones_of(self, record: _Record, values: dict[str, Any]) -> list[Milestone]:
        out: list[Milestone] = []
        ms_at = self.by_target[MILESTONES]
        start_at, end_at = self.by_target.get("Start date"), self.by_target.get("Due date")
        lead_at = self.by_target.get("Lead officer")
        for line in record.lines:
            items = cells.milestone_lines(line.cells.get(ms_at))
            starts = cells.date_lines(line.cells.get(start_at)) if start_at is not None else []
            ends = cells.date_lines(line.cells.get(end_at)) if end_at is not None else []
            if not items:
                if starts or ends:
                    self.note("dates_without_milestone", "Dates on a row with no milestone: not imported.",
                              row=line.row, target="Due date",
                              value=" / ".join(r.text for r in starts + ends))
                continue
            lead = cells.one_line(line.cells.get(lead_at)) if lead_at is not None else None
            start_list = self.pair(items, starts, "Start date", line.row)
            end_list = self.pair(items, ends, "Due date", line.row)
            for text, start, end in zip(items, start_list, end_list):
                words = []
                for label, reading in (("Start", start), ("End", end)):
                    if reading is not None and reading.end is None:
                        words.append(f"{label}: {reading.text.strip()}")
                        self.note("date_unreadable", f"Milestone {label.lower()} date is not a date: left empty, "
                                  "the text kept after the milestone.", row=line.row,
                                  target="Start date" if label == "Start" else "Due date", value=reading.text)
                out.append(Milestone(
                    action_ref="", milestone=f"{text} ({'; '.join(words)})" if words else text,
                    lead_officer=lead or values.get("Lead officer"),
                    start_date=cells.first_day(start) if start is not None else None,
                    due_date=end.end if end is not None else None,
                    row=line.row,
                ))
        return out

    def pair(self, items: list[str], readings: list[DateReading], target: str, row: int) -> list[DateReading | None]:
        """One date per milestone: line by line, or one date for them all."""
        n = len(items)
        if len(readings) == n:
            return list(readings)
        if len(readings) == 1:
            return list(readings) * n
        if not readings:
            return [None] * n
        label = "start dates" if target == "Start date" else "end dates"
        if len(readings) > n:
            what = (f"{n} milestone{'s' if n > 1 else ''} but {len(readings)} {label}: dates were given line by "
                    f"line and the last {len(readings) - n} not used; check them.")
        else:
            what = (f"{n} milestones but {len(readings)} {label}: the first {len(readings)} milestones got them "
                    "line by line, the others none; check them.")
        self.note("milestone_dates_mismatch", what, row=row, target=target,
                  value=" / ".join(r.text for r in readings))
        return [*readings[:n], *[None] * (n - len(readings))]

    # --- numbered actions in one cell
    def split_numbered(self, draft: _Draft) -> list[_Draft]:
        items = cells.numbered_items(draft.values.get("Action"))
        if not items:
            return [draft]
        n = len(items)
        drafts = []
        for k, item in enumerate(items, start=1):
            values = dict(draft.values)
            values["Action"] = item
            for target, value in draft.values.items():
                if target != "Action" and isinstance(value, str):
                    parts = cells.numbered_items(value)
                    if parts and len(parts) == n:
                        values[target] = parts[k - 1]
            drafts.append(_Draft(draft.record, draft.first_row, draft.ref, "split", values, dict(draft.extras),
                                 draft.milestones if k == 1 else [], list(draft.progress_kept), k,
                                 due_text=draft.due_text))
        self.note("split_numbered", f"{n} numbered actions in one cell: imported as {n} actions.",
                  attention=False, row=draft.first_row, target="Action", value=draft.values.get("Action"))
        return drafts

    # --- status
    def settle_status(self, draft: _Draft, status_text: str | None) -> None:
        values = draft.values
        progress = values.get("Progress update")
        status = None
        if status_text:
            status = next((s for s in self.rules.statuses.values if s.casefold() == status_text.casefold()), None)
            if status is None:
                found = self.import_rules.status_of(status_text)
                status = found[0] if found else None
                if found and found[1].casefold() != status_text.strip(" .").casefold():
                    draft.progress_kept.append(f"{self.header('Status')}: {status_text}")
            if status is None:
                draft.progress_kept.append(f"{self.header('Status')}: {status_text}")
                self.note("status_unreadable", "Status not understood: the text was kept in the progress update "
                          "and a status was set from the dates.", row=draft.first_row, target="Status",
                          value=status_text)
        if status is None:
            for text in [progress, *[k.split(": ", 1)[-1] for k in draft.progress_kept]]:
                found = self.import_rules.status_of(text)
                if found:
                    status = found[0]
                    break
        if status is None:
            start = values.get("Start date")
            started = (start is not None and start <= self.as_of) or bool(progress)
            status = self.import_rules.defaults.started if started else self.import_rules.defaults.not_started
            draft.status_guessed = True
        values["Status"] = status
        for m in draft.milestones:
            if self.rules.is_done(status) or self.rules.is_cancelled(status):
                m.status = status
            else:
                begun = m.start_date or m.due_date
                m.status = (self.import_rules.defaults.started if begun is None or begun <= self.as_of
                            else self.import_rules.defaults.not_started)
        if draft.progress_kept:
            joined = "\n".join(draft.progress_kept)
            values["Progress update"] = f"{progress}\n{joined}" if progress else joined


# ------------------------------------------------------------------ refs


def _settle_refs(drafts: list[_Draft], converter: _Converter) -> None:
    """Give every action a ref that is its own: made-up refs for rows without one,
    item numbers for split cells, a letter for a ref used twice."""
    taken: set[str] = set()
    counters: dict[str, int] = {}

    def free(base: str) -> str:
        k = counters.get(base, 0)
        while True:
            k += 1
            candidate = f"{base}.{k}" if base else str(k)
            if candidate not in taken:
                counters[base] = k
                return candidate

    made: list[str] = []
    previous: str | None = None
    for draft in drafts:
        values = draft.values
        if draft.split_index is not None:
            base = draft.ref or cells.recommendation_id(values.get("Recommendation")) or (
                draft.record.heading.number if draft.record.heading else "") or ""
            if draft.ref is not None or cells.recommendation_id(values.get("Recommendation")):
                draft.ref = f"{base}.{draft.split_index}"
            else:
                draft.ref = free(base)
        elif draft.ref is None:
            base = cells.recommendation_id(values.get("Recommendation")) or (
                draft.record.heading.number if draft.record.heading else "") or ""
            draft.ref = free(base)
            draft.ref_how = "made"
            made.append(draft.ref)
        ref = draft.ref
        if ref in taken:
            renamed = _renamed(ref, draft.record.ref_raw, previous, taken)
            converter.note("ref_duplicate", f"The ref {ref} is used twice: this one was renamed {renamed} "
                           "(the first keeps {ref}). Check which is which.".replace("{ref}", ref),
                           row=draft.first_row, target="Ref" if "Ref" in converter.by_target else "Action",
                           value=ref, ref=renamed)
            draft.ref = ref = renamed
        taken.add(ref)
        previous = ref
    if made:
        shown_refs = ", ".join(made[:12]) + (" ..." if len(made) > 12 else "")
        converter.note("ref_made_up", f"{len(made)} actions had no ref; they were numbered in order ({shown_refs}). "
                       "Change them to your own refs if you have them.")


def _renamed(ref: str, raw: Any, previous: str | None, taken: set[str]) -> str:
    """A free ref for a second use of ``ref``: ``1.10`` for a ``1.1`` typed as a number
    after ``1.9``, else ``ref`` with the next letter (``9.3a``)."""
    if isinstance(raw, float) and previous and previous.rsplit(".", 1)[-1] == "9" and f"{ref}0" not in taken:
        return f"{ref}0"
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if f"{ref}{letter}" not in taken:
            return f"{ref}{letter}"
    k = 2
    while f"{ref}-{k}" in taken:
        k += 1
    return f"{ref}-{k}"


# ------------------------------------------------------------------- job


def import_plan(
    grids: Mapping[str, Grid],
    rules: RuleSet,
    import_rules: ImportRules,
    *,
    as_of: dt.date,
    sheet: str | None = None,
    overrides: Sequence[tuple[str, str]] = (),
    source: str | Path = "",
) -> ImportResult:
    """Read the action table among ``grids`` into a new ``Plan`` and an import report.

    ``overrides`` are ``--map`` pairs (source header, tracker column). Raises
    ``UnusableWorkbook`` when no action table can be found.
    """
    path = Path(source) if source else None
    known = known_headers(import_rules, rules, overrides)
    table = find_table(grids, import_rules, rules, sheet=sheet, overrides=overrides, path=path)
    walk = _walk_table(table, known)
    converter = _Converter(table, rules, import_rules, as_of)
    drafts = [d for record in walk.records for d in converter.convert(record)]
    _settle_refs(drafts, converter)
    actions, milestones = _build_actions(drafts, converter)
    leads, agencies = _leads_and_agencies(actions, milestones, converter)
    title = walk.title or _title_from(table.sheet, path)
    info = PlanInfo(title=title, report_date=as_of, protective_marking=walk.marking)
    info.extra = {"Imported from": f"{path.name if path else 'source'}, sheet '{table.sheet}', header on row "
                                   f"{table.header_row}"}
    plan = Plan(info=info, actions=actions, milestones=milestones, leads=leads, agencies=agencies)
    ref_of_row = {}
    for draft in drafts:
        for line in draft.record.lines:
            ref_of_row.setdefault(line.row, draft.ref)
    row_notes = [replace(n, ref=ref_of_row.get(n.row)) if n.ref is None and n.row else n for n in converter.notes]
    notes = _summary_notes(table, walk, converter, drafts, path) + walk.notes + row_notes
    notes.sort(key=lambda n: (n.row is not None, n.row or 0))
    return ImportResult(plan, path.name if path else "", table.sheet, table.header_row, table.columns,
                        walk.rows_read, notes, table.sheets_looked_at)


def _title_from(sheet: str, path: Path | None) -> str:
    generic = sheet.casefold().replace(" ", "") in {"sheet1", "sheet", "table1", "data", "actions"}
    if not generic:
        return sheet
    if path is not None:
        return path.stem.replace("_", " ").replace("-", " ").strip() or "Improvement plan"
    return "Improvement plan"


def _build_actions(drafts: list[_Draft], converter: _Converter) -> tuple[list[Action], list[Milestone]]:
    actions: list[Action] = []
    milestones: list[Milestone] = []
    guessed: list[str] = []
    rule = converter.actions_rule
    for draft in drafts:
        values = draft.values
        if draft.status_guessed:
            guessed.append(draft.ref or "")
        data: dict[str, Any] = {"ref": draft.ref, "row": None, "extra": draft.extras}
        for target, value in values.items():
            data[rule.column(target).field] = value
        for target in ("Theme", "Lead officer", "Lead agency"):
            if not data.get(rule.column(target).field):
                data[rule.column(target).field] = converter.unknown
                if target in converter.by_target:
                    converter.note(f"{rule.column(target).field}_missing", f"No {target.lower()}: set to "
                                   f"'{converter.unknown}'.", row=draft.first_row, target=target, ref=draft.ref)
        if not data.get("action"):
            converter.note("action_missing", "This action has no text.", row=draft.first_row,
                           target="Action", ref=draft.ref)
        if data.get("due_date") is None and not draft.due_text and not converter.rules.is_done(data.get("status")):
            converter.note("due_missing", "No due date could be read: fill one in.", row=draft.first_row,
                           target="Due date", ref=draft.ref)
        actions.append(Action.model_validate(data))
        for m in draft.milestones:
            m.action_ref = draft.ref or ""
            milestones.append(m)
    done = [a.ref for a in actions if converter.rules.is_done(a.status) and a.completed_date is None]
    if done:
        listed = ", ".join(done[:15]) + (" ..." if len(done) > 15 else "")
        converter.note("done_without_date", f"{len(done)} actions are completed in the source but no completed "
                       f"date was given ({listed}): put in the dates (and the evidence), or plantrack validate "
                       "will ask for them.")
    if guessed:
        started = converter.import_rules.defaults.started
        listed = ", ".join(guessed[:15]) + (" ..." if len(guessed) > 15 else "")
        converter.note("status_guessed", f"{len(guessed)} actions had no status in the source ({listed}): set to "
                       f"'{started}' where work had started or there is a progress update, else "
                       f"'{converter.import_rules.defaults.not_started}'. Check them.")
    return actions, milestones


def _leads_and_agencies(actions: list[Action], milestones: list[Milestone],
                        converter: _Converter) -> tuple[list[Lead], list[Agency]]:
    unknown = converter.unknown
    agency_names: list[str] = []
    for action in actions:
        if action.lead_agency and action.lead_agency not in agency_names:
            agency_names.append(action.lead_agency)
    lead_agency: dict[str, str] = {}
    for action in actions:
        if action.lead_officer:
            lead_agency.setdefault(action.lead_officer, action.lead_agency or unknown)
    for m in milestones:
        if m.lead_officer and m.lead_officer not in lead_agency:
            owner = next((a for a in actions if a.ref == m.action_ref), None)
            lead_agency[m.lead_officer] = (owner.lead_agency if owner else None) or unknown
    if unknown in lead_agency.values() and unknown not in agency_names:
        agency_names.append(unknown)
    if unknown in agency_names and "Lead agency" in converter.by_target:
        converter.note("agency_unknown", f"The lead agency of some actions or leads is not known: they are "
                       f"under '{unknown}' on the Agencies sheet. Put in the real agency before issuing "
                       "partner copies.")
    leads = [Lead(name=name, agency=agency) for name, agency in lead_agency.items()]
    agencies = [Agency(agency=name) for name in agency_names]
    return leads, agencies


def _summary_notes(table: SourceTable, walk: _Walk, converter: _Converter, drafts: list[_Draft],
                   path: Path | None) -> list[ImportNote]:
    notes = []
    if table.sheets_looked_at > 1:
        notes.append(ImportNote("sheet_chosen", f"Read sheet '{table.sheet}': of the {table.sheets_looked_at} "
                                "sheets, its table looks most like an action plan (use --sheet to choose "
                                "another).", attention=False))
    for column in table.columns:
        if column.target is None:
            notes.append(ImportNote("column_kept", f"Not a tracker column: kept as the extra column "
                                    f"'{column.kept_as}' of the Actions sheet.", attention=False,
                                    cell=f"{column.letter}{table.header_row}", column=column.header or None))
    unknown = converter.unknown
    if "Lead officer" not in converter.by_target:
        notes.append(ImportNote("no_lead_officer_column", f"The source has no lead officer column: every action's "
                                f"lead officer is '{unknown}'. Put in the real leads (and add them to the Leads "
                                "sheet)."))
    if "Lead agency" not in converter.by_target:
        notes.append(ImportNote("no_lead_agency_column", f"The source has no lead agency column: every action's "
                                f"lead agency, and every lead's agency, is '{unknown}' (on the Agencies sheet). "
                                "Put in the real agencies before issuing partner copies."))
    if "Theme" not in converter.by_target and not all(d.record.heading for d in drafts):
        notes.append(ImportNote("no_theme_column", f"The source has no theme column (nor numbered headings): "
                                f"actions without a theme have '{unknown}'."))
    if "Due date" not in converter.by_target:
        notes.append(ImportNote("no_due_date_column", "The source has no due date column: every action needs "
                                "a due date filled in."))
    for target, rows in converter.filled.items():
        listed = ", ".join(str(r) for r in rows[:20]) + (" ..." if len(rows) > 20 else "")
        notes.append(ImportNote("filled_down", f"{target}: {len(rows)} blank cells took the value above "
                                f"(rows {listed}).", attention=False, column=converter.header(target)))
    if walk.repeated_headers:
        notes.append(ImportNote("header_repeated", f"The header row is repeated on rows "
                                f"{', '.join(map(str, walk.repeated_headers))}: skipped.", attention=False))
    if walk.continued:
        listed = ", ".join(map(str, walk.continued[:20])) + (" ..." if len(walk.continued) > 20 else "")
        notes.append(ImportNote("rows_continued", f"{len(walk.continued)} rows carry on the action above "
                                f"(more text or milestones, no ref of their own): rows {listed}.",
                                attention=False))
    _ = path
    return notes
