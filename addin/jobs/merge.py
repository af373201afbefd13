"""Merge returns: take what each partner changed, safely.

``merge_returns(tracker, book, returns, ...)`` takes the master (as read), its
issue book and the returned files (as read by an adapter: every sheet's values
and where the formulas are) and decides, cell by cell, with three values: as
issued (the copy's signed record), as returned, and as the master holds it now.

- unchanged since issue: nothing;
- changed by the partner only: applied (and written to the Audit log);
- changed in the master since issue too, to something else: a **conflict**,
  not applied, listed with both values (master changed, partner not: kept);
- a column the rules mark ``partner_proposal`` (Revised due date): a
  **proposal** the programme manager accepts, not applied unless asked;
- **rejected** and listed, never applied: edits to locked columns, rows of
  another agency or rows not issued, invalid values (not a date, 150%, a
  status not in the list), formulas and DDE, text that would run as a formula,
  and cells inside a range the partner merged (other than its first cell: a
  reader shows them empty, so no one can tell what the partner meant for them).

A file that is not a copy of this plan issued from this master, or whose hidden
record was removed or changed, is **refused** whole; the other files still merge.
Files merge in the order given, each against the master as the ones before it
left it, so two returns changing the same cell make the second a conflict, and
merging the same return twice changes nothing.

Nothing here touches a workbook: the result carries the ``Changes`` to apply.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..changes import CellWrite, Changes
from ..reader import Tracker
from ..rules import ColumnRule, normalise_header
from ..tables import Grid, Table, column_letter, is_blank, table_from_grid
from .returns_record import (
    ISSUED_KEYS,
    IssuedSheet,
    IssueRecord,
    RecordProblem,
    RowKey,
    Value,
    canonical,
    defused,
    find_record_grid,
    key_columns,
    key_text,
    read_partner_value,
    read_record_cells,
    row_keys,
    shown,
    typed_value,
)
from .returns_status import IssueBook, Receipt, ReturnStatus, return_states

Kind = Literal["applied", "conflict", "rejected", "proposal", "refused"]
MAX_LOOSE_FORMULAS = 50  # formula cells listed per file outside the rows merged


@dataclass(frozen=True)
class ReturnedFile:
    """A returned copy as an adapter read it. ``formulas``: sheet name -> (row, column) ->
    formula text, for every cell holding a formula (whatever value it shows); ``active``:
    what else the file holds that could run (macros, links to other files or programs).
    ``grids`` may be a ``tables.Grids``: its ``warnings`` (what the reader noticed: hidden
    rows and sheets, merged cells ...) become the outcome's notes (see ``return_notes``),
    and the cells inside its ``merged`` ranges are never taken (see ``merged_cells``)."""

    name: str
    sha256: str
    grids: Mapping[str, Grid]
    formulas: Mapping[str, Mapping[tuple[int, int], str]] = field(default_factory=dict)
    active: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefusedFile:
    """A file that could not even be read as a workbook (the adapter says why)."""

    name: str
    reason: str
    sha256: str | None = None


@dataclass(frozen=True)
class MergeItem:
    """One cell (or row) of one return and what became of it."""

    kind: Kind
    code: str
    agency: str
    file: str
    message: str
    sheet: str = ""
    ref: str = ""
    column: str = ""
    return_cell: str = ""
    master_sheet: str = ""
    master_cell: str = ""
    issued: str = ""
    partner: str = ""
    master: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class ReturnOutcome:
    """What came of one returned file."""

    file: str
    sha256: str | None
    state: Literal["merged", "already merged", "refused"]
    agency: str | None = None
    issue_id: str | None = None
    reason: str | None = None
    note: str | None = None
    applied: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: int = 0
    proposals: int = 0
    warnings: list[str] = field(default_factory=list)  # what the reader noticed (return_notes)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MergeResult:
    merged_at: dt.datetime
    outcomes: list[ReturnOutcome]
    items: list[MergeItem]
    changes: Changes
    book: IssueBook
    statuses: list[ReturnStatus]
    audit_rows: list[list[Any]]

    @property
    def write_needed(self) -> bool:
        """True when the master must be written: a file merged for the first time, or changes applied."""
        return any(o.state == "merged" for o in self.outcomes)

    @property
    def to_look_at(self) -> list[MergeItem]:
        return [i for i in self.items if i.kind != "applied"]

    def count(self, kind: str) -> int:
        return sum(1 for i in self.items if i.kind == kind)

    @property
    def exit_code(self) -> int:
        """0: everything merged cleanly; 1: conflicts, rejections, proposals or refused files to look at."""
        return 1 if self.to_look_at else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "merged_at": self.merged_at.isoformat(timespec="seconds"),
            "returns": [o.as_dict() for o in self.outcomes],
            "items": [i.as_dict() for i in self.items],
            "counts": {k: self.count(k) for k in ("applied", "conflict", "rejected", "proposal", "refused")},
            "returns_status": [s.as_dict() for s in self.statuses],
            "master_written": self.write_needed,
            "exit_code": self.exit_code,
        }


# ------------------------------------------------------------------ the master as it stands


class MasterState:
    """The master's tables with the changes applied so far in this merge."""

    def __init__(self, tracker: Tracker):
        self.tracker = tracker
        self.rules = tracker.rules
        self.tables: dict[str, Table] = {s: tracker.tables[s] for s in ISSUED_KEYS}
        self.keys: dict[str, dict[RowKey, int]] = {}
        self.overlay: dict[tuple[str, int, str], Value] = {}
        self._columns: dict[tuple[str, str], tuple[ColumnRule, int | None]] = {}
        for sheet, table in self.tables.items():
            keys = row_keys(table, sheet, self.rules)
            self.keys[sheet] = {k: i for i, k in enumerate(keys) if k is not None}
        self._owners()

    def _owners(self) -> None:
        actions, indicators = self.tables["Actions"], self.tables["Indicators"]
        action_owner = {
            self.value("Actions", i, "Ref"): self.value("Actions", i, "Lead agency")
            for i in range(len(actions.rows))
        }
        indicator_owner = {
            self.value("Indicators", i, "Code"): self.value("Indicators", i, "Lead agency")
            for i in range(len(indicators.rows))
        }
        self._owner_by_parent = {
            "Actions": action_owner,
            "Milestones": action_owner,
            "Indicators": indicator_owner,
            "Indicator data": indicator_owner,
        }

    def parent_known(self, sheet: str, key: RowKey) -> bool:
        return key[0] in self._owner_by_parent[sheet]

    def _column(self, sheet: str, name: str) -> tuple[ColumnRule, int | None]:
        """The column's rule and its position in the master's table (None: the master lacks it)."""
        found = self._columns.get((sheet, name))
        if found is None:
            rule = self.rules.sheet(sheet).column(name)
            found = self._columns[(sheet, name)] = (rule, self.tables[sheet].index(rule.name))
        return found

    def column(self, sheet: str, name: str) -> ColumnRule:
        return self._column(sheet, name)[0]

    def position(self, sheet: str, name: str) -> int | None:
        return self._column(sheet, name)[1]

    def value(self, sheet: str, index: int, name: str) -> Value:
        rule, at = self._column(sheet, name)
        overlaid = self.overlay.get((sheet, index, rule.name), _MISSING)
        if overlaid is not _MISSING:
            return overlaid  # type: ignore[return-value]
        if at is None:
            return None
        row = self.tables[sheet].rows[index]
        return canonical(row[at] if at < len(row) else None, rule, self.rules)

    def set(self, sheet: str, index: int, name: str, value: Value) -> None:
        self.overlay[(sheet, index, self.column(sheet, name).name)] = value

    def owner(self, sheet: str, key: RowKey) -> str | None:
        owner = self._owner_by_parent[sheet].get(key[0])
        return str(owner) if owner is not None else None


