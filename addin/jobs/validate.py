"""Validate: check every row of a tracker against the rules and say what to fix.

``validate(tracker)`` runs the checks the rule set lists (``[checks.*]`` in
``rules/default.toml``; the check classes are in ``checks``) over the raw
tables and returns every finding, not only the first.

``validation_changes(tracker, findings, previous_marks)`` is what the Validate
button and ``plantrack validate --write`` write: a Validation sheet listing the
findings with a link to each cell, and each offending cell marked with a fill
and a note. Marks from the previous run are cleared first; which cells those
are is read from the previous Validation sheet (``previous_marks``), because a
live workbook's formats cannot be read back. A value the user typed is never
written.

Run ``python -m addin.jobs.validate > docs/rule-codes.md`` to regenerate the
rule-code reference from the registry.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..changes import CellWrite, Changes, GeneratedSheet
from ..dates import format_uk
from ..rules import RuleSet, load_rules, normalise_header
from ..tables import Grid, as_text
from .checks import CHECKS, Check, Context, Finding, all_codes

if typing.TYPE_CHECKING:
    from ..reader import Tracker

__all__ = [
    "Finding",
    "Summary",
    "previous_marks",
    "rule_codes_markdown",
    "summarise",
    "validate",
    "validation_changes",
]

SHEET = "Validation"
HEADERS = ("Sheet", "Cell", "Ref", "Column", "Severity", "Code", "Message")
TITLE_ROWS = 3
MARK_FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's "Bad" and "Neutral" fills
SEVERITY_FONTS = {"error": "9C0006", "warning": "9C5700"}
TAB_COLOURS = {"error": "C00000", "warning": "FFC000", "clean": "00B050"}
MESSAGE_WIDTH = 90
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def validate(
    tracker: Tracker, *, as_of: dt.date | None = None, checks: Mapping[str, Check] | None = None
) -> list[Finding]:
    """Every finding of every enabled check, in sheet, row and column order.

    ``as_of`` is the date stale updates are judged at (default: the Plan sheet's
    report date); ``checks`` replaces the rule set's checks.
    """
    ctx = Context(tracker, as_of or tracker.plan.info.report_date)
    findings: list[Finding] = []
    for check in (checks if checks is not None else tracker.rules.checks).values():
        if check.enabled:
            findings.extend(check.run(ctx))
    return sorted(findings, key=_order(tracker))


def _order(tracker: Tracker) -> Callable[[Finding], tuple[int, int, int, str, str]]:
    sheets = {normalise_header(s.name): i for i, s in enumerate(tracker.rules.sheets)}

    def key(f: Finding) -> tuple[int, int, int, str, str]:
        where = split_cell(f.cell) if f.cell else None
        return (
            sheets.get(normalise_header(f.sheet), len(sheets)),
            f.row or 0,
            where[1] if where else 0,
            f.code,
            f.message,
        )

    return key


def split_cell(cell: str) -> tuple[int, int] | None:
    """'F12' -> (12, 6): row and column, from 1."""
    m = _CELL.match(cell.strip())
    if not m:
        return None
    number = 0
    for ch in m[1].upper():
        number = number * 26 + ord(ch) - 64
    return int(m[2]), number


@dataclass(frozen=True)
class Summary:
    """Counts of findings: overall and by sheet (sheets in the order found)."""

    errors: int
    warnings: int
    by_sheet: dict[str, Counter[str]]

    @property
    def clean(self) -> bool:
        return not self.errors and not self.warnings

    def line(self) -> str:
        return f"{plural(self.errors, 'error')}, {plural(self.warnings, 'warning')}"


def summarise(findings: Iterable[Finding]) -> Summary:
    by_sheet: dict[str, Counter[str]] = {}
    for f in findings:
        by_sheet.setdefault(f.sheet, Counter())[f.severity] += 1
    errors = sum(c["error"] for c in by_sheet.values())
    warnings = sum(c["warning"] for c in by_sheet.values())
    return Summary(errors, warnings, by_sheet)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ------------------------------------------------------------ in the workbook


def previous_marks(grids: Mapping[str, Grid]) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell the last run marked, from its Validation sheet."""
    grid = next((g for name, g in grids.items() if normalise_header(name) == normalise_header(SHEET)), None)
    if grid is None:
        return set()
    marks: set[tuple[str, str]] = set()
    columns: dict[str, int] | None = None
    for row in grid.values:
        if columns is None:
            found = {normalise_header(v): i for i, v in enumerate(row) if isinstance(v, str)}
            if "sheet" in found and "cell" in found:
                columns = found
            continue
        sheet, cell = _at(row, columns["sheet"]), _at(row, columns["cell"])
        if sheet and cell and split_cell(cell):
            marks.add((sheet, cell.replace("$", "").upper()))
    return marks


