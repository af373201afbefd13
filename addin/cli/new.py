"""plantrack new PATH [--example]: write a master tracker."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WriteRefused
from .output import say

if TYPE_CHECKING:  # the model and writer are imported when the command runs
    from ..model import Plan

ORDER = 10


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "new",
        help="write a new master tracker (empty, or the built-in example with --example)",
        description="Write a new master tracker workbook in the plantrack layout: Plan, Actions, "
        "Milestones, Indicators, Indicator data, Leads and Agencies sheets, with drop-downs, "
        "date formats and an Instructions sheet.",
    )
    p.add_argument("path", type=Path, help="the .xlsx file to write")
    p.add_argument("--example", action="store_true", help="fill it with the built-in example plan")
    p.add_argument("--force", action="store_true", help="replace the file if it exists (a backup is kept)")
    return p


def new_tracker(path: Path, example: bool = False, force: bool = False) -> Plan:
    """Write a new tracker at ``path``; returns the plan written."""
    if path.suffix.lower() != ".xlsx":
        raise WriteRefused(path, "a tracker must be an .xlsx file", "give a file name ending in .xlsx")
    if path.exists() and not force:
        raise WriteRefused(
            path, "the file already exists", "choose another name, or add --force to replace it"
        )
    from ..example import example_plan
    from ..model import Plan, PlanInfo
    from ..rules import load_rules
    from ..writer import write_tracker

    plan = example_plan() if example else Plan(info=PlanInfo(title="Improvement plan"))
    write_tracker(plan, load_rules(), path)
    return plan


def run(args: argparse.Namespace) -> int:
    plan = new_tracker(args.path, args.example, args.force)
    if args.example:
        say(
            f"Wrote the example tracker {args.path}: {len(plan.actions)} actions, "
            f"{len(plan.milestones)} milestones, {len(plan.indicators)} indicators."
        )
    else:
        say(f"Wrote a new empty tracker {args.path}.")
    say(f"Next: fill in the Plan sheet and the actions, then run 'plantrack validate {args.path}'.")
    return 0