_MISSING = object()


@dataclass(frozen=True)
class _Column:
    """One issued column of a sheet, as found in the return."""

    index: int  # in the record's columns (and values)
    rule: ColumnRule
    at: int  # in the return's table
    editable: bool
    proposal: bool


# ------------------------------------------------------------------ one return


@dataclass
class _Run:
    """State while one file is merged."""

    record: IssueRecord
    file: ReturnedFile
    outcome: ReturnOutcome
    now: dt.datetime
    accept_proposals: bool
    items: list[MergeItem] = field(default_factory=list)
    writes: list[CellWrite] = field(default_factory=list)
    audit: list[list[Any]] = field(default_factory=list)
    touched_actions: set[int] = field(default_factory=set)
    formulas_seen: set[tuple[str, int, int]] = field(default_factory=set)
    merged_sheets: set[str] = field(default_factory=set)  # merged ranges listed as rejected edits

    def item(self, kind: Kind, code: str, message: str, **where: Any) -> None:
        self.items.append(MergeItem(kind, code, self.record.agency, self.file.name, message, **where))
        counter = {
            "conflict": "conflicts",
            "rejected": "rejected",
            "proposal": "proposals",
            "applied": "applied",
        }.get(kind)
        if counter:
            setattr(self.outcome, counter, getattr(self.outcome, counter) + 1)


