"""Who was sent a copy, who sent it back, and who is late.

The master keeps two very hidden sheets that plantrack owns:

- ``_plantrack_issues``: one row per partner copy issued (agency, file, when,
  due, what it held, the copy's checksum and the key that signs its record);
- ``_plantrack_receipts``: one row per returned file merged (when, which copy,
  the file's name and SHA-256, and what came of it).

From them comes the visible **Returns** sheet: for each agency, its latest copy,
when it was due, whether it came back, and its state:

- *Returned*: merged on or before the due date;
- *Returned late*: merged after the due date;
- *Not yet due*: not back, and the due date has not passed;
- *Late*: not back, past the due date, within ``return_missing_after_days``
  (rules, ``[thresholds]``);
- *Missing*: not back, and more than that many days past the due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..changes import GeneratedSheet
from ..rules import RuleSet, normalise_header
from ..tables import Grid, as_number, as_text

ISSUES_SHEET = "_plantrack_issues"
RECEIPTS_SHEET = "_plantrack_receipts"
RETURNS_SHEET = "Returns"

ISSUE_COLUMNS = [
    "Issue id",
    "Agency",
    "File",
    "Folder",
    "Issued at",
    "Due",
    "Actions",
    "Milestones",
    "Indicators",
    "Indicator periods",
    "Copy SHA-256",
    "Key",
]
RECEIPT_COLUMNS = [
    "Received at",
    "Issue id",
    "Agency",
    "File",
    "SHA-256",
    "Applied",
    "Unchanged",
    "Conflicts",
    "Rejected",
    "Proposals",
]

STATE_FILLS = {
    "Returned": "C6EFCE",
    "Returned late": "FFEB9C",
    "Not yet due": "F2F2F2",
    "Late": "FFC000",
    "Missing": "FFC7CE",
}


@dataclass(frozen=True)
class IssueEntry:
    """One partner copy issued from the master."""

    issue_id: str
    agency: str
    file: str
    folder: str
    issued_at: dt.datetime
    due: dt.date
    actions: int = 0
    milestones: int = 0
    indicators: int = 0
    indicator_periods: int = 0
    copy_sha256: str = ""
    key: str = ""

    def row(self) -> list[Any]:
        return [
            self.issue_id,
            self.agency,
            self.file,
            self.folder,
            self.issued_at.isoformat(timespec="seconds"),
            self.due.isoformat(),
            self.actions,
            self.milestones,
            self.indicators,
            self.indicator_periods,
            self.copy_sha256,
            self.key,
        ]


@dataclass(frozen=True)
class Receipt:
    """One returned file merged into the master."""

    received_at: dt.datetime
    issue_id: str
    agency: str
    file: str
    sha256: str
    applied: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: int = 0
    proposals: int = 0

    def row(self) -> list[Any]:
        return [
            self.received_at.isoformat(timespec="seconds"),
            self.issue_id,
            self.agency,
            self.file,
            self.sha256,
            self.applied,
            self.unchanged,
            self.conflicts,
            self.rejected,
            self.proposals,
        ]


@dataclass
class IssueBook:
    """The master's record of copies issued and returns received."""

    issues: list[IssueEntry] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)

    def issue(self, issue_id: str) -> IssueEntry | None:
        return next((i for i in self.issues if i.issue_id == issue_id), None)

    def latest_issue(self, agency: str) -> IssueEntry | None:
        mine = [i for i in self.issues if _same(i.agency, agency)]
        return max(mine, key=lambda i: i.issued_at) if mine else None

    def receipt(self, issue_id: str, sha256: str) -> Receipt | None:
        return next((r for r in self.receipts if r.issue_id == issue_id and r.sha256 == sha256), None)

    def receipts_of(self, issue_id: str) -> list[Receipt]:
        return sorted((r for r in self.receipts if r.issue_id == issue_id), key=lambda r: r.received_at)

    def with_receipt(self, receipt: Receipt) -> IssueBook:
        """The book with ``receipt`` added (a file merged again keeps its first receipt's time)."""
        old = self.receipt(receipt.issue_id, receipt.sha256)
        if old is None:
            return IssueBook(list(self.issues), [*self.receipts, receipt])
        merged = replace(receipt, received_at=old.received_at)
        return IssueBook(list(self.issues), [merged if r is old else r for r in self.receipts])

    def agencies(self) -> list[str]:
        seen: dict[str, str] = {}
        for issue in sorted(self.issues, key=lambda i: i.issued_at):
            seen.setdefault(normalise_header(issue.agency), issue.agency)
        return list(seen.values())


