"""plantrack merge PATH RETURN.xlsx [...] [--json]: merge partner returns into the master."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..jobs.merge_report import KIND_WORDS
from ..jobs.returns_status import state_counts
from ..partner_files import MergeRun, merge_files
from .output import say, track

ORDER = 50
SHOWN_ITEMS = 15  # conflicts, rejections ... listed by name; the rest are on the Merge report


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "merge",
        help="merge the copies partner agencies sent back: their changes, conflicts, an audit log",
        description="Read each returned copy (never changing it), check it is a copy of this plan issued "
        "to that agency, and take what the partner changed since it was issued. A cell changed in the "
        "master meanwhile is a conflict, not applied. Edits to locked columns, rows of other agencies, "
        "invalid values and formulas are rejected, not applied. A revised due date is a proposal for you "
        "to accept. Every change applied goes to the Audit log sheet; conflicts and rejections to the "
        "Merge report sheet; the Returns sheet shows who has returned, who is late and who is missing, "
        "and a reminder is drafted in chasers/ for each late agency. The master is backed up first. "
        "Exit code 0: everything merged cleanly; 1: something to look at on the Merge report (conflicts, "
        "rejected edits, proposals, refused files); 2: the master cannot be used.",
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def report(run: MergeRun) -> None:
    result = run.result
    states = [o.state for o in result.outcomes]
    parts = [f"{states.count(s)} {s}" for s in ("merged", "already merged", "refused") if states.count(s)]
    say(f"Read {_plural(len(states), 'returned file')} for {run.master.name}: {', '.join(parts)}.")
    for outcome in result.outcomes:
        if outcome.state == "refused":
            say(f"  REFUSED {outcome.file}: {outcome.reason}")
            continue
        counts = [_plural(outcome.applied, "change") + " applied"]
        for n, word in (
            (outcome.conflicts, "conflict"),
            (outcome.proposals, "proposal"),
            (outcome.rejected, "rejected edit"),
        ):
            if n:
                counts.append(_plural(n, word))
        state = " (already merged: nothing new)" if outcome.state == "already merged" else ""
        say(f"  {outcome.agency} — {outcome.file}: {', '.join(counts)}{state}")
        if outcome.note and outcome.state != "already merged":
            say(f"    {outcome.note}")
    look = [i for i in result.to_look_at if i.kind != "refused"]
    if look:
        say("")
        say("To look at (Merge report sheet):")
        for item in look[:SHOWN_ITEMS]:
            where = " ".join(x for x in (item.sheet, item.ref, item.column) if x)
            values = ""
            if item.kind == "conflict":
                values = f" — master '{item.master}', partner '{item.partner}'"
            elif item.partner:
                values = f" — partner '{item.partner}'"
            say(f"  {KIND_WORDS[item.kind]}: {item.agency}, {where}{values}")
        if len(look) > SHOWN_ITEMS:
            say(f"  ... and {len(look) - SHOWN_ITEMS} more on the Merge report sheet")
    say("")
    if result.write_needed:
        say(
            f"Wrote {run.master.name}: {_plural(result.count('applied'), 'change')} applied (Audit log), "
            "Merge report and Returns sheets (a backup is in plantrack-backups/)."
        )
    else:
        say(f"{run.master.name} was not changed (nothing new to merge).")
    if result.statuses:
        by_state = state_counts(result.statuses)
        say("Returns: " + " · ".join(f"{k} {v}" for k, v in by_state.items()))
    if run.chasers:
        say(f"Wrote {_plural(len(run.chasers), 'reminder')} to send in {run.chasers[0].parent}:")
        for path, draft in zip(run.chasers, run.reminders):
            say(f"  {path.name} ({draft.agency}, {draft.state.lower()}, due {draft.due:%d/%m/%Y})")
    if result.exit_code:
        say(
            "Next: open the Merge report sheet and decide each conflict and proposal; "
            "then run 'plantrack rag'."
        )
    else:
        say("Next: run 'plantrack rag' to recalculate RAG with the new progress.")
