"""Import, part 3: the rows of one action (a ``Record``) -> the action's values and milestones.

``Converter.convert`` reads each kind of cell the way a programme manager would
(dates the UK way, a status from the progress text, one milestone per line with
its own dates, numbered actions split) and notes every decision;
``settle_refs`` makes every ref unique. ``importer.import_plan`` runs them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..dates import DateReading, describe
from ..model import Milestone
from ..rules import RuleSet
from ..tables import as_number, column_letter
from . import import_cells as cells
from .import_map import MILESTONES, ImportRules, SourceTable
from .import_rows import ImportNote, Record, shown

# ------------------------------------------------------ records -> actions


@dataclass
class Draft:
    """One action being built, before refs are settled."""

    record: Record
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


class Converter:
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
        self.drafts: list[Draft] = []
        self.unknown = import_rules.defaults.unknown
        self.field_of = {c.name: c.field for c in self.actions_rule.columns}
        self._fractions: bool | None = None

    # --- helpers
    def header(self, target: str) -> str:
        at = self.by_target.get(target)
        return self.column_of[at].header if at is not None else target

    def cell(self, target: str, row: int) -> str | None:
        at = self.by_target.get(target)
        return f"{column_letter(at)}{row}" if at is not None else None

    def note(
        self,
        code: str,
        message: str,
        *,
        attention: bool = True,
        row: int | None = None,
        target: str | None = None,
        value: Any = None,
        ref: str | None = None,
    ) -> None:
        self.notes.append(
            ImportNote(
                code,
                message,
                attention,
                row,
                self.cell(target, row) if target and row else None,
                self.header(target) if target else None,
                shown(value),
                ref,
            )
        )

    def pieces(self, record: Record, target: str) -> list[tuple[int, Any]]:
        at = self.by_target.get(target)
        if at is None:
            return []
        return [(line.row, line.cells[at]) for line in record.lines if at in line.cells]

    def text_of(self, record: Record, target: str, *, one_line: bool = False) -> str | None:
        pieces = self.pieces(record, target)
        if target == "Action" and record.action_text is not None:
            pieces = [(record.lines[0].row, record.action_text)] + [
                p for p in pieces if p[0] != record.lines[0].row
            ]
        read = cells.one_line if one_line else cells.cell_text
        return cells.join_pieces([t for t in (read(v) for _, v in pieces) if t])

    # --- one record
    def convert(self, record: Record) -> list[Draft]:
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
                values[target] = cells.join_pieces(
                    [t for t in (cells.one_line(v) for _, v in lead_pieces) if t]
                )
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
        draft = Draft(
            record,
            first,
            record.ref,
            "source",
            values,
            extras,
            [],
            kept,
            due_text=bool(self.pieces(record, "Due date")),
        )
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

    def fill_down(self, record: Record, values: dict[str, Any]) -> None:
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

    def extras_of(self, record: Record) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        for column in self.table.kept():
            pieces = [line.cells[column.index] for line in record.lines if column.index in line.cells]
            if not pieces:
                continue
            if len(pieces) == 1 and not isinstance(pieces[0], str):
                extras[column.kept_as or column.header] = pieces[0]
            else:
                extras[column.kept_as or column.header] = cells.join_pieces(
                    [t for t in (cells.cell_text(p) for p in pieces) if t]
                )
        return extras

    # --- dates
    def read_dates(
        self, record: Record, target: str, kept: list[str]
    ) -> tuple[dt.date | None, dt.date | None]:
        """(the start of a range, the date) read from a date column's cells; the words of
        cells that are not dates go into ``kept`` (the progress update)."""
        readings: list[tuple[int, Any, DateReading]] = []
        header = self.header(target)
        for row, value in self.pieces(record, target):
            found = [
                r
                for r in (cells.date_lines(value) if isinstance(value, str) else [cells.read_date(value)])
                if r is not None
            ]
            readings.extend((row, value, r) for r in found)
            unread = [r for r in found if r.end is None]
            if unread:  # the whole cell's words are kept, once
                kept.append(f"{header}: {cells.cell_text(value) or unread[0].text}")
                words = (
                    "is ongoing, with no date"
                    if all(r.kind == "ongoing" for r in unread)
                    else "is not a date"
                )
                done = (
                    "the date was read from the rest"
                    if len(unread) < len(found)
                    else "the date was left empty"
                )
                self.note(
                    "date_unreadable",
                    f"{target}: the text {words}; {done} and the text kept in the progress update.",
                    row=row,
                    target=target,
                    value=value,
                )
            elif any(r.rest for r in found) and isinstance(value, str):
                kept.append(f"{header}: {cells.cell_text(value)}")
                read_as = max(r.end for r in found if r.end is not None)
                self.note(
                    "date_with_words",
                    f"{target} read as {describe(read_as)}; the whole text was kept in the progress update.",
                    attention=False,
                    row=row,
                    target=target,
                    value=value,
                )
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
            self.note(
                "several_dates",
                f"{target}: several dates in the cell; took the latest, {describe(chosen)}.",
                row=good[0][0],
                target=target,
                value="; ".join(r.text for _, _, r in good),
            )
            return (min(starts) if starts else None), chosen
        return (starts[0] if starts else None), good[0][2].end

    # --- other typed cells
    def read_percent(self, record: Record, values: dict[str, Any], kept: list[str]) -> None:
        pieces = self.pieces(record, "% complete")
        if not pieces:
            return
        row, value = pieces[0]
        number = as_number(value)
        if number is not None and self.percent_as_fractions() and not isinstance(value, str):
            number = round(number * 100, 6)  # a cell formatted as a percentage: 1 is 100%
        if number is None or not 0 <= number <= 100:
            kept.append(f"{self.header('% complete')}: {cells.cell_text(value)}")
            self.note(
                "percent_unreadable",
                "% complete is not a number from 0 to 100: left empty, the text kept in the progress update.",
                row=row,
                target="% complete",
                value=value,
            )
            return
        values["% complete"] = number

    def percent_as_fractions(self) -> bool:
        """Is the % complete column formatted as percentages (every number from 0 to 1)?"""
        if self._fractions is None:
            at = self.by_target.get("% complete")
            numbers = [
                v
                for row in self.table.grid.values[self.table.header_index + 1 :]
                if at is not None and at < len(row)
                for v in [row[at]]
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            self._fractions = bool(numbers) and all(0 <= v <= 1 for v in numbers)
        return self._fractions

    def read_rag(self, record: Record, values: dict[str, Any], kept: list[str]) -> None:
        pieces = self.pieces(record, "RAG")
        if not pieces:
            return
        row, value = pieces[0]
        rag = self.import_rules.rag_of(cells.one_line(value))
        if rag is None:
            kept.append(f"{self.header('RAG')}: {cells.cell_text(value)}")
            self.note(
                "rag_unreadable",
                "RAG not understood: left empty (plantrack rag works it out), the text "
                "kept in the progress update.",
                row=row,
                target="RAG",
                value=value,
            )
            return
        values["RAG"] = rag

    # --- milestones
    def milestones_of(self, record: Record, values: dict[str, Any]) -> list[Milestone]:
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
                    self.note(
                        "dates_without_milestone",
                        "Dates on a row with no milestone: not imported.",
                        row=line.row,
                        target="Due date",
                        value=" / ".join(r.text for r in starts + ends),
                    )
                continue
            lead = cells.one_line(line.cells.get(lead_at)) if lead_at is not None else None
            start_list = self.pair(items, starts, "Start date", line.row)
            end_list = self.pair(items, ends, "Due date", line.row)
            for text, start, end in zip(items, start_list, end_list):
                words = []
                for label, reading in (("Start", start), ("End", end)):
                    if reading is not None and reading.end is None:
                        words.append(f"{label}: {reading.text.strip()}")
                        self.note(
                            "date_unreadable",
                            f"Milestone {label.lower()} date is not a date: left empty, "
                            "the text kept after the milestone.",
                            row=line.row,
                            target="Start date" if label == "Start" else "Due date",
                            value=reading.text,
                        )
                out.append(
                    Milestone(
                        action_ref="",
                        milestone=f"{text} ({'; '.join(words)})" if words else text,
                        lead_officer=lead or values.get("Lead officer"),
                        start_date=cells.first_day(start) if start is not None else None,
                        due_date=end.end if end is not None else None,
                        row=line.row,
                    )
                )
        return out

    def pair(
        self, items: list[str], readings: list[DateReading], target: str, row: int
    ) -> list[DateReading | None]:
        """One date per milestone: line by line, or one date for them all."""
        n = len(items)
        paired: list[DateReading | None] = list(readings)
        if len(readings) == n:
            return paired
        if len(readings) == 1:
            return paired * n
        if not readings:
            return [None] * n
        label = "start dates" if target == "Start date" else "end dates"
        if len(readings) > n:
            what = (
                f"{n} milestone{'s' if n > 1 else ''} but {len(readings)} {label}: dates were given line by "
                f"line and the last {len(readings) - n} not used; check them."
            )
        else:
            what = (
                f"{n} milestones but {len(readings)} {label}: the first {len(readings)} milestones got them "
                "line by line, the others none; check them."
            )
        self.note(
            "milestone_dates_mismatch",
            what,
            row=row,
            target=target,
            value=" / ".join(r.text for r in readings),
        )
        return [*readings[:n], *[None] * (n - len(readings))]

    # --- numbered actions in one cell
    def split_numbered(self, draft: Draft) -> list[Draft]:
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
            drafts.append(
                Draft(
                    draft.record,
                    draft.first_row,
                    draft.ref,
                    "split",
                    values,
                    dict(draft.extras),
                    draft.milestones if k == 1 else [],
                    list(draft.progress_kept),
                    k,
                    due_text=draft.due_text,
                )
            )
        self.note(
            "split_numbered",
            f"{n} numbered actions in one cell: imported as {n} actions.",
            attention=False,
            row=draft.first_row,
            target="Action",
            value=draft.values.get("Action"),
        )
        return drafts

    # --- status
    def settle_status(self, draft: Draft, status_text: str | None) -> None:
        values = draft.values
        progress = values.get("Progress update")
        status = None
        if status_text:
            status = next(
                (s for s in self.rules.statuses.values if s.casefold() == status_text.casefold()), None
            )
            if status is None:
                found = self.import_rules.status_of(status_text)
                status = found[0] if found else None
                if found and found[1].casefold() != status_text.strip(" .").casefold():
                    draft.progress_kept.append(f"{self.header('Status')}: {status_text}")
            if status is None:
                draft.progress_kept.append(f"{self.header('Status')}: {status_text}")
                self.note(
                    "status_unreadable",
                    "Status not understood: the text was kept in the progress update "
                    "and a status was set from the dates.",
                    row=draft.first_row,
                    target="Status",
                    value=status_text,
                )
        if status is None:
            for text in [progress, *[k.split(": ", 1)[-1] for k in draft.progress_kept]]:
                found = self.import_rules.status_of(text)
                if found:
                    status = found[0]
                    break
        if status is None:
            start, percent = values.get("Start date"), values.get("% complete") or 0
            started = (start is not None and start <= self.as_of) or bool(progress) or percent > 0
            status = self.import_rules.defaults.started if started else self.import_rules.defaults.not_started
            draft.status_guessed = True
        values["Status"] = status
        for m in draft.milestones:
            if self.rules.is_done(status) or self.rules.is_cancelled(status):
                m.status = status
            else:
                begun = m.start_date or m.due_date
                m.status = (
                    self.import_rules.defaults.started
                    if begun is None or begun <= self.as_of
                    else self.import_rules.defaults.not_started
                )
        if draft.progress_kept:
            joined = "\n".join(draft.progress_kept)
            values["Progress update"] = f"{progress}\n{joined}" if progress else joined


# ------------------------------------------------------------------ refs


def settle_refs(drafts: list[Draft], converter: Converter) -> None:
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
            base = (
                draft.ref
                or cells.recommendation_id(values.get("Recommendation"))
                or (draft.record.heading.number if draft.record.heading else "")
                or ""
            )
            if draft.ref is not None or cells.recommendation_id(values.get("Recommendation")):
                draft.ref = f"{base}.{draft.split_index}"
            else:
                draft.ref = free(base)
        elif draft.ref is None:
            base = (
                cells.recommendation_id(values.get("Recommendation"))
                or (draft.record.heading.number if draft.record.heading else "")
                or ""
            )
            draft.ref = free(base)
            draft.ref_how = "made"
            made.append(draft.ref)
        ref = draft.ref
        lost_zero = _lost_zero(ref, draft.record.ref_raw, previous)
        if lost_zero is not None and lost_zero not in taken:
            converter.note(
                "ref_number",
                f"The ref was typed as a number, which Excel shows as {ref}; after {previous} it was read as "
                f"{lost_zero}. Check it.",
                row=draft.first_row,
                target="Ref",
                value=ref,
                ref=lost_zero,
            )
            draft.ref = ref = lost_zero
        if ref in taken:
            renamed = _renamed(ref, taken)
            converter.note(
                "ref_duplicate",
                f"The ref {ref} is used twice: this one was renamed {renamed} "
                "(the first keeps {ref}). Check which is which.".replace("{ref}", ref),
                row=draft.first_row,
                target="Ref" if "Ref" in converter.by_target else "Action",
                value=ref,
                ref=renamed,
            )
            draft.ref = ref = renamed
        taken.add(ref)
        previous = ref
    if made:
        shown_refs = ", ".join(made[:12]) + (" ..." if len(made) > 12 else "")
        converter.note(
            "ref_made_up",
            f"{len(made)} actions had no ref; they were numbered in order ({shown_refs}). "
            "Change them to your own refs if you have them.",
        )


def _lost_zero(ref: str | None, raw: Any, previous: str | None) -> str | None:
    """``1.10`` typed as a number shows as ``1.1``: after ``1.9`` it is read as ``1.10``."""
    if not isinstance(raw, float) or not ref or not previous or "." not in ref or "." not in previous:
        return None
    major, minor = ref.rsplit(".", 1)
    before_major, before_minor = previous.rsplit(".", 1)
    if major != before_major or not (minor.isdigit() and before_minor.isdigit()):
        return None
    return f"{ref}0" if int(minor + "0") == int(before_minor) + 1 else None


def _renamed(ref: str, taken: set[str]) -> str:
    """A free ref for a second use of ``ref``: ``ref`` with the next letter (``9.3a``)."""
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if f"{ref}{letter}" not in taken:
            return f"{ref}{letter}"
    k = 2
    while f"{ref}-{k}" in taken:
        k += 1
    return f"{ref}-{k}"