def _at(row: list[Any], i: int) -> str | None:
    return as_text(row[i]) if i < len(row) else None


def link(sheet: str, cell: str) -> str:
    """An in-workbook hyperlink target: #'Actions'!F12."""
    return "#'" + sheet.replace("'", "''") + "'!" + cell


def row_refs(tracker: Tracker) -> dict[str, dict[int, str]]:
    """Each table's row number -> the row's key (action ref, indicator code, lead name ...)."""
    out: dict[str, dict[int, str]] = {}
    for table in tracker.tables.values():
        rule = table.rule
        at = table.index(rule.key) if rule and rule.key else None
        if at is None:
            continue
        out[table.sheet] = {n: as_text(r[at]) or "" for n, r in zip(table.row_numbers, table.rows)}
    return out


def validation_changes(
    tracker: Tracker,
    findings: list[Finding],
    previous: Iterable[tuple[str, str]] = (),
    *,
    as_of: dt.date | None = None,
) -> Changes:
    """What to write: the Validation sheet, a mark on each offending cell, and the
    last run's marks cleared (fill and note removed) where the cell is now clean.
    Values are never written."""
    marks = _marks(findings)
    sheets = {normalise_header(n): n for n in tracker.sheet_names}
    cells: list[CellWrite] = []
    for sheet, cell in sorted(set(previous)):
        actual = sheets.get(normalise_header(sheet))
        where = split_cell(cell)
        if actual is None or where is None or (normalise_header(actual), where) in marks:
            continue
        cells.append(CellWrite(actual, where[0], where[1], fill=None, note=None))
    for (_, (row, column)), (sheet, severity, lines) in marks.items():
        note = "\n".join(f"plantrack: {line}" for line in lines) + "\n(See the Validation sheet.)"
        cells.append(CellWrite(sheet, row, column, fill=MARK_FILLS[severity], note=note))
    report = validation_sheet(tracker, findings, as_of=as_of)
    return Changes(cells=cells, sheets=[report])


def _marks(findings: Iterable[Finding]) -> dict[tuple[str, tuple[int, int]], tuple[str, str, list[str]]]:
    marks: dict[tuple[str, tuple[int, int]], tuple[str, str, list[str]]] = {}
    for f in findings:
        where = split_cell(f.cell) if f.cell else None
        if where is None:
            continue
        key = (normalise_header(f.sheet), where)
        sheet, severity, lines = marks.get(key, (f.sheet, "warning", []))
        lines.append(f"{f.message} [{f.code}]")
        marks[key] = (sheet, "error" if "error" in (severity, f.severity) else "warning", lines)
    return marks


def validation_sheet(
    tracker: Tracker, findings: list[Finding], *, as_of: dt.date | None = None
) -> GeneratedSheet:
    """The Validation sheet: a summary line, then one row per finding with a link to its cell."""
    info = tracker.plan.info
    when = as_of or info.report_date
    at = f" as at {format_uk(when)}" if when else ""
    summary = summarise(findings)
    title = f"Validation — {info.title}" if info.title else "Validation"
    if summary.clean:
        line = f"No problems found: every row passes the rules{at}."
        return GeneratedSheet(
            SHEET,
            [[title], [line]],
            header_row=0,
            title_rows=2,
            widths={1: 110},
            tab_colour=TAB_COLOURS["clean"],
            freeze="A3",
        )
    line = (
        f"Checked{at}: {summary.line()}. Errors must be fixed; warnings are worth a look. Click a cell "
        "address to go to the cell; the cells are marked in the sheets. Run Validate again after fixing."
    )
    rows: list[list[Any]] = [[title], [line], [], list(HEADERS)]
    refs = row_refs(tracker)
    links: dict[tuple[int, int], str] = {}
    fills: dict[tuple[int, int], str] = {}
    fonts: dict[tuple[int, int], str] = {}
    for r, f in enumerate(findings, start=TITLE_ROWS + 2):
        ref = refs.get(f.sheet, {}).get(f.row or 0, "") if f.cell else ""
        rows.append([f.sheet, f.cell or "", ref, f.column or "", f.severity, f.code, f.message])
        if f.cell:
            links[(r, 2)] = link(f.sheet, f.cell)
        else:
            links[(r, 1)] = link(f.sheet, f"A{f.row or 1}")
        fills[(r, 5)] = MARK_FILLS[f.severity]
        fonts[(r, 5)] = SEVERITY_FONTS[f.severity]
    widths: dict[int, float] = {1: 14, 2: 8, 3: 12, 4: 18, 5: 9, 6: 22, 7: MESSAGE_WIDTH}
    heights = {r: _height(row[6]) for r, row in enumerate(rows, start=1) if r > TITLE_ROWS + 1}
    return GeneratedSheet(
        SHEET,
        rows,
        header_row=TITLE_ROWS + 1,
        title_rows=TITLE_ROWS,
        widths=widths,
        wrap_columns={7},
        number_formats={2: "@", 3: "@"},
        fills=fills,
        font_colours=fonts,
        links=links,
        tab_colour=TAB_COLOURS["error" if summary.errors else "warning"],
        freeze=f"A{TITLE_ROWS + 2}",
        row_heights={r: h for r, h in heights.items() if h},
    )