def _find_grid(grids: Mapping[str, Grid], name: str) -> Grid | None:
    wanted = normalise_header(name)
    return next((g for n, g in grids.items() if normalise_header(n) == wanted), None)


# One range a line ("B3:B5", "$A$1:$C$2", "D9"), all read in one pass: a hostile return may hold
# hundreds of thousands of them.
_RANGES = re.compile(
    r"^[ \t]*\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?[ \t]*$", re.M
)


@functools.lru_cache(maxsize=4096)
def _column_index(letters: str) -> int:
    """Excel letters -> 0-based column index (A -> 0)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number - 1


def merged_cells(
    ranges: Sequence[str], columns: Sequence[int], rows: Sequence[int]
) -> dict[tuple[int, int], str]:
    """The cells of a table a partner cannot have typed into on their own: (Excel row,
    0-based column) -> the merged range ("B3:B5") holding it, for every cell inside one
    of ``ranges`` other than its first (top-left) cell, among the table's ``columns`` and
    ``rows`` (ascending). A reader shows those cells empty; the first cell shows the
    range's value. A range may be as big as the sheet, so each column is swept once."""
    if not ranges or not rows:
        return {}
    wanted = sorted(set(columns))
    top, bottom = rows[0], rows[-1]
    by_column: dict[int, list[tuple[int, int, str]]] = {c: [] for c in wanted}
    for first_letters, first_digits, last_letters, last_digits in _RANGES.findall("\n".join(ranges)):
        first_row = int(first_digits)
        last_row = int(last_digits) if last_digits else first_row
        if first_row > last_row:
            first_row, last_row = last_row, first_row
        if last_row < top or first_row > bottom:
            continue  # outside the table's rows
        first_col = _column_index(first_letters)
        last_col = _column_index(last_letters) if last_letters else first_col
        if first_col > last_col:
            first_col, last_col = last_col, first_col
        if first_col == last_col and first_row == last_row:
            continue  # one cell "merged" with itself: nothing hidden
        inside = wanted[bisect.bisect_left(wanted, first_col) : bisect.bisect_right(wanted, last_col)]
        if not inside:
            continue
        shown = f"{column_letter(first_col)}{first_row}:{column_letter(last_col)}{last_row}"
        for column in inside:
            start = first_row + 1 if column == first_col else first_row
            if start <= last_row:
                by_column[column].append((start, last_row, shown))
    inner: dict[tuple[int, int], str] = {}
    for column, spans in by_column.items():
        if not spans:
            continue
        spans.sort()
        at, reach, holder = 0, 0, ""
        for row in rows:  # the spans begun by this row; the one reaching furthest covers it
            while at < len(spans) and spans[at][0] <= row:
                if spans[at][1] > reach:
                    reach, holder = spans[at][1], spans[at][2]
                at += 1
            if row <= reach:
                inner[(row, column)] = holder
    return inner


