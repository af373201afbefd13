"""The record of what was issued to a partner, and how cells are compared.

A partner copy carries a hidden sheet (``_plantrack_record``) holding, for every
row it was issued with, the row's identity and the value of every cell as
issued. Merging a return compares three values of each cell: as issued (this
record), as returned (the partner's file) and as it is now (the master).

The record is text in cells of a very hidden sheet, because that is what
survives a partner's spreadsheet program re-saving the file: Excel, LibreOffice
(which keeps it as a hidden sheet) and tools built on openpyxl all keep sheets
and their text, while custom XML parts and document properties may be dropped.

The record is signed: an HMAC-SHA256 over its text, with a key made for that
copy that stays in the master (in ``_plantrack_issues``) and is never in the
copy. A record that was edited, or that did not come from this master, fails
the check and the return is refused; nothing is merged from it.

Rows are matched by a key that does not depend on their position: an action by
its Ref, a milestone by (Action ref, Milestone text), an indicator by its Code
and a period of indicator data by (Code, Period end); a key that occurs more
than once is told apart by its occurrence number (0, 1, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..rules import ColumnRule, RuleSet, normalise_header
from ..safety import looks_like_formula
from ..tables import Grid, Table, as_date, as_number, as_percent, as_text, is_blank

RECORD_SHEET = "_plantrack_record"
FORMAT = "plantrack-return/1"
CHUNK = 30_000  # characters per cell (Excel holds up to 32,767)

# The sheets a partner copy holds, and the columns that identify a row on each.
ISSUED_KEYS: dict[str, tuple[str, ...]] = {
    "Actions": ("Ref",),
    "Milestones": ("Action ref", "Milestone"),
    "Indicators": ("Code",),
    "Indicator data": ("Code", "Period end"),
}

Value = str | float | None
"""A cell value as compared: text, a number, a date as ISO text, or None for blank."""

RowKey = tuple[Any, ...]


class RecordProblem(Exception):
    """The hidden record of a returned copy is missing, damaged or was changed."""


# ------------------------------------------------------------------ values


def _text(raw: Any) -> str | None:
    """Text as compared: stripped, with Windows and old Mac line ends made plain."""
    text = as_text(raw)
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def _number(value: float) -> float:
    return round(value, 9) + 0.0


def canonical(raw: Any, column: ColumnRule | None, rules: RuleSet) -> Value:
    """A cell's value in the form used to compare copies: the same cell gives the
    same value whichever program saved it (dates as ISO text, numbers as floats,
    text stripped, choices in the list's spelling, blank as None)."""
    if is_blank(raw):
        return None
    kind = column.type if column is not None else "text"
    if kind == "date":
        day = as_date(raw)
        if day is not None:
            return day.isoformat()
    elif kind in ("number", "percent"):
        number = (as_percent if kind == "percent" else as_number)(raw)
        if number is not None and not isinstance(raw, str):
            return _number(number)
    text = _text(raw)
    if column is not None and column.choices and text is not None:
        for choice in rules.choices(column.choices):
            if choice.casefold() == text.casefold():
                return choice
    return text


def typed_value(value: Value, column: ColumnRule) -> Any:
    """The value to write into the master for a canonical value."""
    if value is None:
        return None
    if column.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def shown(value: Value) -> str:
    """A canonical value as a person reads it: 31/10/2019, 85, the text; blank as ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, "g")
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def defused(raw: Any) -> str:
    """Formula text made safe to show: it can never run, and says what it is."""
    text = as_text(raw) or ""
    return f"(formula, not run) {text.lstrip()}" if text else "(formula, not run)"


@dataclass(frozen=True)
class PartnerValue:
    """What a partner typed in an editable cell, read and checked."""

    value: Value = None
    problem: str | None = None


def read_partner_value(raw: Any, column: ColumnRule, rules: RuleSet) -> PartnerValue:
    """Check a value typed in an editable column. Never raises: a bad value gives a problem."""
    if isinstance(raw, str) and looks_like_formula(raw):
        return PartnerValue(problem="text that a spreadsheet would run as a formula")
    if is_blank(raw):
        if column.required:
            return PartnerValue(problem=f"{column.name} must be filled in")
        return PartnerValue(None)
    if column.type == "date":
        day = as_date(raw)
        if day is None and isinstance(raw, str):
            from ..dates import read_uk_date

            reading = read_uk_date(raw)
            if reading is not None and reading.kind == "date" and reading.end is not None:
                day = reading.end
        if day is None:
            return PartnerValue(problem=f"'{as_text(raw)}' is not a date (type it as 31/10/2019)")
        if not dt.date(1990, 1, 1) <= day <= dt.date(2100, 12, 31):
            return PartnerValue(problem=f"{day:%d/%m/%Y} is not a plausible date")
        return PartnerValue(day.isoformat())
    if column.type in ("number", "percent"):
        number = (as_percent if column.type == "percent" else as_number)(raw)
        if number is None or not math.isfinite(number):
            return PartnerValue(problem=f"'{as_text(raw)}' is not a number")
        if column.type == "percent":
            number = round(number, 6)
            if not 0 <= number <= 100:
                return PartnerValue(problem=f"{shown(_number(number))}% is not between 0 and 100")
            if not float(number).is_integer():
                return PartnerValue(problem=f"{shown(_number(number))} is not a whole number from 0 to 100")
        return PartnerValue(_number(number))
    text = _text(raw)
    if column.choices:
        allowed = rules.choices(column.choices)
        if allowed:
            for choice in allowed:
                if text is not None and choice.casefold() == text.casefold():
                    return PartnerValue(choice)
            return PartnerValue(problem=f"'{text}' is not one of: {', '.join(allowed)}")
    return PartnerValue(text)


# ------------------------------------------------------------------ row keys


def key_columns(sheet: str) -> tuple[str, ...]:
    return ISSUED_KEYS[sheet]


def row_keys(table: Table, sheet: str, rules: RuleSet) -> list[RowKey | None]:
    """Each row's key (None for a row whose key cells are blank), with an occurrence
    number so a key used twice is still told apart."""
    rule = rules.sheet(sheet)
    names = key_columns(sheet)
    columns = [rule.column(n) for n in names]
    positions = [table.index(n) for n in names]
    seen: dict[tuple[Any, ...], int] = {}
    keys: list[RowKey | None] = []
    for row in table.rows:
        parts = tuple(
            canonical(row[at] if at is not None and at < len(row) else None, c, rules)
            for at, c in zip(positions, columns)
        )
        if any(p is None for p in parts[:1]) or all(p is None for p in parts):
            keys.append(None)
            continue
        n = seen.get(parts, 0)
        seen[parts] = n + 1
        keys.append((*parts, n))
    return keys


def key_text(key: Sequence[Any]) -> str:
    """A key as a person reads it: '1.3', '1.3 / Audit completed', 'NI 59 / 30/06/2019'."""
    parts = [shown(p) for p in key[:-1] if p is not None]
    text = " / ".join(parts)
    return f"{text} (#{key[-1] + 1})" if key and key[-1] else text


# ------------------------------------------------------------------ the record


@dataclass
class IssuedRow:
    key: RowKey
    row: int  # the row in the partner copy
    master_row: int | None
    values: list[Value]


@dataclass
class IssuedSheet:
    name: str
    columns: list[str]
    editable: list[str]
    proposals: list[str]
    rows: list[IssuedRow] = field(default_factory=list)

    def is_editable(self, column: str) -> bool:
        return normalise_header(column) in {normalise_header(c) for c in self.editable}

    def is_proposal(self, column: str) -> bool:
        return normalise_header(column) in {normalise_header(c) for c in self.proposals}


@dataclass
class IssueRecord:
    """What one partner copy was issued with."""

    plan_id: str
    plan_title: str
    issue_id: str
    agency: str
    issued_at: dt.datetime
    due: dt.date
    file: str
    sheets: list[IssuedSheet] = field(default_factory=list)

    def payload(self) -> str:
        """The record as canonical JSON text (what is signed)."""
        data = {
            "format": FORMAT,
            "plan_id": self.plan_id,
            "plan_title": self.plan_title,
            "issue_id": self.issue_id,
            "agency": self.agency,
            "issued_at": self.issued_at.isoformat(timespec="seconds"),
            "due": self.due.isoformat(),
            "file": self.file,
            "sheets": [
                {
                    "name": s.name,
                    "columns": s.columns,
                    "editable": s.editable,
                    "proposals": s.proposals,
                    "rows": [[list(r.key), r.row, r.master_row, r.values] for r in s.rows],
                }
                for s in self.sheets
            ],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)

    @classmethod
    def from_payload(cls, text: str) -> IssueRecord:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise RecordProblem(f"it was written by a newer plantrack (format {data.get('format')!r})")
            sheets = [
                IssuedSheet(
                    name=s["name"],
                    columns=list(s["columns"]),
                    editable=list(s["editable"]),
                    proposals=list(s.get("proposals", [])),
                    rows=[IssuedRow(tuple(k), int(r), m, list(v)) for k, r, m, v in s["rows"]],
                )
                for s in data["sheets"]
            ]
            return cls(
                plan_id=str(data["plan_id"]),
                plan_title=str(data.get("plan_title", "")),
                issue_id=str(data["issue_id"]),
                agency=str(data["agency"]),
                issued_at=dt.datetime.fromisoformat(data["issued_at"]),
                due=dt.date.fromisoformat(data["due"]),
                file=str(data.get("file", "")),
                sheets=sheets,
            )
        except RecordProblem:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RecordProblem("its hidden plantrack record is damaged") from exc


def sign(payload: str, key_hex: str) -> str:
    return hmac.new(bytes.fromhex(key_hex), payload.encode("utf-8"), hashlib.sha256).hexdigest()


_LABELS = ("format", "plan id", "issue id", "signature", "parts")


def record_rows(record: IssueRecord, key_hex: str) -> list[list[Any]]:
    """The hidden sheet's cells: labels in column A, values in column B."""
    payload = record.payload()
    parts = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [""]
    rows: list[list[Any]] = [
        [
            "plantrack record of this copy: do not change or delete this sheet. plantrack needs it "
            "to merge your return."
        ],
        ["format", FORMAT],
        ["plan id", record.plan_id],
        ["issue id", record.issue_id],
        ["signature", sign(payload, key_hex)],
        ["parts", str(len(parts))],
    ]
    rows.extend([f"part {i}", part] for i, part in enumerate(parts, start=1))
    return rows


@dataclass(frozen=True)
class RecordCells:
    """The hidden record as found in a returned file (not yet checked)."""

    issue_id: str
    plan_id: str
    signature: str
    payload: str

    def unverified(self) -> IssueRecord | None:
        """The record without checking its signature: only to word a refusal."""
        try:
            return IssueRecord.from_payload(self.payload)
        except RecordProblem:
            return None

    def verified(self, key_hex: str) -> IssueRecord:
        expected = sign(self.payload, key_hex)
        if not hmac.compare_digest(expected, self.signature.strip().lower()):
            raise RecordProblem("its hidden plantrack record was changed after the copy was issued")
        record = IssueRecord.from_payload(self.payload)
        if record.issue_id != self.issue_id:
            raise RecordProblem("its hidden plantrack record was changed after the copy was issued")
        return record


def find_record_grid(grids: dict[str, Grid]) -> Grid | None:
    wanted = normalise_header(RECORD_SHEET)
    return next((g for name, g in grids.items() if normalise_header(name) == wanted), None)


def read_record_cells(grid: Grid | None) -> RecordCells:
    """The record's cells from its sheet; raises ``RecordProblem`` when it is missing or damaged."""
    if grid is None:
        raise RecordProblem(
            "it has no hidden plantrack record: it is not a copy plantrack issued, "
            "or the record sheet was deleted"
        )
    values: dict[str, str] = {}
    parts: dict[int, str] = {}
    for row in grid.values:
        if len(row) < 2 or not isinstance(row[0], str):
            continue
        label = row[0].strip().casefold()
        value = "" if row[1] is None else str(row[1])
        if label.startswith("part "):
            try:
                parts[int(label[5:])] = value
            except ValueError:
                continue
        elif label in _LABELS:
            values[label] = value
    if values.get("format") != FORMAT or not values.get("issue id") or not values.get("signature"):
        raise RecordProblem("its hidden plantrack record is damaged")
    try:
        count = int(float(values.get("parts", "")))
    except ValueError as exc:
        raise RecordProblem("its hidden plantrack record is damaged") from exc
    if sorted(parts) != list(range(1, count + 1)):
        raise RecordProblem("its hidden plantrack record is damaged (parts are missing)")
    payload = "".join(parts[i] for i in range(1, count + 1))
    return RecordCells(
        values["issue id"].strip(), values.get("plan id", "").strip(), values["signature"], payload
    )