def _same(a: str, b: str) -> bool:
    return normalise_header(a) == normalise_header(b)


# ------------------------------------------------------------------ reading


def _find(grids: Mapping[str, Grid], name: str) -> Grid | None:
    wanted = normalise_header(name)
    return next((g for n, g in grids.items() if normalise_header(n) == wanted), None)


def _records(grid: Grid | None, columns: Sequence[str]) -> list[dict[str, Any]]:
    if grid is None or not grid.values:
        return []
    header = [normalise_header(h) if h is not None else "" for h in grid.values[0]]
    at = {c: header.index(normalise_header(c)) for c in columns if normalise_header(c) in header}
    out = []
    for row in grid.values[1:]:
        record = {c: (row[i] if i < len(row) else None) for c, i in at.items()}
        if any(v not in (None, "") for v in record.values()):
            out.append(record)
    return out


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _count(value: Any) -> int:
    number = as_number(value)
    return int(number) if number is not None else 0


def read_book(grids: Mapping[str, Grid]) -> IssueBook:
    """The issue book from a master's grids (empty when nothing was issued yet).
    Rows that cannot be read are skipped."""
    book = IssueBook()
    for r in _records(_find(grids, ISSUES_SHEET), ISSUE_COLUMNS):
        issued, due = _when(r.get("Issued at")), _when(r.get("Due"))
        issue_id = as_text(r.get("Issue id"))
        if issued is None or due is None or not issue_id:
            continue
        book.issues.append(
            IssueEntry(
                issue_id=issue_id,
                agency=as_text(r.get("Agency")) or "",
                file=as_text(r.get("File")) or "",
                folder=as_text(r.get("Folder")) or "",
                issued_at=issued,
                due=due.date(),
                actions=_count(r.get("Actions")),
                milestones=_count(r.get("Milestones")),
                indicators=_count(r.get("Indicators")),
                indicator_periods=_count(r.get("Indicator periods")),
                copy_sha256=as_text(r.get("Copy SHA-256")) or "",
                key=as_text(r.get("Key")) or "",
            )
        )
    for r in _records(_find(grids, RECEIPTS_SHEET), RECEIPT_COLUMNS):
        when = _when(r.get("Received at"))
        issue_id = as_text(r.get("Issue id"))
        if when is None or not issue_id:
            continue
        book.receipts.append(
            Receipt(
                received_at=when,
                issue_id=issue_id,
                agency=as_text(r.get("Agency")) or "",
                file=as_text(r.get("File")) or "",
                sha256=as_text(r.get("SHA-256")) or "",
                applied=_count(r.get("Applied")),
                unchanged=_count(r.get("Unchanged")),
                conflicts=_count(r.get("Conflicts")),
                rejected=_count(r.get("Rejected")),
                proposals=_count(r.get("Proposals")),
            )
        )
    return book


def book_sheets(book: IssueBook) -> list[GeneratedSheet]:
    """The two very hidden sheets holding the book."""
    return [
        GeneratedSheet(
            ISSUES_SHEET,
            [ISSUE_COLUMNS, *(i.row() for i in book.issues)],
            state="veryHidden",
            print_ready=False,
        ),
        GeneratedSheet(
            RECEIPTS_SHEET,
            [RECEIPT_COLUMNS, *(r.row() for r in book.receipts)],
            state="veryHidden",
            print_ready=False,
        ),
    ]


# ------------------------------------------------------------------ status