def _merged_reason(shown: str, agency: str, key_column: str | None = None) -> str:
    """Why a cell (or, when its ``key_column`` is merged, a row) inside a merged range is not
    taken, in the user's words."""
    if key_column is not None:
        return (
            f"The cells {shown} are merged in the return, so this row's {key_column} reads as empty: "
            f"plantrack cannot tell which row it is, so nothing was taken from it. Ask {agency} to "
            f"unmerge them, type the {key_column} in every row and send it again."
        )
    first, _, last = shown.partition(":")
    across_rows = first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    which = "row" if across_rows else "column"
    return (
        f"The cells {shown} are merged in the return: plantrack cannot tell which {which} the text "
        f"belongs to, so nothing was taken from this cell. Ask {agency} to unmerge them, type each "
        f"{which}'s own value and send it again."
    )


def _where(master: MasterState, sheet: str, index: int | None, column: str) -> dict[str, str]:
    if index is None:
        return {}
    table = master.tables[sheet]
    letter = table.letter(column)
    if letter is None:
        return {}
    return {"master_sheet": table.sheet, "master_cell": f"{letter}{table.row_numbers[index]}"}


def _merge_sheet(run: _Run, master: MasterState, issued: IssuedSheet) -> None:
    rules = master.rules
    sheet = issued.name
    grid = _find_grid(run.file.grids, sheet)
    if grid is None:
        run.item(
            "rejected",
            "missing-sheet",
            f"The {sheet} sheet is missing from the return (deleted or renamed?): nothing was taken from it.",
            sheet=sheet,
        )
        return
    rule = rules.sheet(sheet)
    table = table_from_grid(grid, rule)
    formulas = run.file.formulas.get(grid.name, {})
    for name in issued.columns:
        if table.index(name) is None and issued.is_editable(name):
            run.item(
                "rejected",
                "missing-column",
                f"The {name} column is missing from the return's {sheet} sheet (deleted or renamed?): "
                "nothing was taken from it.",
                sheet=sheet,
                column=name,
            )
    for at, header in table.extra_columns():
        if any(not is_blank(r[at]) for r in table.rows if at < len(r)):
            run.item(
                "rejected",
                "extra-column",
                f"The column '{header}' was added to the return: it is not part of the copy, so what it "
                "holds was not merged. Ask for it in the progress update instead.",
                sheet=sheet,
                column=str(header),
            )
    editable = {normalise_header(c) for c in issued.editable}
    proposals = {normalise_header(c) for c in issued.proposals}
    plan = []
    for j, name in enumerate(issued.columns):
        found = table.index(name)
        if found is not None:
            key_name = normalise_header(name)
            plan.append(
                _Column(j, master.column(sheet, name), found, key_name in editable, key_name in proposals)
            )
    keys_at = [(n, pos) for n in key_columns(sheet) if (pos := table.index(n)) is not None]
    ranges = getattr(run.file.grids, "merged", {}).get(grid.name, [])
    merged = merged_cells(ranges, sorted({c.at for c in plan} | {p for _, p in keys_at}), table.row_numbers)
    issued_rows = {tuple(r.key): r for r in issued.rows}
    seen: set[RowKey] = set()
    for i, key in enumerate(row_keys(table, sheet, rules)):
        excel_row = table.row_numbers[i]
        inside = next(((n, merged[(excel_row, p)]) for n, p in keys_at if (excel_row, p) in merged), None)
        if inside is not None:  # its key reads as empty: which row it is cannot be told
            run.merged_sheets.add(table.sheet)
            run.item(
                "rejected",
                "merged",
                _merged_reason(inside[1], run.record.agency, key_column=inside[0]),
                sheet=sheet,
                return_cell=f"{sheet}!{excel_row}:{excel_row}",
            )
            continue
        if key is None:
            run.item(
                "rejected",
                "no-ref",
                f"Row {excel_row} has no {ISSUED_KEYS[sheet][0]}: partners cannot add rows. Not merged.",
                sheet=sheet,
                return_cell=f"{sheet}!{excel_row}:{excel_row}",
            )
            continue
        row = issued_rows.get(key)
        if row is None:
            _unmatched_row(run, master, sheet, key, excel_row, issued_rows)
            continue
        seen.add(key)
        index = master.keys[sheet].get(key)
        for column in plan:
            _merge_cell(
                run, master, sheet, table, i, column, index, key, row.values[column.index], formulas, merged
            )
    missing = [k for k in issued_rows if k not in seen]
    if missing:
        shown_keys = ", ".join(key_text(k) for k in missing[:10]) + (" ..." if len(missing) > 10 else "")
        run.item(
            "rejected",
            "missing-rows",
            f"{len(missing)} row(s) issued were not in the return ({shown_keys}): nothing was changed for "
            "them. Ask the agency whether they were deleted by mistake.",
            sheet=sheet,
            ref=shown_keys,
        )