def _height(message: str) -> float | None:
    """Points for a row whose wrapped message needs more than one line (spreadsheet programs
    do not all fit rows to wrapped text written by a program)."""
    lines = -(-len(message) // int(MESSAGE_WIDTH * 1.1))
    return round(lines * 12.75 + 2, 1) if lines > 1 else None


# ------------------------------------------------------------------- the docs


def rule_codes_markdown(rules: RuleSet | None = None) -> str:
    """docs/rule-codes.md: every finding code, every check type and its settings,
    and the checks the default rule set runs. Generated from the registry."""
    rules = rules or load_rules()
    codes = all_codes()
    used_by: dict[str, list[str]] = {}
    for name, check in rules.checks.items():
        used_by.setdefault(check.type, []).append(name)
    out = [
        "# Validation rule codes",
        "",
        "<!-- Generated from the check registry (addin/jobs/checks.py) and rules/default.toml by",
        "     `python -m addin.jobs.validate > docs/rule-codes.md`. Do not edit by hand: a test",
        "     checks that this file is up to date. -->",
        "",
        "`plantrack validate` (and the Validate button) reports each problem it finds as a",
        "*finding*: the sheet, row, column and cell, a **code** from the table below, a",
        "**severity** and a message saying what to do. Codes are stable: filter on them, or",
        "change a check's settings for your plan in `plantrack.toml` (see the end of this page).",
        "",
        "- **error** — must be fixed: `plantrack validate` exits with 1 while there is one.",
        "- **warning** — worth a look; does not change the exit code.",
        "",
        "## Codes",
        "",
        "| code | severity | check type | what it means |",
        "|---|---|---|---|",
    ]
    for code, (kind, about) in sorted(codes.items()):
        out.append(f"| `{code}` | {about.severity} | [`{kind}`](#{kind}) | {about.meaning} |")
    out += [
        "",
        "## Check types",
        "",
        "Each `[checks.NAME]` table in a rules file names its `type` and gives its settings.",
        'Every type also takes `enabled` (true/false) and `severity` (`"error"` or',
        '`"warning"`, for everything the check finds).',
        "",
    ]
    for kind, cls in sorted(CHECKS.items()):
        doc = " ".join((cls.__doc__ or "").split()).replace("``", "`")
        out += [f"### `{kind}`", "", doc, "", "Codes: " + ", ".join(f"`{c}`" for c in cls.codes) + ".", ""]
        params = [(n, f) for n, f in cls.model_fields.items() if n not in ("type", "enabled", "severity")]
        if params:
            out += ["| setting | default | meaning |", "|---|---|---|"]
            for name, fld in params:
                default = fld.get_default(call_default_factory=True)
                shown = (
                    "*(required)*"
                    if fld.is_required()
                    else "*(none)*"
                    if default is None
                    else f"`{toml_value(default)}`"
                )
                out.append(f"| `{name}` | {shown} | {fld.description or ''} |")
            out.append("")
        names = used_by.get(kind, [])
        out += [
            ("In the default rules: " + ", ".join(f"`[checks.{n}]`" for n in names) + ".")
            if names
            else "Not used by the default rules.",
            "",
        ]
    out += [
        "## The default rule set",
        "",
        "| check | type | settings |",
        "|---|---|---|",
    ]
    for name, check in rules.checks.items():
        settings = check.model_dump(exclude={"type", "enabled", "severity"}, exclude_none=True)
        text = ", ".join(f"{k} = {toml_value(v)}" for k, v in settings.items() if v != [])
        out.append(f"| `{name}` | `{check.type}` | {('`' + text + '`') if text else ''} |")
    out += [
        "",
        "## Changing a check for your plan",
        "",
        "Put the change in `plantrack.toml` beside the tracker; everything else keeps its",
        "default. For example, to treat stale updates as errors after 30 days and not to",
        "ask for evidence on completed actions:",
        "",
        "```toml",
        "[checks.stale-updates]",
        'severity = "error"',
        "days = 30",
        "",
        "[checks.done-needs-evidence]",
        "enabled = false",
        "```",
        "",
        "A check type that does not exist, or a setting it does not take, stops plantrack",
        "with a message naming the file and the check.",
        "",
    ]
    return "\n".join(out)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    return str(value)


if __name__ == "__main__":  # pragma: no cover - python -m addin.jobs.validate > docs/rule-codes.md
    print(rule_codes_markdown(), end="")
