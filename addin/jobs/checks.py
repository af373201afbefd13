"""Validation checks: each rule type is a small class, found by name in a registry.

The rule set lists the checks to run as ``[checks.NAME]`` tables (see
``rules/default.toml``): ``type`` names a class registered here and the other
keys are its parameters, checked by pydantic when the rules load, so an unknown
type or a bad parameter stops the rules loading with the file and entry named.

A check reads the raw tables (cell values as typed, so a date typed as text is
seen as text) and yields ``Finding`` records; it never raises on bad data. Every
finding carries a stable code from the class's ``codes``; ``docs/rule-codes.md``
is generated from this registry.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..dates import format_uk, read_uk_date
from ..rules import ColumnRule, RuleSet, normalise_header
from ..safety import looks_like_formula
from ..tables import Table, as_date, as_number, as_percent, as_text, column_letter, is_blank

if TYPE_CHECKING:
    from ..reader import Tracker

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

# What one row of each sheet is, for messages ("every action needs one").
NOUNS = {
    "Actions": "action",
    "Milestones": "milestone",
    "Indicators": "indicator",
    "Indicator data": "period of indicator data",
    "Leads": "lead",
    "Agencies": "agency",
}


@dataclass(frozen=True)
class Finding:
    """One problem in the plan: where it is, its stable code, and what to do about it."""

    sheet: str
    row: int | None
    column: str | None
    cell: str | None
    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Code:
    """A finding code as documented: its usual severity and what it means."""

    severity: Severity
    meaning: str


# ------------------------------------------------------------------ context


@dataclass
class Context:
    """What every check reads: the tracker's raw tables, the rules and the as-at date."""

    tracker: Tracker
    as_of: dt.date | None
    _present: set[str] = field(default_factory=set, init=False)
    cache: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._present = {normalise_header(n) for n in self.tracker.sheet_names}

    @property
    def rules(self) -> RuleSet:
        return self.tracker.rules

    def tables(self, only: Iterable[str] = ()) -> list[Table]:
        wanted = set(only)
        return [t for name, t in self.tracker.tables.items() if not wanted or name in wanted]

    def in_workbook(self, sheet: str) -> bool:
        return normalise_header(sheet) in self._present

    def in_group(self, status: Any, group: str) -> bool:
        """Whether a status cell is in a group of the rules' statuses: done, cancelled, on_hold."""
        key = ("statuses", group)
        if key not in self.cache:
            self.cache[key] = {s.casefold() for s in getattr(self.rules.statuses, group)}
        return isinstance(status, str) and status.strip().casefold() in self.cache[key]


def present_columns(table: Table) -> Iterator[tuple[ColumnRule, int]]:
    """The rule's columns that the sheet has, with their (0-based) index."""
    if table.rule is None:
        return
    for col in table.rule.columns:
        at = table.columns.get(col.key)
        if at is not None:
            yield col, at


def cell_of(table: Table, i: int, at: int | None) -> tuple[int, str | None]:
    row = table.row_numbers[i]
    return row, (f"{column_letter(at)}{row}" if at is not None else None)