def _unmatched_row(
    run: _Run, master: MasterState, sheet: str, key: RowKey, excel_row: int, issued_rows: Mapping[RowKey, Any]
) -> None:
    agency = run.record.agency
    where = {"sheet": sheet, "ref": key_text(key), "return_cell": f"{sheet}!{excel_row}:{excel_row}"}
    owner = master.owner(sheet, key) if master.parent_known(sheet, key) else None
    first = (*key[:-1], 0)
    if key[-1] > 0 and first in issued_rows:
        run.item(
            "rejected",
            "duplicate-row",
            "This row appears more than once in the return: only the first was merged.",
            **where,
        )
    elif owner is not None and normalise_header(owner) != normalise_header(agency):
        run.item(
            "rejected",
            "other-agency",
            f"This row belongs to {owner} (its lead agency), not {agency}: not merged.",
            **where,
        )
    elif master.parent_known(sheet, key) or key in master.keys[sheet]:
        run.item(
            "rejected",
            "not-issued",
            f"This row was not in the copy issued to {agency} (partners cannot add rows, and a changed "
            "ref is a new row): not merged. If it is needed, add it to the master.",
            **where,
        )
    else:
        run.item(
            "rejected",
            "not-in-plan",
            f"The master has no {sheet} row {key_text(key)} (partners cannot add rows, and a changed ref is "
            "a new row): not merged. If it is needed, add it to the master.",
            **where,
        )


