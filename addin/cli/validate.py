"""plantrack validate PATH [--json] [--write] [--as-of DATE]: check every row against the rules."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from .output import console, err_console, print_warnings, say

if TYPE_CHECKING:  # the job is imported when the command runs, not to build the parser
    from ..jobs.validate import Finding
    from ..reader import Tracker
    from ..tables import Grid

ORDER = 20


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate",
        help="check every row against the rules and list what to fix (--write marks the cells)",
        description="Check every row of the tracker against the rules in rules/ (required cells, real "
        "dates, lists, refs, leads and agencies, dates in order, completed actions with evidence, "
        "stale updates, text that would run as a formula) and list every problem, grouped by sheet. "
        "Exit code 0: no errors (warnings allowed); 1: errors found; 2: the file cannot be used. "
        "The codes are listed in docs/rule-codes.md.",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the findings as a JSON array of objects "
        "with the keys sheet, row, column, cell, code, severity and message",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="write a Validation sheet into the workbook and mark the cells to fix (a backup is kept)",
    )
    p.add_argument(
        "--as-of",
        type=as_of_date,
        metavar="DATE",
        help="judge stale updates as at this date (dd/mm/yyyy) instead of the Plan sheet's report date",
    )
    return p


def as_of_date(text: str) -> dt.date:
    from ..dates import read_uk_date

    reading = read_uk_date(text)
    if reading is None or reading.kind != "date" or reading.end is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; give it as dd/mm/yyyy")
    return reading.end


def read_for_validation(path: Path) -> tuple[Tracker, dict[str, Grid]]:
    """The tracker and every sheet's grid (the Validation sheet holds the last run's marks)."""
    from ..files import read_master

    return read_master(path)


def run(args: argparse.Namespace) -> int:
    from ..files import apply_changes
    from ..guard import check_not_open_in_excel
    from ..jobs.validate import plural, previous_marks, validate, validation_changes

    path: Path = args.path
    if args.write:
        check_not_open_in_excel(path)  # refuse before any work, not after
    tracker, grids = read_for_validation(path)
    print_warnings(tracker)
    findings = validate(tracker, as_of=args.as_of)
    if args.json:
        text = json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False)
        console.out(text, highlight=False)
    else:
        report(tracker, findings, args.as_of, writing=args.write)
    if args.write:
        changes = validation_changes(tracker, findings, previous_marks(grids), as_of=args.as_of)
        del tracker, grids  # not needed to write: let them go first (lower peak memory)
        apply_changes(path, changes)
        marked = sum(1 for c in changes.cells if c.fill)
        cleared = len(changes.cells) - marked
        tell = err_console.print if args.json else say
        tell(
            escape(
                f"Wrote the Validation sheet into {path.name} and marked {plural(marked, 'cell')}"
                + (f" (cleared {plural(cleared, 'mark')} of the last run)" if cleared else "")
                + f"; the file as it was is in {path.parent / 'plantrack-backups'}."
            )
        )
    return 1 if any(f.severity == "error" for f in findings) else 0


def report(
    tracker: Tracker, findings: list[Finding], as_of: dt.date | None, *, writing: bool = False
) -> None:
    """The readable report: what was checked, counts by sheet, then every finding by sheet."""
    from ..dates import format_uk
    from ..jobs.validate import summarise

    plan = tracker.plan
    when = as_of or plan.info.report_date
    at = f" as at {format_uk(when)}" if when else ""
    name = tracker.path.name if tracker.path else "the tracker"
    say(
        escape(
            f"Checked {name}{at}: {len(plan.actions)} actions, {len(plan.milestones)} milestones, "
            f"{len(plan.indicators)} indicators."
        )
    )
    summary = summarise(findings)
    if summary.clean:
        say("No problems found: every row passes the rules.")
        return
    say(f"[bold]{summary.line()}[/]")
    say()
    width = max(len(s) for s in summary.by_sheet)
    for sheet, counts in summary.by_sheet.items():
        parts = [_count(counts["error"], "error", "red"), _count(counts["warning"], "warning", "yellow")]
        parts = [p for p in parts if p]
        say(f"  {escape(sheet.ljust(width))}  " + ", ".join(parts))
    refs = _ref_lookup(tracker)
    current = None
    for f in findings:
        if f.sheet != current:
            current = f.sheet
            say()
            say(f"[bold]{escape(f.sheet)}[/]")
        where = f.cell or "(sheet)"
        ref = refs.get((f.sheet, f.row or 0), "") if f.cell else ""
        style = "red" if f.severity == "error" else "yellow"
        say(
            f"  {escape(where.ljust(6))} {escape(ref.ljust(8))} [{style}]{f.severity:<7}[/] "
            f"{escape(f.code)}: {escape(f.message)}"
        )
    say()
    advice = (
        "Fix the errors, then run 'plantrack validate' again."
        if summary.errors
        else "No errors: the warnings are worth a look."
    )
    if not writing:
        advice += " Add --write to list them on a Validation sheet in the workbook and mark the cells."
    say(advice)


def _count(n: int, word: str, style: str) -> str:
    if not n:
        return ""
    return f"[{style}]{n} {word}{'' if n == 1 else 's'}[/]"


def _ref_lookup(tracker: Tracker) -> dict[tuple[str, int], str]:
    from ..jobs.validate import row_refs

    return {(sheet, row): ref for sheet, rows in row_refs(tracker).items() for row, ref in rows.items()}
