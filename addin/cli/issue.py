"""plantrack issue PATH [--out DIR] [--agency NAME ...] [--due DATE] [--json]: partner copies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ._options import parse_date
from .output import say

if TYPE_CHECKING:  # the jobs are imported when the command runs, not to build the parser
    from ..partner_files import IssueRun

ORDER = 40
# partner_files.DEFAULT_COPIES_FOLDER, named here for --help without importing the jobs
# (tests/test_cli_startup.py checks the two agree)
DEFAULT_COPIES_FOLDER = "partner copies"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "issue",
        help="write one plain .xlsx copy per partner agency holding only its rows, to fill in and send back",
        description="Write one plain .xlsx per agency (no macros) holding only that agency's actions (by "
        "Lead agency), their milestones and its indicators with their periods. The columns a partner may "
        "change (status, % complete, progress update, evidence, completed date, revised due date, "
        "indicator actuals) are unlocked and yellow; everything else is locked. An Instructions sheet "
        "gives the deadline and who to send it back to, and a hidden sheet records what was issued so "
        "'plantrack merge' can tell what the partner changed. The master records the issue (and gets a "
        "Plan id if it had none); it is backed up first.",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"the folder for the copies (default: the Plan sheet's Returns folder, else "
        f"'{DEFAULT_COPIES_FOLDER}' beside the master)",
    )
    p.add_argument(
        "--agency",
        action="append",
        metavar="NAME",
        help="issue to this agency only (repeat for several; default: every agency with rows)",
    )
    p.add_argument(
        "--due",
        metavar="DATE",
        help="the return deadline, YYYY-MM-DD or dd/mm/yyyy (default: the agency's Return due on "
        "the Agencies sheet, else the report date + 14 days)",
    )
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from ..partner_files import issue_to_files

    due = parse_date(args.due, "--due")
    result = issue_to_files(args.path, args.out, agencies=args.agency, due=due)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return 0
    report(result)
    return 0


def report(result: IssueRun) -> None:
    from ..dates import format_uk

    plan = result.plan
    if not plan.copies:
        say(f"No copies written for {result.master.name}.")
        for note in plan.notes:
            say(f"  {note}")
        return
    say(
        f"Issued {len(plan.copies)} partner {'copy' if len(plan.copies) == 1 else 'copies'} of "
        f"{result.master.name} into {result.out}:"
    )
    for copy, path in zip(plan.copies, result.paths):
        say(f"  {copy.agency}: {copy.summary()}; due back {format_uk(copy.due)}")
        say(f"    {path.name}")
    dues = {c.due_note for c in plan.copies}
    if len(dues) == 1:
        say(f"Due dates: {dues.pop()}.")
    else:
        for copy in plan.copies:
            say(f"Due date for {copy.agency}: {copy.due_note}.")
    for note in plan.notes:
        say(note)
    if plan.plan_id_created:
        say(f"The master had no Plan id: gave it {plan.plan_id} (on the Plan sheet; do not change it).")
    say(f"Recorded the issue in {result.master.name} (Returns sheet; a backup is in plantrack-backups/).")
    say(
        "Next: e-mail each agency its copy. When they come back, run "
        f"'plantrack merge {result.master} RETURNED-FILES...'."
    )