def _merge_cell(
    run: _Run,
    master: MasterState,
    sheet: str,
    table: Table,
    i: int,
    col: _Column,
    index: int | None,
    key: RowKey,
    base: Value,
    formulas: Mapping[tuple[int, int], str],
    merged: Mapping[tuple[int, int], str],
) -> None:
    rules = master.rules
    column = col.rule
    row = table.rows[i]
    raw = row[col.at] if col.at < len(row) else None
    excel_row = table.row_numbers[i]

    def where(**values: Value) -> dict[str, str]:
        out = {
            "sheet": sheet,
            "ref": key_text(key),
            "column": column.name,
            "return_cell": f"{sheet}!{column_letter(col.at)}{excel_row}",
            "issued": shown(base),
            **_where(master, sheet, index, column.name),
        }
        out.update({k: shown(v) for k, v in values.items()})
        return out

    formula = formulas.get((excel_row, col.at + 1))
    if formula is not None:
        run.formulas_seen.add((table.sheet, excel_row, col.at + 1))
        run.item(
            "rejected",
            "formula",
            f"A formula was typed in {column.name}: formulas are never merged (it was not run). "
            f"Ask {run.record.agency} for the value itself.",
            **{**where(), "partner": defused("=" + formula.lstrip("="))},
        )
        return
    theirs_as_is = canonical(raw, column, rules)
    inside = merged.get((excel_row, col.at))
    if inside is not None:  # shown empty whatever the partner meant for it: never taken
        if col.editable or theirs_as_is != base:
            run.merged_sheets.add(table.sheet)
            run.item(
                "rejected",
                "merged",
                _merged_reason(inside, run.record.agency),
                **where(partner=theirs_as_is),
            )
        return
    if theirs_as_is == base:
        return
    if not col.editable:
        run.item(
            "rejected",
            "locked",
            f"{column.name} is locked in partner copies; the partner changed it. Not applied: if it "
            "should change, change it in the master.",
            **where(partner=theirs_as_is),
        )
        return
    reading = read_partner_value(raw, column, rules)
    if reading.problem:
        is_formula = "formula" in reading.problem
        run.item(
            "rejected",
            "formula-text" if is_formula else "invalid",
            f"{reading.problem[0].upper()}{reading.problem[1:]}. Not applied: ask "
            f"{run.record.agency} for the right value.",
            **{**where(), "partner": defused(raw) if is_formula else shown(theirs_as_is)},
        )
        return
    theirs = reading.value
    if theirs == base:
        return
    if index is None:
        run.item(
            "rejected",
            "row-gone",
            "This row is no longer in the master (its ref or text was changed, or it was removed, "
            "since the copy was issued): not applied.",
            **where(partner=theirs),
        )
        return
    owner = master.owner(sheet, key)
    if owner is None or normalise_header(owner) != normalise_header(run.record.agency):
        run.item(
            "rejected",
            "now-other-agency",
            f"This row is now led by {owner or 'no agency'} in the master: not applied.",
            **where(partner=theirs),
        )
        return
    if master.position(sheet, column.name) is None:
        run.item(
            "rejected",
            "no-master-column",
            f"The master's {sheet} sheet has no {column.name} column: not applied. Add the column and "
            "merge the return again.",
            **where(partner=theirs),
        )
        return
    mine = master.value(sheet, index, column.name)
    if mine == theirs:
        run.outcome.unchanged += 1
        return
    if mine != base:
        run.item(
            "conflict",
            "conflict",
            f"Changed in the master since the copy was issued and by {run.record.agency}, differently: "
            "not applied. Decide which is right and type it into the master.",
            **where(partner=theirs, master=mine),
        )
        return
    if col.proposal and not run.accept_proposals:
        place = where(partner=theirs, master=mine)
        run.item(
            "proposal",
            "proposal",
            f"{run.record.agency} proposes {column.name} {shown(theirs) or '(blank)'}: "
            f"not applied. To accept it, type it into {place.get('master_sheet', sheet)}!"
            f"{place.get('master_cell', '')} (or merge again with --accept-proposals).",
            **place,
        )
        return
    _apply(run, master, sheet, index, column, theirs, where())


def _apply(
    run: _Run,
    master: MasterState,
    sheet: str,
    index: int,
    column: ColumnRule,
    value: Value,
    where: Mapping[str, str],
) -> None:
    table = master.tables[sheet]
    old = master.value(sheet, index, column.name)
    at = master.position(sheet, column.name)
    assert at is not None
    master.set(sheet, index, column.name, value)
    number_format = "dd/mm/yyyy" if column.type == "date" else None
    run.writes.append(
        CellWrite(
            table.sheet,
            table.row_numbers[index],
            at + 1,
            value=typed_value(value, column),
            number_format=number_format,
        )
    )
    run.audit.append(
        [
            run.now,
            run.file.name,
            run.file.sha256,
            run.record.agency,
            table.sheet,
            f"{column_letter(at)}{table.row_numbers[index]}",
            where.get("ref", ""),
            column.name,
            shown(old),
            shown(value),
        ]
    )
    run.item(
        "applied",
        "applied",
        f"{column.name}: {shown(old) or '(blank)'} → {shown(value) or '(blank)'}",
        **{**where, "master": shown(old), "partner": shown(value)},
    )
    if sheet == "Actions":
        run.touched_actions.add(index)


