"""plantrack merge PATH RETURN.xlsx [...] [--json]: merge partner returns into the master."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .output import say, track

if TYPE_CHECKING:  # the job is imported when the command runs, not to build the parser
    from ..jobs.merge import MergeItem
    from ..partner_files import MergeRun

ORDER = 50
SHOWN_ITEMS = 15  # conflicts, rejections ... listed by name; the rest are on the Merge report


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "merge",
        help="merge the copies partner agencies sent back: their changes, conflicts, an audit log",
        description="Read each returned copy (never changing it), check it is a copy of this plan issued "
        "to that agency, and take what the partner changed since it was issued. A cell changed in the "
        "master meanwhile is a conflict, not applied. Edits to locked columns, rows of other agencies, "
        "invalid values, formulas and cells the partner merged are rejected, not applied. A revised due "
        "date is a proposal for you to accept. Every change applied goes to the Audit log sheet; "
        "conflicts and rejections to the Merge report sheet; the Returns sheet shows who has returned, "
        "who is late and who is missing, and a reminder is drafted in chasers/ for each late agency. "
        "The master is backed up first. Exit code 0: nothing to look at (every return merged cleanly, "
        "now or before); 1: something to look at: conflicts, proposals or rejected edits (on the Merge "
        "report), or refused files (printed with the reason; when every file is refused the master is "
        "not changed); 2: the master cannot be used.",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument(
        "returns",
        nargs="+",
        type=Path,
        metavar="RETURN",
        help="returned copies (.xlsx), or folders holding them; merged in the order given",
    )
    p.add_argument(
        "--accept-proposals",
        action="store_true",
        help="apply proposed revised due dates too (where the master has not changed them)",
    )
    p.add_argument("--no-chasers", action="store_true", help="do not write reminders for late agencies")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from ..partner_files import merge_files

    result = merge_files(
        args.path,
        args.returns,
        accept_proposals=args.accept_proposals,
        write_chasers=not args.no_chasers,
        progress=None if args.json else track,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        report(result)
    return result.result.exit_code


# Why an edit was rejected, in a few words, where the line shows the partner's value
# (a formula's value says itself that it is one, and was not run).
SHORT_WHY = {
    "locked": "a locked column",
    "formula": "",
    "formula-text": "",
    "row-gone": "the row is no longer in the master",
    "now-other-agency": "the row is now led by another agency",
    "no-master-column": "the master has no such column",
}


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def item_line(item: MergeItem) -> str:
    """One line of 'To look at': what, whose, where, and the values or why."""
    from ..jobs.merge_report import KIND_WORDS

    where = " ".join(x for x in (item.sheet, item.ref, item.column) if x) if item.ref else ""
    where = where or item.return_cell or item.sheet
    if item.kind == "conflict":
        detail = f"master '{item.master}', partner '{item.partner}'"
    elif item.kind == "proposal":
        detail = f"partner proposes '{item.partner}'" if item.partner else "partner proposes a blank"
    elif item.code in SHORT_WHY:
        value = f"partner '{item.partner}'" if item.partner else "partner emptied it"
        detail = f"{value} ({SHORT_WHY[item.code]})" if SHORT_WHY[item.code] else value
    elif item.code == "invalid":
        detail = _first_sentence(item.message).rstrip(".")
    else:
        detail = _first_sentence(item.message)
    return f"{KIND_WORDS[item.kind]}: {item.agency}" + (f", {where}" if where else "") + f" — {detail}"


def report(run: MergeRun) -> None:
    """What the merge did, as ``jobs.merge_summary`` says it (the button says the same), with
    the conflicts, proposals and rejected edits listed by name in between."""
    from ..jobs.merge_summary import closing_lines, command_wording, read_line, return_lines

    result = run.result
    words = command_wording(run.master)
    say(read_line(result, words))
    for head, under in return_lines(result):
        say(f"  {head}")
        for line in under:
            say(f"    {line}")
    look = [i for i in result.to_look_at if i.kind != "refused"]
    if look:
        say("")
        say("To look at (Merge report sheet):")
        for item in look[:SHOWN_ITEMS]:
            say(f"  {item_line(item)}")
        if len(look) > SHOWN_ITEMS:
            say(f"  ... and {len(look) - SHOWN_ITEMS} more on the Merge report sheet")
    say("")
    for line in closing_lines(result, words, run.chasers, run.reminders):
        say(line)
