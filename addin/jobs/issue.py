"""Issue copies: one workbook per partner agency holding only its own rows.

``plan_issue(tracker, book, ...)`` decides what each agency's copy holds: its
actions (by Lead agency), their milestones, its indicators (by Lead agency) and
their periods, every column as in the master, with the columns a partner may
change (``partner_editable`` in the rules) marked editable. It also makes the
signed record of what was issued (``returns_record``) and the instructions.
``issue_changes`` is what the master gets: a Plan id if it had none, the issue
book (``_plantrack_issues``) and the Returns sheet.

Nothing here touches a workbook: ``partner_copy`` writes the copies (with
XlsxWriter, or openpyxl without it), and ``partner_files`` the master through
``files.apply_changes``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..changes import CellWrite, Changes
from ..dates import describe, format_uk
from ..errors import PlantrackError
from ..reader import Tracker
from ..rules import RuleSet, normalise_header
from ..tables import Table, as_text
from .returns_record import (
    ISSUED_KEYS,
    IssuedRow,
    IssuedSheet,
    IssueRecord,
    canonical,
    record_rows,
    row_keys,
)
from .returns_status import IssueBook, IssueEntry, book_sheets, return_states, returns_sheet

DEFAULT_DAYS_TO_RETURN = 14
MAX_NAME = 120  # characters in a copy's file name, before ".xlsx"
_UNSEEN = object()  # a value not worked out yet


class UnknownAgency(PlantrackError):
    """``--agency`` names an agency the plan does not have."""


@dataclass
class CopySheet:
    """One sheet of a partner copy: the rule's headers and the agency's rows (raw master values)."""

    name: str
    headers: list[str]
    rows: list[list[Any]]
    editable: list[str]


@dataclass
class PartnerCopy:
    """Everything one agency's copy holds."""

    agency: str
    file_name: str
    due: dt.date
    due_note: str
    issue_id: str
    key: str  # signs the record; kept in the master only
    record: IssueRecord
    sheets: list[CopySheet]
    instructions: list[tuple[str, str]]
    title: str
    marking: str | None
    report_date: dt.date | None
    sha256: str = ""  # of the written file, set by the adapter
    folder: str = ""  # where the adapter wrote it

    def count(self, sheet: str) -> int:
        return next((len(s.rows) for s in self.sheets if s.name == sheet), 0)

    def record_rows(self) -> list[list[Any]]:
        return record_rows(self.record, self.key)

    def summary(self) -> str:
        """'2 actions, 2 milestones, 1 indicator'."""
        parts = []
        for sheet, word in (("Actions", "action"), ("Milestones", "milestone"), ("Indicators", "indicator")):
            n = self.count(sheet)
            if n:
                parts.append(f"{n} {word}{'' if n == 1 else 's'}")
        return ", ".join(parts) or "no rows"