def _stamp_last_updated(run: _Run, master: MasterState) -> None:
    """Actions that took a partner's update get Last updated = the day it was merged."""
    table = master.tables["Actions"]
    if table.index("Last updated") is None:
        return
    column = master.column("Actions", "Last updated")
    today = run.now.date().isoformat()
    for index in sorted(run.touched_actions):
        if master.value("Actions", index, "Last updated") == today:
            continue
        old = master.value("Actions", index, "Last updated")
        master.set("Actions", index, "Last updated", today)
        at = table.index("Last updated")
        assert at is not None
        row = table.row_numbers[index]
        run.writes.append(
            CellWrite(table.sheet, row, at + 1, value=typed_value(today, column), number_format="dd/mm/yyyy")
        )
        ref = shown(master.value("Actions", index, "Ref"))
        run.audit.append(
            [
                run.now,
                run.file.name,
                run.file.sha256,
                run.record.agency,
                table.sheet,
                f"{column_letter(at)}{row}",
                ref,
                "Last updated",
                shown(old),
                f"{shown(today)} (set by plantrack: update merged)",
            ]
        )


def _loose_formulas(run: _Run) -> None:
    listed = 0
    for sheet, cells in run.file.formulas.items():
        for (row, col), text in sorted(cells.items()):
            if (sheet, row, col) in run.formulas_seen:
                continue
            listed += 1
            if listed > MAX_LOOSE_FORMULAS:
                continue
            run.item(
                "rejected",
                "formula",
                "A formula in the return, outside the cells plantrack merges: not run, not merged.",
                sheet=sheet,
                return_cell=f"{sheet}!{column_letter(col - 1)}{row}",
                partner=defused("=" + text.lstrip("=")),
            )
    if listed > MAX_LOOSE_FORMULAS:
        run.item(
            "rejected", "formula", f"... and {listed - MAX_LOOSE_FORMULAS} more formula cells, not merged."
        )


# What the reader says about formulas, macros and links, which a merge says its own way: each
# formula cell is a rejected item (and its saved value is NOT taken, whatever the reader's note
# says), macros and links are one 'active-content' item.
_SAID_AS_ITEMS = {
    "formulas": ("where plantrack expects typed values",),
    "active": ("contains macros", "links to other workbooks"),
}


