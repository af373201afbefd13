"""plantrack import SOURCE.xlsx --out MASTER.xlsx: turn a plan kept in Excel into a master tracker.

The module is ``import_`` because ``import`` is a Python keyword; the command is
``plantrack import``. The job is ``addin.jobs.importer.import_plan``; this module
reads the source through the guard (never writing it) and writes the new
master with its "Import report" sheet.

Exit codes: 0 imported and nothing to check; 1 imported, with cells that need
checking (listed, and on the Import report sheet); 2 nothing imported (the
source is not a workbook, has no action table, or an option is wrong).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from ..errors import WriteRefused
from ._options import parse_date
from .output import say as _say_markup

if TYPE_CHECKING:  # the jobs are imported when a command runs, not to build the parser
    from ..jobs.importer import ImportResult
    from ..rules import RuleSet


def say(text: str = "") -> None:
    """Print plain text: a value like "[draft]" in a plan is not rich markup."""
    _say_markup(escape(text))


ORDER = 12


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "import",
        help="turn the plan you already keep in Excel into a new master tracker",
        description="Read the action table of an existing plan (a spreadsheet in your own layout, or a "
        "Word table pasted into Excel), map its headers to the tracker's columns (rules/import.toml, "
        "or --map) and write a new master tracker with an 'Import report' sheet. The source file is "
        "only read, never changed. Exit code 0: imported, nothing to check; 1: imported, some cells "
        "need checking (listed); 2: nothing imported.",
    )
    p.add_argument("source", type=Path, help="the workbook (.xlsx) holding your plan")
    p.add_argument("--out", type=Path, required=True, help="the new master tracker to write (.xlsx)")
    p.add_argument(
        "--sheet", help="the sheet holding the action table (default: the one that looks most like one)"
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar='"SOURCE HEADER=TRACKER COLUMN"',
        help='say what a header means, e.g. --map "Key tasks=Action" (repeat for several)',
    )
    p.add_argument(
        "--as-of", metavar="DATE", help="the report date of the new tracker (default: today), e.g. 31/10/2019"
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists (a backup is kept)")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    return p


def parse_as_of(text: str | None) -> dt.date:
    """The --as-of date (ISO or UK); today when not given."""
    return parse_date(text or None, "--as-of") or dt.date.today()


def import_file(
    source: Path,
    out: Path,
    *,
    sheet: str | None = None,
    maps: Sequence[str] = (),
    as_of: dt.date | None = None,
    force: bool = False,
    rules: RuleSet | None = None,
) -> ImportResult:
    """Import ``source`` into a new master at ``out``; returns the import result."""
    source, out = Path(source), Path(out)
    if out.suffix.lower() != ".xlsx":
        raise WriteRefused(out, "the new tracker must be an .xlsx file", "give --out a name ending in .xlsx")
    if out.exists() and source.exists() and out.resolve() == source.resolve():
        raise WriteRefused(
            out, "this is the source file: import never writes into it", "give --out a new file name"
        )
    if out.exists() and not force:
        raise WriteRefused(
            out, "the file already exists", "choose another name, or add --force to replace it"
        )
    from ..files import read_grids
    from ..jobs.import_map import load_import_rules, parse_map_option
    from ..jobs.importer import import_plan
    from ..rules import load_rules

    rules = rules or load_rules()
    import_rules = load_import_rules(rules)
    overrides = [parse_map_option(m, rules) for m in maps]
    grids = read_grids(source, rules.limits)
    result = import_plan(
        grids,
        rules,
        import_rules,
        as_of=as_of or dt.date.today(),
        sheet=sheet,
        overrides=overrides,
        source=source,
    )
    write_imported(result, out, rules)
    return result


def write_imported(result: ImportResult, out: Path, rules: RuleSet) -> Path:
    """Write the imported plan and its Import report sheet as a new tracker (atomically)."""
    from ..changes import Changes
    from ..files import save_workbook
    from ..jobs.import_report import report_sheet
    from ..writer import build_workbook
    from ..xlsx_changes import apply_to_workbook

    wb = build_workbook(result.plan, rules)
    info = result.plan.info
    sheet = report_sheet(result)
    apply_to_workbook(
        wb,
        Changes(sheets=[sheet]),
        context={"title": info.title, "marking": info.protective_marking, "report_date": info.report_date},
    )
    _fit_row_heights(wb[sheet.name], sheet.widths, sheet.wrap_columns, first=sheet.header_row + 1)
    return save_workbook(wb, out, backup=True)


def _fit_row_heights(
    ws: Any, widths: dict[int, float], wrap: set[int], first: int, line_points: float = 13
) -> None:
    """Give rows of wrapped text the height their text needs (LibreOffice does not work it out)."""
    for row in ws.iter_rows(min_row=first):
        lines = 1
        for cell in row:
            if cell.column in wrap and isinstance(cell.value, str):
                per_line = max(int(widths.get(cell.column, 10) * 1.3), 1)
                lines = max(lines, sum(-(-len(part) // per_line) or 1 for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * line_points


def run(args: argparse.Namespace) -> int:
    from ..jobs.import_report import checks_line, column_lines, counts_line, note_line

    result = import_file(
        args.source,
        args.out,
        sheet=args.sheet,
        maps=args.map,
        as_of=parse_as_of(args.as_of),
        force=args.force,
    )
    if args.json:
        say(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 1 if result.needs_attention else 0
    say(
        f"Imported {args.source} (sheet '{result.sheet}', header on row {result.header_row}) into {args.out}:"
    )
    say(f"  {counts_line(result)}.")
    say("Columns:")
    for line in column_lines(result):
        say(f"  {line}")
    checks = result.attention
    if checks:
        say(f"{checks_line(result).capitalize()} (also on the 'Import report' sheet of {args.out}):")
        for note in checks:
            say(f"  {note_line(note)}")
    else:
        say("Nothing to check: every cell was read.")
    say(f"Next: open {args.out}, read the Import report sheet, then run 'plantrack validate {args.out}'.")
    return 1 if checks else 0


# ------------------------------------------------------------------- the demo

_MONTHS = ("January February March April May June July August September October November December").split()


def write_example_source(path: Path, areas: int = 3) -> Path:
    """An "existing plan" as a council keeps it, made from the built-in example's first
    areas: a title, numbered area headings, Outcome rows, the header repeated per area,
    refs inside the action text and timescales typed as words ("Sept 2019.", "Ongoing.")."""
    from openpyxl import Workbook

    from ..example import AREAS, example_plan

    plan = example_plan()
    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws.append([f"{plan.info.title} (as kept before plantrack)"])
    ws.append([])
    header = [
        "Impact of actions",
        "Original Target / Timescales",
        "Progress",
        "Lead Officer/ Executive Head",
        "Agency",
    ]
    for number in range(1, areas + 1):
        _short, heading, outcome = AREAS[number]
        ws.append([f"{number}. {heading}"])
        ws.append(["Outcome"])
        ws.append([f"- {outcome}"])
        ws.append(header)
        for action in plan.actions:
            if action.ref.split(".")[0] != str(number):
                continue
            due = action.due_date
            when = (
                "Ongoing."
                if due is None
                else (
                    f"{_MONTHS[due.month - 1]} {due.year}."
                    if (due + dt.timedelta(days=1)).month != due.month
                    else f"{due.day}.{due.month}.{due.year % 100:02d}"
                )
            )
            progress = action.progress_update or ""
            if action.status == "Completed":
                progress = f"Completed: {progress}"
            ws.append(
                [f"{action.ref} {action.action}", when, progress, action.lead_officer, action.lead_agency]
            )
        ws.append([])
    wb.save(path)
    return path


def demo_step(folder: Path, number: int) -> ImportResult:
    """The demo's import step: an existing plan in a council's own layout -> a new master."""
    from ..jobs.import_report import checks_line, column_lines, counts_line

    source = write_example_source(folder / "existing-plan.xlsx")
    out = folder / "imported-tracker.xlsx"
    result = import_file(source, out, as_of=dt.date(2019, 10, 31), force=True)
    say(
        f"{number}. Imported an existing plan kept in a council's own layout (plantrack import {source.name} "
        f"--out {out.name}): {counts_line(result)}; {checks_line(result)}."
    )
    say(f"   Columns: {'; '.join(column_lines(result))}.")
    say(
        "   Headings became themes, Outcome rows outcomes, refs were taken from the action text and "
        "'Sept 2019.' read as 30/09/2019; the Import report sheet lists every decision."
    )
    return result
