"""plantrack rag PATH [--as-of DATE] [--dry-run] [--json]: recalculate RAG."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UnusableWorkbook
from ._options import parse_date
from .output import print_warnings, progress, rag_counts_line, say

if TYPE_CHECKING:  # the job is imported when the command runs, not to build the parser
    from ..jobs.rag import RagResult
    from ..model import Plan
    from ..rules import RuleSet

ORDER = 30
SHOWN_RED = 10  # Red actions listed by name; the rest are counted


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "rag",
        help="recalculate the RAG of every action, milestone and indicator, with a reason for each",
        description="Work out Blue/Green/Amber/Red for every action and milestone (from status, due "
        "dates and milestones) and every indicator (actual against target, by polarity), as at the "
        "Plan sheet's report date, and write RAG, RAG reason and Direction into the tracker. RAG "
        "overrides with a reason win and are shown as overrides. Impact ratings, progress and "
        "everything else people typed are left as they are. The rules and thresholds are in "
        "rules/default.toml; a plantrack.toml beside the tracker can change them.",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="work RAG out as at this date (YYYY-MM-DD or dd/mm/yyyy) instead of the report date",
    )
    p.add_argument("--dry-run", action="store_true", help="print the counts but do not change the tracker")
    p.add_argument(
        "--json",
        action="store_true",
        help="print every RAG and reason as JSON (implies nothing "
        "else is printed; combine with --dry-run to leave the tracker as it is)",
    )
    p.add_argument(
        "--rules", type=Path, metavar="FILE", help="an extra rules file to use on top of the others"
    )
    return p


def parse_as_of(text: str | None) -> dt.date | None:
    """The --as-of date: ISO (2019-10-31) or UK (31/10/2019)."""
    return parse_date(text, "--as-of")


def run(args: argparse.Namespace) -> int:
    from ..files import apply_changes, read_tracker
    from ..guard import check_not_open_in_excel
    from ..jobs.rag import rag_changes, recalculate

    as_of = parse_as_of(args.as_of)
    if not args.dry_run:
        check_not_open_in_excel(args.path)  # refuse before any work, not after
    tracker = read_tracker(args.path, extra_rules=args.rules)
    print_warnings(tracker)
    if as_of is None and tracker.plan.info.report_date is None:
        typed = tracker.plan_sheet.values.get("reportdate")
        if typed not in (None, ""):
            raise UnusableWorkbook(
                args.path,
                f"the Plan sheet's Report date '{typed}' is not a date Excel knows",
                "type it as a date (e.g. 31/10/2019), or give one with --as-of",
            )
    result = recalculate(tracker.plan, tracker.rules, as_of)
    rules, unused = tracker.rules, unused_overrides(tracker.plan, result)
    if not args.dry_run:
        changes = rag_changes(tracker, result)
        # The plan is not needed to write its RAG: let it go first (on a 20,000-action
        # plan the peak memory falls by a third).
        del tracker
        with progress(f"Writing RAG into {args.path.name}", None):
            apply_changes(args.path, changes)
    if args.json:
        say_json(result)
        return 0
    report(result, unused, rules, args.path, written=not args.dry_run, from_report_date=as_of is None)
    return 0


def unused_overrides(plan: Plan, result: RagResult) -> list[str]:
    """Refs of the actions whose RAG override was not used (no reason, or not a RAG)."""
    return [a.ref for a, r in zip(plan.actions, result.action_list) if a.rag_override and not r.override]


def say_json(result: RagResult) -> None:
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))


def _line(label: str, counts: dict[str, int]) -> str:
    from ..jobs.rag import CANCELLED

    total = sum(counts.values())
    cancelled = counts.get(CANCELLED, 0)
    shown = {k: v for k, v in counts.items() if k != CANCELLED}
    tail = f" (and {cancelled} cancelled, no RAG)" if cancelled else ""
    return f"  {label} ({total}): {rag_counts_line(shown)}{tail}"


def report(
    result: RagResult, unused: list[str], rules: RuleSet, path: Path, *, written: bool, from_report_date: bool
) -> None:
    """What was worked out, in the users' words: counts, exceptions, overrides, impact, definitions."""
    when = f"{result.as_of:%d/%m/%Y}" + (" (the report date)" if from_report_date else "")
    say(f"RAG as at {when} for {path.name}:")
    say(_line("Actions", result.counts("actions")))
    say(_line("Milestones", result.counts("milestones")))
    say(_line("Indicators", result.counts("indicators")))
    forecasts = result.counts("forecasts")
    if sum(forecasts.values()):
        say(
            f"  Indicator forecasts for the last target period ({sum(forecasts.values())}): "
            f"{rag_counts_line(forecasts)}"
        )
    reds = [(ref, r) for ref, r in result.actions.items() if r.rag == "Red"]
    if reds:
        say("")
        say(f"Red actions (exception reporting): {len(reds)}")
        for ref, r in reds[:SHOWN_RED]:
            say(f"  {ref}: {r.reason}")
        if len(reds) > SHOWN_RED:
            say(f"  ... and {len(reds) - SHOWN_RED} more (see the RAG reason column)")
    overrides = result.overrides()
    if overrides or unused:
        say("")
    if overrides:
        say(
            f"Overrides used: {len(overrides)} — "
            + ", ".join(f"{ref} {r.rag} (calculated {r.calculated or 'no RAG'})" for ref, r in overrides)
        )
    if unused:
        say(
            f"Overrides NOT used (no reason given, or not a RAG): {len(unused)} — "
            + ", ".join(unused)
            + ". Fill in Override reason to use them."
        )
    say("")
    impact = {k: v for k, v in result.impact.items() if v}
    say(
        "Impact (did it make a difference? set by you, never calculated): "
        + (" · ".join(f"{k} {v}" for k, v in impact.items()) if impact else "no actions")
    )
    definitions = rules.rag.definitions
    if definitions:
        say("")
        say("What the colours mean:")
        for name, text in definitions.items():
            say(f"  {name} — {text}")
    say("")
    if written:
        say(f"Wrote RAG, RAG reason and Direction into {path} (the old copy is in plantrack-backups/).")
        say(f"Next: check the Red rows, then build the board pack with 'plantrack pack {path}'.")
    else:
        say("Dry run: the tracker was not changed. Run again without --dry-run to write the RAG.")