def return_notes(file: ReturnedFile, merged_sheets: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What the reader noticed about a return that is worth a look (hidden rows, columns or
    sheets, merged cells, a file name that does not match its content ...), in its words,
    less what the merge already lists as rejected items (formulas, macros and links, and the
    merged cells of ``merged_sheets``: the reader's note says it reads them as empty, but
    the merge takes nothing from them and lists each one)."""
    notes = []
    merged_notes = tuple(f"Sheet '{name}' has merged cells" for name in merged_sheets)
    for line in getattr(file.grids, "warnings", None) or []:
        said = (
            (file.formulas and any(w in line for w in _SAID_AS_ITEMS["formulas"]))
            or (file.active and any(w in line for w in _SAID_AS_ITEMS["active"]))
            or line.startswith(merged_notes)
        )
        if not said and line not in notes:
            notes.append(line)
    return notes


def _refuse(
    outcomes: list[ReturnOutcome],
    items: list[MergeItem],
    name: str,
    sha: str | None,
    reason: str,
    agency: str | None = None,
) -> None:
    outcomes.append(ReturnOutcome(name, sha, "refused", agency=agency, reason=reason))
    items.append(MergeItem("refused", "refused", agency or "", name, reason))


def _verify(file: ReturnedFile, tracker: Tracker, book: IssueBook) -> IssueRecord:
    """The file's checked record; raises ``RecordProblem`` with the reason to refuse it."""
    cells = read_record_cells(find_record_grid(dict(file.grids)))
    plan_id = (tracker.plan.info.plan_id or "").strip()
    issue = book.issue(cells.issue_id)
    if issue is None or not issue.key:
        other = cells.unverified()
        title = f" '{other.plan_title}'" if other and other.plan_title else ""
        if not plan_id:
            raise RecordProblem("this master has no Plan id, so no copies were issued from it")
        if cells.plan_id and cells.plan_id != plan_id:
            raise RecordProblem(
                f"it is a copy of another plan{title} (plan id {cells.plan_id}), not of this one ({plan_id})"
            )
        raise RecordProblem(
            "it was not issued from this master tracker (its issue is not recorded here: "
            "issued from another copy of the tracker, or the record of issues was removed)"
        )
    record = cells.verified(issue.key)
    if record.plan_id != plan_id:
        raise RecordProblem(
            f"it is a copy of plan id {record.plan_id}, but this master's Plan id is now "
            f"'{plan_id}' (was the Plan id changed?)"
        )
    if normalise_header(record.agency) != normalise_header(issue.agency):  # pragma: no cover - signed
        raise RecordProblem("its hidden plantrack record does not match the copy issued")
    if issue.copy_sha256 and file.sha256 == issue.copy_sha256:
        raise RecordProblem(
            f"it is the copy exactly as issued to {issue.agency}: nothing has been filled in yet"
        )
    return record


def merge_returns(
    tracker: Tracker,
    book: IssueBook,
    returns: Sequence[ReturnedFile | RefusedFile],
    *,
    now: dt.datetime | None = None,
    accept_proposals: bool = False,
) -> MergeResult:
    """Merge every return into the master (in memory). See the module docstring."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    master = MasterState(tracker)
    outcomes: list[ReturnOutcome] = []
    items: list[MergeItem] = []
    writes: dict[tuple[str, int, int], CellWrite] = {}
    audit: list[list[Any]] = []
    for file in returns:
        if isinstance(file, RefusedFile):
            _refuse(outcomes, items, file.name, file.sha256, file.reason)
            continue
        try:
            record = _verify(file, tracker, book)
        except RecordProblem as problem:
            reason = f"{problem}. Nothing was taken from it."
            if "changed" in str(problem) or "deleted" in str(problem) or "damaged" in str(problem):
                reason += " Ask the agency to fill in a fresh copy (plantrack issue --agency ...)."
            _refuse(outcomes, items, file.name, file.sha256, reason)
            continue
        outcome = ReturnOutcome(
            file.name,
            file.sha256,
            "merged",
            agency=record.agency,
            issue_id=record.issue_id,
        )
        latest = book.latest_issue(record.agency)
        if latest is not None and latest.issue_id != record.issue_id:
            outcome.note = (
                f"This is the copy issued on {record.issued_at:%d/%m/%Y}; a newer copy was issued "
                f"on {latest.issued_at:%d/%m/%Y}."
            )
        run = _Run(record, file, outcome, now, accept_proposals)
        for issued in record.sheets:
            _merge_sheet(run, master, issued)
        _loose_formulas(run)
        if file.active:
            run.item(
                "rejected",
                "active-content",
                f"The return holds {' and '.join(file.active)}: plantrack never runs or follows them, "
                "and nothing was taken from them.",
            )
        _stamp_last_updated(run, master)
        outcome.warnings = return_notes(file, run.merged_sheets)
        already = book.receipt(record.issue_id, file.sha256)
        if already is not None and not run.writes:
            outcome.state = "already merged"
            outcome.note = f"Already merged on {already.received_at:%d/%m/%Y %H:%M}: nothing new."
        for write in run.writes:
            writes[(write.sheet, write.row, write.column)] = write
        audit.extend(run.audit)
        items.extend(run.items)
        outcomes.append(outcome)
        if outcome.state == "already merged":
            continue
        book = book.with_receipt(
            Receipt(
                now,
                record.issue_id,
                record.agency,
                file.name,
                file.sha256,
                outcome.applied,
                outcome.unchanged,
                outcome.conflicts,
                outcome.rejected,
                outcome.proposals,
            )
        )
    statuses = return_states(book, now, tracker.rules)
    changes = Changes(cells=list(writes.values()))
    return MergeResult(now, outcomes, items, changes, book, statuses, audit)