def shown(value: Any, limit: int = 45) -> str:
    """A cell value quoted for a message: '31.10.12', 43769, 31/10/2019."""
    if isinstance(value, (dt.date, dt.datetime)):
        return format_uk(as_date(value) or value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"
    return as_text(value) or repr(value)


def text_of(value: Any) -> str | None:
    """A cell as text, or None if blank (``as_text``, quicker for the usual case of text)."""
    if value.__class__ is str:
        return value.strip() or None
    return None if value is None else as_text(value)


def fold(text: str) -> str:
    """Text as compared leniently: no case, single spaces."""
    return " ".join(text.split()).casefold()


def a_or_an(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def closest(word: str, choices: Iterable[str] | dict[str, str]) -> str | None:
    """The choice nearest to ``word`` (a typo's likely meaning), or None. ``choices`` may be
    given already folded, as {folded: value}."""
    by_fold = choices if isinstance(choices, dict) else {fold(c): c for c in choices}
    found = difflib.get_close_matches(fold(word), list(by_fold), n=1, cutoff=0.6)
    return by_fold[found[0]] if found else None


# ----------------------------------------------------------------- registry

CHECKS: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    CHECKS[cls.model_fields["type"].default] = cls
    return cls


def build_check(settings: Any) -> Check:
    """A ``[checks.NAME]`` table -> its check. Raises ValueError saying what is wrong."""
    if isinstance(settings, Check):
        return settings
    known = ", ".join(sorted(CHECKS))
    if not isinstance(settings, dict):
        raise ValueError('must be a table of settings with a type, e.g. type = "required"')
    kind = settings.get("type")
    if kind is None:
        raise ValueError(f"has no type (one of: {known})")
    cls = CHECKS.get(kind)
    if cls is None:
        raise ValueError(f"unknown check type {kind!r} (known types: {known})")
    try:
        return cls.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise ValueError(f"parameter {where!r}: {first['msg']}") from None


class Check(BaseModel):
    """Base of every check: ``enabled`` and ``severity`` work the same for all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    enabled: bool = Field(True, description="false switches the check off")
    severity: Severity | None = Field(
        None,
        description="error or warning for every finding of this check (default: each code's own severity)",
    )

    codes: ClassVar[dict[str, Code]] = {}

    def run(self, ctx: Context) -> Iterator[Finding]:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def names(self) -> list[tuple[str, list[str]]]:
        """(sheet, columns) this check's parameters name, checked against the rules when they load."""
        return []

    def problem_with(self, rules: RuleSet) -> str | None:
        sheets = {s.name: s for s in rules.sheets}
        for sheet, columns in self.names():
            if sheet not in sheets:
                return f"there is no sheet {sheet!r} in the rules"
            for column in columns:
                try:
                    sheets[sheet].column(column)
                except KeyError:
                    return f"sheet {sheet!r} has no column {column!r} in the rules"
        return None

    def finding(
        self, code: str, sheet: str, row: int | None, column: str | None, cell: str | None, message: str
    ) -> Finding:
        return Finding(sheet, row, column, cell, code, self.severity or self.codes[code].severity, message)

    def at(
        self, code: str, table: Table, i: int, at: int | None, column: str | None, message: str
    ) -> Finding:
        row, cell = cell_of(table, i, at)
        return self.finding(code, table.sheet, row, column, cell, message)

    def on_sheet(self, code: str, table: Table, column: str | None, message: str) -> Finding:
        return self.finding(code, table.sheet, table.header_row, column, None, message)


class _OnSheets(Check):
    sheets: list[str] = Field(default_factory=list, description="the sheets to check (empty: every sheet)")

    def names(self) -> list[tuple[str, list[str]]]:
        return [(s, []) for s in self.sheets]


# ------------------------------------------------------------ column rules


@register
class RequiredColumns(_OnSheets):
    """A sheet in the workbook must have every required column (one finding per missing
    column, not one per row); the Plan sheet must have a row for every required field."""

    type: Literal["required_columns"] = "required_columns"
    codes: ClassVar[dict[str, Code]] = {
        "missing-column": Code(ERROR, "A required column has no header on its sheet."),
        "missing-field": Code(ERROR, "A required field (Title, Report date) has no row on the Plan sheet."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            if not ctx.in_workbook(table.sheet) or not (table.columns or table.rows):
                continue
            for col in table.missing_columns():
                yield self.on_sheet(
                    "missing-column",
                    table,
                    col.name,
                    f"The {table.sheet} sheet has no '{col.name}' column — add the header "
                    f"(capitals and spaces do not matter) and fill it in for every "
                    f"{NOUNS.get(table.sheet, 'row')}.",
                )
        plan = ctx.tracker.plan_sheet
        rule = _plan_rule(ctx.rules)
        if self.sheets and rule.name not in self.sheets:
            return
        for col in rule.fields:
            if col.required and col.key not in plan.rows:
                yield self.finding(
                    "missing-field",
                    plan.sheet,
                    None,
                    col.name,
                    None,
                    f"The Plan sheet has no '{col.name}' row — add it under Field, with its value beside it.",
                )


def _plan_rule(rules: RuleSet) -> Any:
    return next(s for s in rules.sheets if s.kind == "fields")


def plan_cells(ctx: Context) -> Iterator[tuple[ColumnRule, Any, int, str]]:
    """(field rule, raw value, row, cell) of each Plan-sheet field that has a row."""
    plan = ctx.tracker.plan_sheet
    letter = column_letter(plan.value_column)
    for col in _plan_rule(ctx.rules).fields:
        row = plan.rows.get(col.key)
        if row is not None:
            yield col, plan.values.get(col.key), row, f"{letter}{row}"


@register
class Required(_OnSheets):
    """Every row must fill in the columns the rules mark ``required`` (and the Plan
    sheet its required fields)."""

    type: Literal["required"] = "required"
    codes: ClassVar[dict[str, Code]] = {
        "required-empty": Code(ERROR, "A required cell is empty."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            noun = NOUNS.get(table.sheet, "row")
            for col, at in present_columns(table):
                if not col.required:
                    continue
                for i, row in enumerate(table.rows):
                    if is_blank(row[at]):
                        yield self.at(
                            "required-empty",
                            table,
                            i,
                            at,
                            col.name,
                            f"{col.name} is empty — every {noun} needs one.",
                        )
        plan_rule = _plan_rule(ctx.rules)
        if self.sheets and plan_rule.name not in self.sheets:
            return
        for col, value, number, cell in plan_cells(ctx):
            if col.required and is_blank(value):
                yield self.finding(
                    "required-empty",
                    ctx.tracker.plan_sheet.sheet,
                    number,
                    col.name,
                    cell,
                    f"{col.name} is empty — fill it in on the Plan sheet.",
                )


_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@register
class Types(_OnSheets):
    """Cells hold what their column's ``type`` says: real dates (not text), numbers,
    whole percentages from 0 to 100, e-mail addresses. A date typed as text is read
    the UK way (day first) and the reading suggested."""

    type: Literal["types"] = "types"
    codes: ClassVar[dict[str, Code]] = {
        "date-as-text": Code(ERROR, "A date typed as text; the message suggests the date it reads as."),
        "not-a-date": Code(
            ERROR, "A date column holds something that is not a date ('Ongoing', 'TBC', a number)."
        ),
        "not-a-number": Code(ERROR, "A number or % column holds something that is not a number."),
        "number-as-text": Code(
            WARNING, "A number typed as text ('85%'): plantrack reads it, Excel cannot sum it."
        ),
        "bad-percent": Code(ERROR, "% complete is not a whole number from 0 to 100."),
        "bad-email": Code(WARNING, "An e-mail address that is not one."),
        "ref-as-number": Code(WARNING, "A ref stored as a number: Excel turns 1.10 into 1.1."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            rule = table.rule
            keys = {rule.key and normalise_header(rule.key)} if rule else set()
            for col, at in present_columns(table):
                if col.type == "text":
                    if col.key in keys or col.lookup:
                        yield from self._refs(table, col, at)
                    continue
                judge, fine = _JUDGES[col.type], _FINE.get(col.type, ())
                for i, row in enumerate(table.rows):
                    value = row[at]
                    if value is None or value.__class__ in fine or is_blank(value):
                        continue
                    problem = judge(col.name, value)
                    if problem:
                        yield self.at(problem[0], table, i, at, col.name, problem[1])
        plan_rule = _plan_rule(ctx.rules)
        if self.sheets and plan_rule.name not in self.sheets:
            return
        for col, value, number, cell in plan_cells(ctx):
            if col.type != "text" and not is_blank(value):
                problem = _JUDGES[col.type](col.name, value)
                if problem:
                    yield self.finding(
                        problem[0], ctx.tracker.plan_sheet.sheet, number, col.name, cell, problem[1]
                    )

    def _refs(self, table: Table, col: ColumnRule, at: int) -> Iterator[Finding]:
        for i, row in enumerate(table.rows):
            value = row[at]
            if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
                yield self.at(
                    "ref-as-number",
                    table,
                    i,
                    at,
                    col.name,
                    f"{col.name} {shown(value)} is stored as a number, not text — Excel drops "
                    "trailing zeros (1.10 becomes 1.1). Format the column as Text and retype it.",
                )


def _judge_date(name: str, value: Any) -> tuple[str, str] | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return None
    if isinstance(value, str):
        reading = read_uk_date(value)
        if reading is not None and reading.end is not None:
            hint = {
                "month": " (the end of that month)",
                "year": " (the end of that year)",
                "range": " (the end of that period)",
            }.get(reading.kind, "")
            return (
                "date-as-text",
                f"{name} {shown(value)} is text, not a date — did you mean "
                f"{reading.suggestion}{hint}? Type it as a date (dd/mm/yyyy).",
            )
        if reading is not None and reading.kind == "ongoing":
            return (
                "not-a-date",
                f"{name} {shown(value)} is not a date — give the date it will next be "
                "reviewed or finished (dd/mm/yyyy).",
            )
        return ("not-a-date", f"{name} {shown(value)} is not a date — type it as dd/mm/yyyy.")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        hint = ""
        if 20000 <= value <= 80000:  # an Excel date serial in a cell without a date format
            meant = format_uk(_EXCEL_EPOCH + dt.timedelta(days=int(value)))
            hint = f" — if it is Excel's date number it means {meant}"
        return (
            "not-a-date",
            f"{name} holds the number {shown(value)}, not a date{hint}. "
            "Format the cell as a date (dd/mm/yyyy).",
        )
    return ("not-a-date", f"{name} {shown(value)} is not a date — type it as dd/mm/yyyy.")


def _judge_number(name: str, value: Any) -> tuple[str, str] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if math.isfinite(value) else ("not-a-number", f"{name} is not a number.")
    if isinstance(value, str):
        number = as_number(value)
        if number is not None:
            return (
                "number-as-text",
                f"{name} {shown(value)} is typed as text — plantrack reads it as "
                f"{as_text(number)}, but Excel cannot add it up. Retype it as a number.",
            )
    return ("not-a-number", f"{name} {shown(value)} is not a number — leave it empty if there is none yet.")


def _judge_percent(name: str, value: Any) -> tuple[str, str] | None:
    bad = f"{name} {shown(value)} is not a whole number from 0 to 100 — type the percentage as one."
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = as_percent(value)
        if number is None:
            return ("not-a-number", f"{name} is not a number.")
        return None if _whole_percent(number) else ("bad-percent", bad)
    if isinstance(value, str):
        number = as_percent(value)
        if number is None:
            return ("not-a-number", f"{name} {shown(value)} is not a number — give one from 0 to 100.")
        if not _whole_percent(number):
            return ("bad-percent", bad)
        return (
            "number-as-text",
            f"{name} {shown(value)} is typed as text — plantrack reads it as "
            f"{as_text(number)}, but Excel cannot add it up. Retype it as a number.",
        )
    return ("not-a-number", f"{name} {shown(value)} is not a number — give a whole number from 0 to 100.")


def _whole_percent(number: float) -> bool:
    return 0 <= number <= 100 and abs(number - round(number)) < 1e-9


def _judge_email(name: str, value: Any) -> tuple[str, str] | None:
    text = as_text(value) or ""
    parts = [p for p in re.split(r"[;,]\s*", text) if p.strip()]
    if parts and all(_EMAIL.match(p.strip()) for p in parts):
        return None
    return ("bad-email", f"{name} {shown(value)} is not an e-mail address (like name@council.gov.uk).")


_JUDGES = {"date": _judge_date, "number": _judge_number, "percent": _judge_percent, "email": _judge_email}
# Values that need no closer look.
_FINE: dict[str, tuple[type, ...]] = {"date": (dt.date, dt.datetime), "number": (int,)}


@register
class Choices(_OnSheets):
    """Cells of a column with ``choices`` hold one of the list's values (an empty list
    allows anything). A value that differs only in capitals or spaces is a warning."""

    type: Literal["choices"] = "choices"
    codes: ClassVar[dict[str, Code]] = {
        "not-in-list": Code(ERROR, "A value that is not in the column's list (status, theme, priority ...)."),
        "list-spelling": Code(WARNING, "A list value typed with different capitals or spaces."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            for col, at in present_columns(table):
                allowed = ctx.rules.choices(col.choices) if col.choices else ()
                if not allowed:
                    continue
                exact = set(allowed)
                folded = {fold(v): v for v in allowed}
                listed = ", ".join(allowed[:8]) + (" …" if len(allowed) > 8 else "")
                for i, row in enumerate(table.rows):
                    text = text_of(row[at])
                    if text is None or text in exact:
                        continue
                    if fold(text) in folded:
                        yield self.at(
                            "list-spelling",
                            table,
                            i,
                            at,
                            col.name,
                            f"{col.name} {shown(text)} should be written "
                            f"'{folded[fold(text)]}', as in the list.",
                        )
                        continue
                    near = closest(text, allowed)
                    hint = f"did you mean '{near}'?" if near else "choose one from the drop-down."
                    yield self.at(
                        "not-in-list",
                        table,
                        i,
                        at,
                        col.name,
                        f"{col.name} {shown(text)} is not in the list ({listed}) — {hint}",
                    )


@register
class Pattern(_OnSheets):
    """Cells of a column with a ``pattern`` (like the action ref) have that shape."""

    type: Literal["pattern"] = "pattern"
    codes: ClassVar[dict[str, Code]] = {
        "pattern-mismatch": Code(ERROR, "A ref that is not in the plan's form (like 1.01, 2.1.3 or S1.3)."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            for col, at in present_columns(table):
                if not col.pattern:
                    continue
                pattern = re.compile(col.pattern)
                bad: list[tuple[int, str]] = []
                good: list[str] = []
                for i, row in enumerate(table.rows):
                    text = text_of(row[at])
                    if text is None:
                        continue
                    if pattern.search(text):
                        if len(good) < 3:
                            good.append(text)
                    else:
                        bad.append((i, text))
                like = f" (like {', '.join(good)})" if good else ""
                for i, text in bad:
                    yield self.at(
                        "pattern-mismatch",
                        table,
                        i,
                        at,
                        col.name,
                        f"{col.name} {shown(text)} is not in the form the plan's "
                        f"{col.name.lower()}s take{like} — correct it.",
                    )


# -------------------------------------------------------------- references

_SEVERAL = re.compile(r"\s*[/;\n]\s*|\s+(?:&|and)\s+", re.IGNORECASE)


@register
class Lookup(_OnSheets):
    """Cells of a column with a ``lookup`` name a row of that sheet: a milestone's
    action ref is an action's ref, a lead officer is a lead's name or abbreviation,
    a lead agency is on the Agencies sheet, indicator data belongs to an indicator."""

    type: Literal["lookup"] = "lookup"
    also: dict[str, list[str]] = Field(
        default_factory=lambda: {"Leads": ["Abbreviation"]},
        description="more columns of a looked-up sheet that a value may match, besides its key column",
    )
    lists: dict[str, str] = Field(
        default_factory=lambda: {"Agencies": "agencies"},
        description="a list in [lists] whose values also count as rows of the looked-up sheet",
    )
    several: list[str] = Field(
        default_factory=lambda: ["Lead officer"],
        description="columns whose cells may name several rows, separated by / ; & or 'and'",
    )
    codes: ClassVar[dict[str, Code]] = {
        "unknown-reference": Code(
            ERROR, "A value not on the sheet it refers to (lead, agency, action, indicator)."
        ),
        "reference-spelling": Code(
            WARNING, "A reference typed with other capitals or spaces than on its sheet."
        ),
        "lookup-sheet-missing": Code(WARNING, "A column refers to a sheet the workbook does not have."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [*super().names(), *self.also.items(), *((s, []) for s in self.lists)]

    def problem_with(self, rules: RuleSet) -> str | None:
        for list_name in self.lists.values():
            if list_name not in rules.lists:
                return f"lists names {list_name!r}, which is not a list in [lists]"
        return super().problem_with(rules)

    def _targets(self, ctx: Context, sheet: str) -> tuple[set[str], dict[str, str], str]:
        """The values a reference to ``sheet`` may take: exact, folded, and words for messages."""
        table = ctx.tracker.tables[sheet]
        rule = table.rule
        names = ([rule.key] if rule and rule.key else []) + self.also.get(sheet, [])
        exact: set[str] = set()
        for name in names:
            at = table.index(name)
            if at is not None:
                exact.update(t for t in (text_of(r[at]) for r in table.rows) if t)
        exact.update(ctx.rules.lists.get(self.lists.get(sheet, ""), ()))
        words = " or ".join(n.lower() for n in names) or "row"
        return exact, {fold(v): v for v in exact}, f"{a_or_an(words)} on the {sheet} sheet"

    def run(self, ctx: Context) -> Iterator[Finding]:
        several = {normalise_header(c) for c in self.several}
        for table in ctx.tables(self.sheets):
            for col, at in present_columns(table):
                if not col.lookup or col.lookup not in ctx.tracker.tables:
                    continue
                exact, folded, where = self._targets(ctx, col.lookup)
                if not ctx.in_workbook(col.lookup) and not exact:
                    if any(not is_blank(r[at]) for r in table.rows):
                        yield self.on_sheet(
                            "lookup-sheet-missing",
                            table,
                            col.name,
                            f"{col.name} cannot be checked: the workbook has no {col.lookup} "
                            f"sheet — add one listing every {NOUNS.get(col.lookup, 'row')}.",
                        )
                    continue
                suggestions: dict[str, str | None] = {}
                for i, row in enumerate(table.rows):
                    text = text_of(row[at])
                    if text is None or text in exact:
                        continue
                    if fold(text) in folded:
                        yield self.at(
                            "reference-spelling",
                            table,
                            i,
                            at,
                            col.name,
                            f"{col.name} {shown(text)} should be written '{folded[fold(text)]}', "
                            f"exactly as on the {col.lookup} sheet.",
                        )
                        continue
                    if col.key in several:
                        parts = [p for p in _SEVERAL.split(text) if p]
                        missing = [p for p in parts if p not in exact and fold(p) not in folded]
                        if len(parts) > 1 and not missing:
                            continue
                        if len(parts) > 1:
                            yield self.at(
                                "unknown-reference",
                                table,
                                i,
                                at,
                                col.name,
                                f"{col.name} {shown(text)}: {', '.join(shown(p) for p in missing)} "
                                f"is not {where} — add it there or correct the spelling.",
                            )
                            continue
                    if text not in suggestions:
                        suggestions[text] = closest(text, folded) if len(suggestions) < 200 else None
                    near = suggestions[text]
                    hint = f" Did you mean '{near}'?" if near else ""
                    yield self.at(
                        "unknown-reference",
                        table,
                        i,
                        at,
                        col.name,
                        f"{col.name} {shown(text)} is not {where} — add it there or correct "
                        f"the spelling.{hint}",
                    )


def _key_part(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return (as_date(value) or value).isoformat()
    text = text_of(value)
    return fold(text) if text is not None else None


@register
class Unique(Check):
    """No two rows of a sheet share the same value (or combination of values) in the
    given columns: action refs, indicator codes, one row per indicator period."""

    type: Literal["unique"] = "unique"
    sheet: str = Field(description="the sheet")
    columns: list[str] = Field(min_length=1, description="the column(s) that together must be unique")
    codes: ClassVar[dict[str, Code]] = {
        "duplicate": Code(ERROR, "A ref, code or name used on more than one row."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, self.columns)]

    def run(self, ctx: Context) -> Iterator[Finding]:
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        ats = [table.index(c) for c in self.columns]
        if any(at is None for at in ats):
            return
        first_at: dict[tuple[str, ...], int] = {}
        names = [table.rule.column(c).name if table.rule else c for c in self.columns]
        for i, row in enumerate(table.rows):
            parts = [_key_part(row[at]) for at in ats]  # type: ignore[index]
            key = tuple(p for p in parts if p is not None)
            if len(key) < len(parts):
                continue
            if key not in first_at:
                first_at[key] = i
                continue
            first_row = table.row_numbers[first_at[key]]
            values = " and ".join(f"{n} {shown(row[at])}" for n, at in zip(names, ats))  # type: ignore[index]
            noun = NOUNS.get(table.sheet, "row")
            yield self.at(
                "duplicate",
                table,
                i,
                ats[0],
                names[0],
                f"{values} is used more than once (first in row {first_row}) — each {noun} "
                "needs its own; correct one of them or remove the copy.",
            )


# ---------------------------------------------------------- across columns


@register
class DateOrder(Check):
    """One date of a row is not after another: start on or before due."""

    type: Literal["date_order"] = "date_order"
    sheet: str = Field(description="the sheet")
    earlier: str = Field(description="the column holding the earlier date")
    later: str = Field(description="the column holding the later (or same) date")
    codes: ClassVar[dict[str, Code]] = {
        "date-order": Code(
            ERROR, "A start date after the due date (or another pair of dates the wrong way)."
        ),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, [self.earlier, self.later])]

    def run(self, ctx: Context) -> Iterator[Finding]:
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        a, b = table.index(self.earlier), table.index(self.later)
        if a is None or b is None or table.rule is None:
            return
        first, second = table.rule.column(self.earlier).name, table.rule.column(self.later).name
        for i, row in enumerate(table.rows):
            start, end = as_date(row[a]), as_date(row[b])
            if start is not None and end is not None and start > end:
                yield self.at(
                    "date-order",
                    table,
                    i,
                    a,
                    first,
                    f"{first} {format_uk(start)} is after {second} {format_uk(end)} — "
                    "one of the two dates is wrong.",
                )


class _StatusCheck(Check):
    status: str = Field("Status", description="the status column")

    def statuses(self, table: Table) -> list[Any]:
        at = table.index(self.status)
        return [None] * len(table.rows) if at is None else [r[at] for r in table.rows]


class _DoneNeeds(_StatusCheck):
    """Completed and embedded rows must fill in a column."""

    sheets: list[str] = Field(description="the sheets to check")
    column: str = Field(description="the column a done row must fill in")
    code: ClassVar[str]

    def names(self) -> list[tuple[str, list[str]]]:
        return [(s, [self.status, self.column]) for s in self.sheets]

    def message(self, status: str, column: str) -> str:  # pragma: no cover - subclasses say it
        raise NotImplementedError

    def run(self, ctx: Context) -> Iterator[Finding]:
        for table in ctx.tables(self.sheets):
            at = table.index(self.column)
            name = table.rule.column(self.column).name if table.rule else self.column
            done = [i for i, s in enumerate(self.statuses(table)) if ctx.in_group(s, "done")]
            if at is None:
                if done:
                    yield self.on_sheet(
                        self.code,
                        table,
                        name,
                        f"{len(done)} rows of {table.sheet} are done but the sheet has no "
                        f"'{name}' column — add it and fill it in for them.",
                    )
                continue
            status_at = table.index(self.status)
            for i in done:
                if is_blank(table.rows[i][at]):
                    status = as_text(table.rows[i][status_at]) if status_at is not None else "done"
                    yield self.at(self.code, table, i, at, name, self.message(status or "done", name))


@register
class DoneNeedsDate(_DoneNeeds):
    """A completed or embedded action or milestone has a completed date."""

    type: Literal["done_needs_date"] = "done_needs_date"
    sheets: list[str] = Field(
        default_factory=lambda: ["Actions", "Milestones"], description="the sheets to check"
    )
    column: str = Field("Completed date", description="the completed-date column")
    code: ClassVar[str] = "done-without-date"
    codes: ClassVar[dict[str, Code]] = {
        "done-without-date": Code(ERROR, "Completed or Embedded without a completed date."),
    }

    def message(self, status: str, column: str) -> str:
        return f"Status is {status} but {column} is empty — give the date it was completed (dd/mm/yyyy)."


@register
class DoneNeedsEvidence(_DoneNeeds):
    """A completed or embedded action says what shows it was delivered."""

    type: Literal["done_needs_evidence"] = "done_needs_evidence"
    sheets: list[str] = Field(default_factory=lambda: ["Actions"], description="the sheets to check")
    column: str = Field("Evidence", description="the evidence column")
    code: ClassVar[str] = "done-without-evidence"
    codes: ClassVar[dict[str, Code]] = {
        "done-without-evidence": Code(ERROR, "Completed or Embedded without evidence."),
    }

    def message(self, status: str, column: str) -> str:
        return (
            f"Status is {status} but {column} is empty — say what shows it was delivered "
            "(audits, data, feedback)."
        )


@register
class RevisedNeedsReason(Check):
    """A revised due date comes with a reason: a progress update or an override reason."""

    type: Literal["revised_needs_reason"] = "revised_needs_reason"
    sheet: str = Field("Actions", description="the sheet")
    column: str = Field("Revised due date", description="the revised due date column")
    reasons: list[str] = Field(
        default_factory=lambda: ["Progress update", "Override reason"],
        description="columns any one of which gives the reason",
    )
    codes: ClassVar[dict[str, Code]] = {
        "revised-without-reason": Code(ERROR, "A revised due date with no reason given."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, [self.column, *self.reasons])]

    def run(self, ctx: Context) -> Iterator[Finding]:
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        at = table.index(self.column)
        if at is None or table.rule is None:
            return
        reasons = [r for r in (table.index(c) for c in self.reasons) if r is not None]
        name = table.rule.column(self.column).name
        first = table.rule.column(self.reasons[0]).name if self.reasons else "the progress update"
        for i, row in enumerate(table.rows):
            if not is_blank(row[at]) and all(is_blank(row[r]) for r in reasons):
                yield self.at(
                    "revised-without-reason",
                    table,
                    i,
                    at,
                    name,
                    f"{name} is set but no reason is given — say why the date moved in {first}.",
                )


@register
class RedNeedsUpdate(Check):
    """A Red action (by its RAG or its RAG override) has a progress update: the board
    reads every Red with its explanation and recovery action."""

    type: Literal["red_needs_update"] = "red_needs_update"
    sheet: str = Field("Actions", description="the sheet")
    rag: str = Field("RAG", description="the calculated RAG column")
    override: str = Field("RAG override", description="the RAG override column")
    update: str = Field("Progress update", description="the column that must explain a Red")
    red: str = Field("Red", description="the RAG value that needs an explanation")
    codes: ClassVar[dict[str, Code]] = {
        "red-without-update": Code(ERROR, "A Red action with no progress update to explain it."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, [self.rag, self.override, self.update])]

    def run(self, ctx: Context) -> Iterator[Finding]:
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        rag, override, update = table.index(self.rag), table.index(self.override), table.index(self.update)
        where = update if update is not None else rag if rag is not None else override
        if where is None or table.rule is None:
            return
        name = table.rule.column(self.update).name
        for i, row in enumerate(table.rows):
            shown_rag = as_text(row[override]) if override is not None else None
            if shown_rag is None and rag is not None:
                shown_rag = as_text(row[rag])
            if shown_rag is None or fold(shown_rag) != fold(self.red):
                continue
            if update is None or is_blank(row[update]):
                yield self.at(
                    "red-without-update",
                    table,
                    i,
                    where,
                    name,
                    f"The action is {self.red} but {name} is empty — every {self.red} needs an "
                    "explanation and a recovery action for the board.",
                )


@register
class OverrideNeedsReason(Check):
    """A RAG override has a reason (an override without one is not used)."""

    type: Literal["override_needs_reason"] = "override_needs_reason"
    sheet: str = Field("Actions", description="the sheet")
    override: str = Field("RAG override", description="the RAG override column")
    reason: str = Field("Override reason", description="the column giving the reason")
    codes: ClassVar[dict[str, Code]] = {
        "override-without-reason": Code(ERROR, "A RAG override with no reason."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, [self.override, self.reason])]

    def run(self, ctx: Context) -> Iterator[Finding]:
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        override, reason = table.index(self.override), table.index(self.reason)
        if override is None or table.rule is None:
            return
        name = table.rule.column(self.reason).name
        where = reason if reason is not None else override
        for i, row in enumerate(table.rows):
            if not is_blank(row[override]) and (reason is None or is_blank(row[reason])):
                yield self.at(
                    "override-without-reason",
                    table,
                    i,
                    where,
                    name,
                    f"RAG override is {shown(row[override])} but {name} is empty — give the "
                    "reason, or the override is not used.",
                )


@register
class StaleUpdate(_StatusCheck):
    """An open action's progress update (by Last updated) is not older than the rule
    set's ``thresholds.stale_update_days`` before the report date."""

    type: Literal["stale_update"] = "stale_update"
    sheet: str = Field("Actions", description="the sheet")
    column: str = Field("Last updated", description="the column holding when the update was written")
    days: int | None = Field(
        None, ge=1, description="days after which an update is stale (default: thresholds.stale_update_days)"
    )
    skip: list[Literal["done", "cancelled", "on_hold"]] = Field(
        default_factory=lambda: ["done", "cancelled"],  # type: ignore[arg-type]
        description="status groups whose rows need no fresh update",
    )
    codes: ClassVar[dict[str, Code]] = {
        "stale-update": Code(WARNING, "An open action last updated too long before the report date."),
    }

    def names(self) -> list[tuple[str, list[str]]]:
        return [(self.sheet, [self.column, self.status])]

    def run(self, ctx: Context) -> Iterator[Finding]:
        if ctx.as_of is None:
            return
        table = ctx.tracker.tables.get(self.sheet)
        if table is None:  # a sheet the reader does not know
            return
        at = table.index(self.column)
        if at is None or table.rule is None:
            return
        days = self.days or ctx.rules.thresholds.stale_update_days
        name = table.rule.column(self.column).name
        for i, (row, status) in enumerate(zip(table.rows, self.statuses(table))):
            when = as_date(row[at])
            if when is None or any(ctx.in_group(status, group) for group in self.skip):
                continue
            age = (ctx.as_of - when).days
            if age > days:
                yield self.at(
                    "stale-update",
                    table,
                    i,
                    at,
                    name,
                    f"{name} {format_uk(when)} is {age} days before the report date "
                    f"({format_uk(ctx.as_of)}); updates older than {days} days are stale — "
                    "ask the lead for a new progress update.",
                )


# ------------------------------------------------------------ every cell


@register
class FormulaText(_OnSheets):
    """No cell holds text that a spreadsheet would run as a formula or a DDE link
    (``=...``, or ``+``, ``-``, ``@`` followed by a function call, ``=cmd|...``)."""

    type: Literal["formula_text"] = "formula_text"
    codes: ClassVar[dict[str, Code]] = {
        "formula-text": Code(ERROR, "Text that a spreadsheet could run as a formula or DDE link."),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        starts = ("=", "+", "-", "@")
        for table in ctx.tables(self.sheets):
            names: dict[int, str] = {at: col.name for col, at in present_columns(table)}
            for at, header in table.extra_columns():
                names[at] = header
            for i, row in enumerate(table.rows):
                for at, value in enumerate(row):
                    if value.__class__ is str and value.lstrip()[:1] in starts and looks_like_formula(value):
                        name = names.get(at, column_letter(at))
                        yield self.at("formula-text", table, i, at, name, _formula_message(name, value))
        plan_rule = _plan_rule(ctx.rules)
        if self.sheets and plan_rule.name not in self.sheets:
            return
        for col, value, number, cell in plan_cells(ctx):
            if looks_like_formula(value):
                yield self.finding(
                    "formula-text",
                    ctx.tracker.plan_sheet.sheet,
                    number,
                    col.name,
                    cell,
                    _formula_message(col.name, value),
                )


def _formula_message(name: str, value: Any) -> str:
    return (
        f"{name} {shown(value)} starts like a formula — a spreadsheet could run it. Reword it so it "
        "does not begin with =, +, - or @."
    )


@register
class DateRange(_OnSheets):
    """Real dates lie within a number of years of the report date (catches 2109 for 2019)."""

    type: Literal["date_range"] = "date_range"
    years: int = Field(20, ge=1, description="how many years before or after the report date a date may be")
    codes: ClassVar[dict[str, Code]] = {
        "date-implausible": Code(WARNING, "A date many years from the report date: is the year right?"),
    }

    def run(self, ctx: Context) -> Iterator[Finding]:
        if ctx.as_of is None:
            return
        low = _shift_years(ctx.as_of, -self.years)
        high = _shift_years(ctx.as_of, self.years)
        for table in ctx.tables(self.sheets):
            for col, at in present_columns(table):
                if col.type != "date":
                    continue
                for i, row in enumerate(table.rows):
                    when = as_date(row[at])
                    if when is not None and not low <= when <= high:
                        yield self.at(
                            "date-implausible",
                            table,
                            i,
                            at,
                            col.name,
                            self._message(col.name, when, ctx.as_of),
                        )
        plan_rule = _plan_rule(ctx.rules)
        if self.sheets and plan_rule.name not in self.sheets:
            return
        for col, value, number, cell in plan_cells(ctx):
            when = as_date(value) if col.type == "date" else None
            if when is not None and not low <= when <= high:
                yield self.finding(
                    "date-implausible",
                    ctx.tracker.plan_sheet.sheet,
                    number,
                    col.name,
                    cell,
                    self._message(col.name, when, ctx.as_of),
                )

    @staticmethod
    def _message(name: str, when: dt.date, as_of: dt.date) -> str:
        years = abs(when.year - as_of.year)
        side = "after" if when > as_of else "before"
        return (
            f"{name} {format_uk(when)} is {years} years {side} the report date ({format_uk(as_of)}) "
            "— is the year right?"
        )


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def all_codes() -> dict[str, tuple[str, Code]]:
    """Every finding code: (check type that emits it, its documentation)."""
    out: dict[str, tuple[str, Code]] = {}
    for name, cls in CHECKS.items():
        for code, doc in cls.codes.items():
            out[code] = (name, doc)
    return out
