"""The demo: the main job on the built-in example, end to end.

Each step is a function taking the demo folder and the master's path; steps
print what they did in the users' words. ``run_demo`` runs them in order.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .cli.output import say

Step = Callable[[Path, Path], None]


def step_new(folder: Path, master: Path) -> None:
    from .cli.new import new_tracker

    plan = new_tracker(master, example=True, force=True)
    say(f"1. Wrote the example master tracker: {master}")
    say(f"   {plan.info.title} ({plan.info.organisation}): {len(plan.actions)} actions, "
        f"{len(plan.milestones)} milestones, {len(plan.indicators)} indicators, "
        f"{len(plan.agencies)} agencies; report date {plan.info.report_date:%d/%m/%Y}.")


STEPS: list[Step] = [step_new]


def run_demo(folder: Path) -> int:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "example-tracker.xlsx"
    for leftover in (folder / "plantrack-backups",):
        shutil.rmtree(leftover, ignore_errors=True)
    say("plantrack demo — the built-in example plan (Haringey's 2019 Ofsted action plan)")
    say("")
    for step in STEPS:
        step(folder, master)
    say("")
    say(f"Done. Open {master} in Excel to see the tracker.")
    return 0