@dataclass(frozen=True)
class ReturnStatus:
    """One agency's return, as at a moment."""

    agency: str
    state: str
    issue: IssueEntry
    received_at: dt.datetime | None = None
    file: str | None = None
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    proposals: int = 0
    days_late: int = 0

    @property
    def outstanding(self) -> bool:
        return self.state in ("Late", "Missing")

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "state": self.state,
            "file_issued": self.issue.file,
            "issued_at": self.issue.issued_at.isoformat(timespec="seconds"),
            "due": self.issue.due.isoformat(),
            "received_at": self.received_at.isoformat(timespec="seconds") if self.received_at else None,
            "file": self.file,
            "applied": self.applied,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "proposals": self.proposals,
            "days_late": self.days_late,
        }


def return_states(book: IssueBook, now: dt.datetime, rules: RuleSet) -> list[ReturnStatus]:
    """Each agency's latest copy and where its return stands, in the order copies were first issued."""
    grace = rules.thresholds.return_missing_after_days
    out = []
    for agency in book.agencies():
        issue = book.latest_issue(agency)
        if issue is None:  # pragma: no cover - agencies() comes from issues
            continue
        received = book.receipts_of(issue.issue_id)
        if received:
            first, last = received[0], received[-1]
            late = (first.received_at.date() - issue.due).days
            out.append(
                ReturnStatus(
                    agency=issue.agency,
                    state="Returned late" if late > 0 else "Returned",
                    issue=issue,
                    received_at=first.received_at,
                    file=last.file,
                    applied=sum(r.applied for r in received),
                    conflicts=last.conflicts,
                    rejected=last.rejected,
                    proposals=last.proposals,
                    days_late=max(late, 0),
                )
            )
            continue
        late = (now.date() - issue.due).days
        state = "Not yet due" if late <= 0 else ("Late" if late <= grace else "Missing")
        out.append(ReturnStatus(agency=issue.agency, state=state, issue=issue, days_late=max(late, 0)))
    return out


def returns_sheet(
    statuses: Sequence[ReturnStatus],
    now: dt.datetime,
    contacts: Mapping[str, tuple[str, str]],
    datetime_format: str = "dd/mm/yyyy hh:mm",
    date_format: str = "dd/mm/yyyy",
) -> GeneratedSheet:
    """The visible Returns sheet. ``contacts``: normalised agency -> (contact, email)."""
    header = [
        "Agency",
        "Contact",
        "Email",
        "Copy issued",
        "Issued",
        "Due",
        "Received",
        "Return file",
        "Changes applied",
        "Conflicts",
        "Rejected",
        "Proposals",
        "State",
        "Days late",
    ]
    rows: list[list[Any]] = [
        [f"Returns — as at {now:%d/%m/%Y %H:%M}"],
        [
            "One row per agency: its latest copy and whether it came back. Regenerated by plantrack "
            "issue and merge; do not edit."
        ],
        header,
    ]
    fills = {}
    for r, status in enumerate(statuses, start=len(rows) + 1):
        contact, email = contacts.get(normalise_header(status.agency), ("", ""))
        rows.append(
            [
                status.agency,
                contact or None,
                email or None,
                status.issue.file,
                status.issue.issued_at,
                status.issue.due,
                *_received(status),
                status.state,
                status.days_late or None,
            ]
        )
        fills[(r, 13)] = STATE_FILLS.get(status.state, "FFFFFF")
    return GeneratedSheet(
        RETURNS_SHEET,
        rows,
        header_row=3,
        title_rows=2,
        widths={
            1: 34,
            2: 26,
            3: 30,
            4: 44,
            5: 16,
            6: 12,
            7: 16,
            8: 36,
            9: 10,
            10: 10,
            11: 10,
            12: 10,
            13: 14,
            14: 9,
        },
        wrap_columns={1, 4, 8},
        number_formats={5: datetime_format, 6: date_format, 7: datetime_format},
        fills=fills,
        bold_cells={(r, 13) for r in range(4, len(rows) + 1)},
        tab_colour="7030A0",
    )


def _received(status: ReturnStatus) -> list[Any]:
    if status.received_at is None:
        return [None] * 6
    return [
        status.received_at,
        status.file,
        status.applied,
        status.conflicts,
        status.rejected,
        status.proposals,
    ]


def state_counts(statuses: Sequence[ReturnStatus]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
    return counts
