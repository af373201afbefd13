"""plantrack chase PATH [--as-of DATE] [--json]: reminders for late and missing returns."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from .output import say

ORDER = 55


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "chase",
        help="draft a reminder e-mail for every agency whose return is late or missing",
        description="From the copies issued and the returns merged, work out whose return is late or "
        "missing and write a ready-to-send reminder for each (an .eml draft, with the copy attached again) "
        "into chasers/ beside the master. The master is not changed.",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument("--as-of", metavar="DATE", help="judge lateness as at this date (default: today)")
    p.add_argument("--json", action="store_true", help="print the returns and reminders as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from ..jobs.returns_status import state_counts
    from ..partner_files import chase_files
    from ._options import parse_date

    day = parse_date(args.as_of, "--as-of")
    now = dt.datetime.combine(day, dt.time(9)) if day else None
    result = chase_files(args.path, now=now)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return 0
    if not result.statuses:
        say(
            f"No copies have been issued from {args.path.name}: nothing to chase. "
            "Run 'plantrack issue' first."
        )
        return 0
    say("Returns: " + " · ".join(f"{k} {v}" for k, v in state_counts(result.statuses).items()))
    if not result.chasers:
        say("Nobody is late: no reminders written.")
        return 0
    say(f"Wrote {len(result.chasers)} reminder(s) in {result.chasers[0].parent}:")
    for path, draft in zip(result.chasers, result.reminders):
        say(
            f"  {path.name}: {draft.agency}, {draft.state.lower()} (due {draft.due:%d/%m/%Y}), "
            f"rows waiting for an update: {len(draft.outstanding)}"
        )
    say("Open each one in your mail program, check it and send it.")
    return 0
