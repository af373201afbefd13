"""plantrack merge PATH RETURN.xlsx [...] [--json]: merge partner returns into the master."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..jobs.merge import MergeItem, ReturnOutcome
from ..jobs.merge_report import KIND_WORDS
from ..jobs.returns_status import state_counts
from ..partner_files import MergeRun, merge_files
from .output import say, track

ORDER = 50
SHOWN_ITEMS = 15  # conflicts, rejections ... listed by name; the rest are on the Merge report
SHOWN_NOTES = 3  # notes per return (hidden rows, merged cells ...); the rest are on the Merge report


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
        "Exit code 0: everything merged cleanly (or nothing new to merge); 1: something to look at: "
        "conflicts, proposals or rejected edits (on the Merge report), or refused files (printed with "
        "the reason; when every file is refused the master is not changed); 2: the master cannot be used.",
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


def outcome_counts(outcome: ReturnOutcome) -> str:
    """'2 changes applied, 1 conflict, 1 rejected edit' (or 'nothing applied, ...')."""
    counts = [_plural(outcome.applied, "change") + " applied" if outcome.applied else "nothing applied"]
    for n, word in (
        (outcome.conflicts, "conflict"),
        (outcome.proposals, "proposal"),
        (outcome.rejected, "rejected edit"),
    ):
        if n:
            counts.append(_plural(n, word))
    return ", ".join(counts)


def _arg(path: Path) -> str:
    return f'"{path.name}"' if " " in path.name else path.name


def report(run: MergeRun) -> None:
    result = run.result
    states = [o.state for o in result.outcomes]
    parts = [f"{states.count(s)} {s}" for s in ("merged", "already merged", "refused") if states.count(s)]
    say(f"Read {_plural(len(states), 'returned file')} for {run.master.name}: {', '.join(parts)}.")
    for outcome in result.outcomes:
        if outcome.state == "refused":
            continue
        if outcome.state == "already merged":  # its notes were shown when it was merged
            said = outcome.note or "Already merged: nothing new."
            say(f"  {outcome.agency} — {outcome.file}: {said[0].lower()}{said[1:]}")
            continue
        say(f"  {outcome.agency} — {outcome.file}: {outcome_counts(outcome)}")
        if outcome.note:
            say(f"    {outcome.note}")
        for note in outcome.warnings[:SHOWN_NOTES]:
            say(f"    Note: {note}")
        if len(outcome.warnings) > SHOWN_NOTES:
            say(f"    Note: ... and {len(outcome.warnings) - SHOWN_NOTES} more on the Merge report sheet")
    for outcome in result.outcomes:  # after the others: nothing was taken from these
        if outcome.state == "refused":
            say(f"  REFUSED {outcome.file}: {outcome.reason}")
    look = [i for i in result.to_look_at if i.kind != "refused"]
    if look:
        say("")
        say("To look at (Merge report sheet):")
        for item in look[:SHOWN_ITEMS]:
            say(f"  {item_line(item)}")
        if len(look) > SHOWN_ITEMS:
            say(f"  ... and {len(look) - SHOWN_ITEMS} more on the Merge report sheet")
    say("")
    for line in closing(run):
        say(line)


def closing(run: MergeRun) -> list[str]:
    """What was written, where the returns stand, and what to do next, for what actually happened."""
    result = run.result
    name = run.master.name
    states = [o.state for o in result.outcomes]
    refused = states.count("refused")
    lines = []
    if result.write_needed:
        lines.append(
            f"Wrote {name}: {_plural(result.count('applied'), 'change')} applied (Audit log), "
            "Merge report and Returns sheets (a backup is in plantrack-backups/)."
        )
    elif states and refused == len(states):
        every = {1: "the returned file was", 2: "both returned files were"}.get(
            refused, f"all {refused} returned files were"
        )
        why = "reason" if refused == 1 else "reasons"
        lines.append(f"Nothing was merged: {every} refused ({why} above). {name} was not changed.")
    else:
        already = _plural(states.count("already merged"), "return")
        lines.append(
            f"{name} was not changed: nothing new to merge ({already} already merged"
            + (f", {refused} refused)." if refused else ").")
        )
    if result.statuses:
        by_state = state_counts(result.statuses)
        lines.append("Returns: " + " · ".join(f"{k} {v}" for k, v in by_state.items()))
    if run.chasers:
        lines.append(f"Wrote {_plural(len(run.chasers), 'reminder')} to send in {run.chasers[0].parent}:")
        for path, draft in zip(run.chasers, run.reminders):
            lines.append(f"  {path.name} ({draft.agency}, {draft.state.lower()}, due {draft.due:%d/%m/%Y})")
    lines.append("Next: " + next_steps(run))
    return lines


def next_steps(run: MergeRun) -> str:
    result = run.result
    refused = sum(1 for o in result.outcomes if o.state == "refused")
    if not result.write_needed:
        if refused:
            which = "the refused file" if refused == 1 else "each refused file"
            return (
                f"ask for {which} again (why it was refused is above; to send the agency a fresh copy to "
                f'fill in: plantrack issue {_arg(run.master)} --agency "NAME"), then merge again.'
            )
        if result.to_look_at:
            return "nothing new in these files; work through the Merge report sheet if you have not yet."
        return "nothing new to do for these files."
    todo = []
    if result.count("conflict") or result.count("proposal"):
        todo.append("decide each conflict and proposal")
    if result.count("rejected"):
        todo.append("check the rejected edits")
    steps = []
    if todo:
        steps.append("on the Merge report sheet, " + " and ".join(todo))
    if refused:
        steps.append(f"ask the agencies again for the {_plural(refused, 'refused file')} (why: see above)")
    if result.count("applied"):
        steps.append("run 'plantrack rag' to recalculate RAG with the new progress")
    if not steps:
        return "nothing else: every return merged cleanly."
    return "; then ".join(steps) + "."