@dataclass
class IssuePlan:
    """What ``plan_issue`` decided: the copies, and what it noticed."""

    plan_id: str
    plan_id_created: bool
    copies: list[PartnerCopy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    issued_at: dt.datetime = field(default_factory=dt.datetime.now)


# ------------------------------------------------------------------ names


def new_plan_id(title: str) -> str:
    """A readable, unique plan id: the title's initials and a random part ("CSOAP-3F2A-9C1B-7D4E")."""
    initials = (
        "".join(w[0] for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’]*", title or "")[:6]).upper() or "PLAN"
    )
    raw = uuid.uuid4().hex[:12].upper()
    return f"{initials}-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_file_part(text: str, limit: int = 60) -> str:
    """Text made safe for a file name on Windows, macOS and Linux."""
    cleaned = _UNSAFE.sub("-", text or "")
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .-")
    cleaned = cleaned[:limit].rstrip(" .-")
    if cleaned.upper() in _RESERVED:
        cleaned = f"{cleaned}-"
    return cleaned or "plan"


def copy_file_name(title: str, agency: str, when: dt.date, taken: Iterable[str] = ()) -> str:
    """'<plan> - <agency> - return 2019-10-31.xlsx', with ' (2)' ... if the name is taken."""
    base = f"{safe_file_part(title, 50)} - {safe_file_part(agency, 50)} - return {when.isoformat()}"
    base = base[:MAX_NAME]
    used = {t.casefold() for t in taken}
    name, n = f"{base}.xlsx", 2
    while name.casefold() in used:
        name, n = f"{base} ({n}).xlsx", n + 1
    return name


# ------------------------------------------------------------------ agencies


def _norm(text: Any) -> str:
    return normalise_header(as_text(text) or "")


def plan_agencies(tracker: Tracker) -> list[str]:
    """Agencies in the order of the Agencies sheet, then any Lead agency not listed there."""
    names: dict[str, str] = {}
    for agency in tracker.plan.agencies:
        names.setdefault(_norm(agency.agency), agency.agency)
    leads = [a.lead_agency for a in tracker.plan.actions] + [i.lead_agency for i in tracker.plan.indicators]
    for lead in leads:
        if lead:
            names.setdefault(_norm(lead), lead)
    return list(names.values())


def resolve_agencies(tracker: Tracker, wanted: Sequence[str] | None) -> list[str]:
    known = plan_agencies(tracker)
    if not wanted:
        return known
    by_key = {_norm(a): a for a in known}
    out = []
    for name in wanted:
        match = by_key.get(_norm(name))
        if match is None:
            partial = [a for a in known if _norm(name) and _norm(name) in _norm(a)]
            if len(partial) == 1:
                match = partial[0]
        if match is None:
            listed = "; ".join(known) or "none"
            raise UnknownAgency(f"the plan has no agency called '{name}'. Its agencies are: {listed}")
        if match not in out:
            out.append(match)
    return out


# ------------------------------------------------------------------ rows


def _column_values(table: Table, name: str) -> list[str]:
    return [_norm(v) for v in table.column_values(name)]


def rows_by_agency(tracker: Tracker) -> dict[str, dict[str, list[int]]]:
    """For each agency (normalised name), the indexes of its rows in each issued sheet's table:
    its actions and indicators by Lead agency, their milestones and periods by ref and code."""
    tables = tracker.tables
    out: dict[str, dict[str, list[int]]] = {}

    def add(agency: str, sheet: str, index: int) -> None:
        out.setdefault(agency, {s: [] for s in ISSUED_KEYS})[sheet].append(index)

    # An agency gets the actions (indicators) it leads, and the milestones (periods) under them.
    for parent, key, child, child_key in (
        ("Actions", "Ref", "Milestones", "Action ref"),
        ("Indicators", "Code", "Indicator data", "Code"),
    ):
        owner: dict[str, str] = {}
        keys, agencies = _column_values(tables[parent], key), _column_values(tables[parent], "Lead agency")
        for i, (value, agency) in enumerate(zip(keys, agencies)):
            add(agency, parent, i)
            if value:
                owner.setdefault(value, agency)
        for i, value in enumerate(_column_values(tables[child], child_key)):
            if value in owner:
                add(owner[value], child, i)
    return out


def agency_rows(tracker: Tracker, agency: str) -> dict[str, list[int]]:
    """For each issued sheet, the indexes (in the master's table) of the agency's rows."""
    return rows_by_agency(tracker).get(_norm(agency), {s: [] for s in ISSUED_KEYS})


def _copy_sheet(
    tracker: Tracker,
    sheet: str,
    indexes: list[int],
    keys: list[Any],
    seen: dict[tuple[Any, ...], Any] | None = None,
) -> tuple[CopySheet, IssuedSheet]:
    """The agency's rows of one sheet, and their record. ``seen``: canonical values already
    worked out (of dates, numbers and choices, which repeat), shared between copies."""
    rules = tracker.rules
    rule = rules.sheet(sheet)
    table = tracker.tables[sheet]
    headers = [c.name for c in rule.columns]
    positions = [table.index(h) for h in headers]
    editable = [c.name for c in rule.columns if c.partner_editable]
    proposals = [c.name for c in rule.columns if c.partner_editable and c.partner_proposal]
    rows, issued = [], IssuedSheet(sheet, headers, editable, proposals)
    seen = {} if seen is None else seen
    # Free text is nearly always different: it is worked out each time, not remembered.
    repeats = [c.type != "text" or bool(c.choices) for c in rule.columns]
    for i in indexes:
        key = keys[i]
        if key is None:
            continue
        master_row = table.rows[i]
        raw = [master_row[at] if at is not None and at < len(master_row) else None for at in positions]
        rows.append(raw)
        values: list[Any] = []
        for at, (v, column) in enumerate(zip(raw, rule.columns)):
            if v is None:
                values.append(None)
            elif repeats[at]:
                memo = (sheet, at, v.__class__, v)
                value = seen.get(memo, _UNSEEN)
                if value is _UNSEEN:
                    value = seen[memo] = canonical(v, column, rules)
                values.append(value)
            else:
                values.append(canonical(v, column, rules))
        issued.rows.append(IssuedRow(key, len(rows) + 1, table.row_numbers[i], values))
    return CopySheet(sheet, headers, rows, editable), issued


# ------------------------------------------------------------------ due dates and wording


def due_date(tracker: Tracker, agency: str, given: dt.date | None, today: dt.date) -> tuple[dt.date, str]:
    """The return deadline and where it came from: --due, else the agency's Return due,
    else report date + 14 days. A date already past falls back to 14 days from today."""
    if given is not None:
        return given, "given with --due" + ("; it has already passed" if given < today else "")
    row = next((a for a in tracker.plan.agencies if _norm(a.agency) == _norm(agency)), None)
    if row is not None and row.return_due is not None:
        if row.return_due >= today:
            return row.return_due, "the agency's Return due date"
        fallback = today + dt.timedelta(days=DEFAULT_DAYS_TO_RETURN)
        return fallback, (
            f"its Return due date on the Agencies sheet ({format_uk(row.return_due)}) has "
            f"passed, so {DEFAULT_DAYS_TO_RETURN} days from today"
        )
    report = tracker.plan.info.report_date
    if report is not None and report + dt.timedelta(days=DEFAULT_DAYS_TO_RETURN) >= today:
        return report + dt.timedelta(
            days=DEFAULT_DAYS_TO_RETURN
        ), f"report date + {DEFAULT_DAYS_TO_RETURN} days"
    return today + dt.timedelta(days=DEFAULT_DAYS_TO_RETURN), f"{DEFAULT_DAYS_TO_RETURN} days from today"


_PM_NAME = ("programmemanager", "returnsto", "sendreturnsto", "contact")
_PM_EMAIL = ("programmemanageremail", "returnsemail", "email", "contactemail")


def reply_to(tracker: Tracker) -> str:
    """Who a partner sends the copy back to, from the Plan sheet (rows such as
    'Programme manager' and 'Programme manager email'), else in general words."""
    extra = {normalise_header(k): as_text(v) for k, v in tracker.plan.info.extra.items()}
    name = next((extra[k] for k in _PM_NAME if extra.get(k)), None)
    email = next((extra[k] for k in _PM_EMAIL if extra.get(k)), None)
    info = tracker.plan.info
    if name and email:
        return f"{name} ({email})"
    if name or email:
        return str(name or email)
    who = f"the {info.title} programme manager" if info.title else "the programme manager"
    return f"{who} at {info.organisation}" if info.organisation else who


def instructions(
    tracker: Tracker,
    agency: str,
    due: dt.date,
    issued_at: dt.datetime,
    plan_id: str,
    sheets: Sequence[CopySheet],
) -> list[tuple[str, str]]:
    info = tracker.plan.info
    rules = tracker.rules
    title = info.title or "Improvement plan"
    counts = {s.name: len(s.rows) for s in sheets}
    held = [
        f"{counts['Actions']} actions" if counts.get("Actions") else None,
        f"{counts['Milestones']} milestones" if counts.get("Milestones") else None,
        f"{counts['Indicators']} indicators with {counts.get('Indicator data', 0)} periods of data"
        if counts.get("Indicators")
        else None,
    ]
    editable_lines = []
    for sheet in sheets:
        if sheet.editable:
            editable_lines.append((f"{sheet.name}: {', '.join(sheet.editable)}.", ""))
    proposals = [
        c.name
        for s in sheets
        for c in rules.sheet(s.name).columns
        if c.partner_editable and c.partner_proposal and c.name in s.headers
    ]
    statuses = ", ".join(rules.statuses.values)
    lines: list[tuple[str, str]] = [
        (f"{title}: progress return for {agency}", "title"),
        ("", ""),
        (
            f"Please fill in this copy and send it back by {describe(due)} ({format_uk(due)}) "
            f"to {reply_to(tracker)}.",
            "heading",
        ),
        ("", ""),
        (f"It holds only {agency}'s part of the plan: {', '.join(h for h in held if h) or 'no rows'}.", ""),
        ("", ""),
        ("What to fill in", "heading"),
        (
            "Type only in the yellow cells. The grey cells are locked so that nothing is changed by "
            "accident; if something in them is wrong, say so in the progress update.",
            "",
        ),
        *editable_lines,
        (
            f"Status: choose from the list ({statuses}). % complete: a whole number from 0 to 100. "
            "Dates: type them as dates, e.g. 31/10/2019.",
            "",
        ),
    ]
    if proposals:
        lines.append(
            (
                f"{', '.join(proposals)}: what you type is a proposal. The programme manager "
                "decides whether to accept it; say why in the progress update.",
                "",
            )
        )
    if counts.get("Actions"):
        lines.append(("Completed: give the completed date and the evidence.", ""))
    lines += [
        ("", ""),
        ("Please do not", "heading"),
        (
            "add, delete, rename or re-order sheets; add rows (ask the programme manager to add an action); "
            "type formulas; or copy the rows into another workbook. Send back this file, saved as .xlsx "
            "(any file name).",
            "",
        ),
        (
            "The workbook has a hidden sheet recording what was sent to you: plantrack needs it to take your "
            "updates into the master tracker. If it is removed or changed, your return cannot be merged.",
            "",
        ),
        ("", ""),
        ("About this copy", "heading"),
        (
            f"Plan: {title}"
            + (f" ({info.organisation})" if info.organisation else "")
            + f". Plan id {plan_id}.",
            "",
        ),
        (f"Issued {issued_at:%d/%m/%Y %H:%M} to {agency}. Return due {format_uk(due)}.", ""),
    ]
    if info.report_date:
        lines.append((f"Progress as at the report date {format_uk(info.report_date)}.", ""))
    if info.protective_marking:
        lines.append(
            (f"Protective marking: {info.protective_marking}. Handle this workbook accordingly.", "")
        )
    return lines


# ------------------------------------------------------------------ the job


def plan_issue(
    tracker: Tracker,
    book: IssueBook,
    *,
    agencies: Sequence[str] | None = None,
    due: dt.date | None = None,
    now: dt.datetime | None = None,
    taken_names: Iterable[str] = (),
) -> IssuePlan:
    """Decide every agency's copy. ``taken_names``: file names already in the output folder."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    info = tracker.plan.info
    plan_id = (info.plan_id or "").strip()
    created = not plan_id
    if created:
        plan_id = new_plan_id(info.title)
    result = IssuePlan(plan_id, created, issued_at=now)
    taken = list(taken_names)
    by_agency = rows_by_agency(tracker)
    keys = {sheet: row_keys(tracker.tables[sheet], sheet, tracker.rules) for sheet in ISSUED_KEYS}
    seen: dict[tuple[Any, ...], Any] = {}
    for agency in resolve_agencies(tracker, agencies):
        owned = by_agency.get(_norm(agency), {s: [] for s in ISSUED_KEYS})
        if not owned["Actions"] and not owned["Indicators"]:
            result.notes.append(f"{agency} leads no actions or indicators: no copy written.")
            continue
        sheets, issued = [], []
        for sheet in ISSUED_KEYS:
            if owned[sheet]:
                copy_sheet, issued_sheet = _copy_sheet(tracker, sheet, owned[sheet], keys[sheet], seen)
                sheets.append(copy_sheet)
                issued.append(issued_sheet)
        when, why = due_date(tracker, agency, due, now.date())
        name = copy_file_name(info.title or "Improvement plan", agency, now.date(), taken)
        taken.append(name)
        issue_id = str(uuid.uuid4())
        record = IssueRecord(plan_id, info.title or "", issue_id, agency, now, when, name, issued)
        result.copies.append(
            PartnerCopy(
                agency=agency,
                file_name=name,
                due=when,
                due_note=why,
                issue_id=issue_id,
                key=secrets.token_hex(32),
                record=record,
                sheets=sheets,
                instructions=instructions(tracker, agency, when, now, plan_id, sheets),
                title=info.title or "Improvement plan",
                marking=info.protective_marking,
                report_date=info.report_date,
            )
        )
    for name in ("Actions", "Indicators"):
        dupes = _duplicate_keys(keys[name])
        if dupes and result.copies:
            result.notes.append(
                f"{name}: {', '.join(dupes)} appear more than once in the master; their rows are "
                "matched in the order they appear. Give each a unique ref or code."
            )
    return result


def _duplicate_keys(keys: list[Any]) -> list[str]:
    return sorted({str(k[0]) for k in keys if k is not None and k[-1] > 0})


def plan_id_change(tracker: Tracker, plan_id: str, plan_rows: int) -> list[CellWrite]:
    """Write the Plan id into the master's Plan sheet (on its row, or a new row after the last)."""
    sheet = tracker.plan_sheet
    column = sheet.value_column + 1
    row = sheet.rows.get("planid")
    if row is not None:
        return [CellWrite(sheet.sheet, row, column, value=plan_id)]
    row = plan_rows + 1
    return [
        CellWrite(sheet.sheet, row, 1, value="Plan id"),
        CellWrite(sheet.sheet, row, column, value=plan_id),
    ]


def issue_changes(
    tracker: Tracker,
    book: IssueBook,
    plan: IssuePlan,
    *,
    plan_rows: int,
    rules: RuleSet | None = None,
    datetime_format: str = "dd/mm/yyyy hh:mm",
    date_format: str = "dd/mm/yyyy",
) -> tuple[Changes, IssueBook]:
    """The master's changes after the copies are written (each copy's ``sha256`` set)."""
    rules = rules or tracker.rules
    changes = Changes()
    if plan.plan_id_created:
        changes.cells.extend(plan_id_change(tracker, plan.plan_id, plan_rows))
    entries = [
        IssueEntry(
            issue_id=c.issue_id,
            agency=c.agency,
            file=c.file_name,
            folder=c.folder,
            issued_at=plan.issued_at,
            due=c.due,
            actions=c.count("Actions"),
            milestones=c.count("Milestones"),
            indicators=c.count("Indicators"),
            indicator_periods=c.count("Indicator data"),
            copy_sha256=c.sha256,
            key=c.key,
        )
        for c in plan.copies
    ]
    new_book = IssueBook([*book.issues, *entries], list(book.receipts))
    changes.sheets.extend(book_sheets(new_book))
    statuses = return_states(new_book, plan.issued_at, rules)
    changes.sheets.append(
        returns_sheet(statuses, plan.issued_at, agency_contacts(tracker), datetime_format, date_format)
    )
    return changes, new_book


def agency_contacts(tracker: Tracker) -> Mapping[str, tuple[str, str]]:
    return {_norm(a.agency): (a.contact or "", a.email or "") for a in tracker.plan.agencies}
