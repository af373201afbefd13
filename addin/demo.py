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
    say(
        f"   {plan.info.title} ({plan.info.organisation}): {len(plan.actions)} actions, "
        f"{len(plan.milestones)} milestones, {len(plan.indicators)} indicators, "
        f"{len(plan.agencies)} agencies; report date {plan.info.report_date:%d/%m/%Y}."
    )


def step_validate(folder: Path, master: Path) -> None:
    from .cli.validate import read_for_validation
    from .files import apply_changes
    from .jobs.validate import previous_marks, summarise, validate, validation_changes

    tracker, grids = read_for_validation(master)
    findings = validate(tracker)
    apply_changes(master, validation_changes(tracker, findings, previous_marks(grids)))
    summary = summarise(findings)
    number = STEPS.index(step_validate) + 1
    say(
        f"{number}. Validated the tracker (plantrack validate --write): {summary.line()}"
        + (" — every row passes the rules." if summary.clean else ".")
    )
    say(
        "   Wrote the Validation sheet; any problem would be listed there with a link to its cell, "
        "and the cell marked."
    )


def step_rag(folder: Path, master: Path) -> None:
    from .files import apply_changes, read_tracker
    from .jobs.rag import rag_changes, recalculate

    tracker = read_tracker(master)
    result = recalculate(tracker.plan, tracker.rules)
    apply_changes(master, rag_changes(tracker, result))
    number = STEPS.index(step_rag) + 1
    say(
        f"{number}. Recalculated RAG as at {result.as_of:%d/%m/%Y} (plantrack rag) "
        "and wrote it into the tracker:"
    )
    for label, kind in (("actions", "actions"), ("milestones", "milestones"), ("indicators", "indicators")):
        counts = {k: v for k, v in result.counts(kind).items() if v}
        say(f"   {label}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    reds = [ref for ref, r in result.actions.items() if r.rag == "Red"]
    if reds:
        say(f"   Red actions: {', '.join(reds)} — each has its reason in the RAG reason column.")


def step_pack(folder: Path, master: Path) -> None:
    from .cli.pack import pack_workbook
    from .pdf import PdfFailed, export_pdf

    done = pack_workbook(master)
    pack = done.pack
    number = STEPS.index(step_pack) + 1
    say(
        f"{number}. Built the board pack as at {pack.as_of:%d/%m/%Y} (plantrack pack --pdf): "
        f"{len(done.sheets)} sheets ({', '.join(done.sheets)})."
    )
    overdue = pack.milestones_overdue
    say(
        f"   {len(pack.exceptions)} exceptions ({len(pack.persistent)} persistent), "
        f"{pack.actions_done} of {pack.actions_total - pack.actions_cancelled} actions complete "
        f"({pack.percent_complete:.0f}%), {overdue} milestone{'' if overdue == 1 else 's'} overdue."
    )
    pdf = folder / "board-pack.pdf"
    try:
        made = export_pdf(master, done.sheets, pdf)
    except PdfFailed as exc:
        say(f"   No PDF: {exc}")
        return
    say(f"   Wrote the PDF {made.path} ({made.pages} pages).")


def step_issue(folder: Path, master: Path) -> None:
    from .partner_files import issue_to_files

    for mine in ("partner copies", "returns", "chasers"):
        shutil.rmtree(folder / mine, ignore_errors=True)
    run = issue_to_files(master, folder / "partner copies")
    number = STEPS.index(step_issue) + 1
    say(f"{number}. Issued a copy to each partner agency (plantrack issue) into {run.out}:")
    for copy in run.plan.copies:
        say(f"   {copy.agency}: {copy.summary()}, due back {copy.due:%d/%m/%Y}")
    say(
        "   Each is a plain .xlsx: only the agency's rows, the columns it fills in unlocked and yellow, "
        "drop-downs, instructions, and a hidden signed record of what was issued."
    )


def step_merge(folder: Path, master: Path) -> None:
    import datetime as dt

    from .changes import CellWrite, Changes
    from .example import LSCB, POLICE
    from .files import apply_changes
    from .partner_files import fill_in_copy, merge_files, read_master

    copies = {p.name: p for p in (folder / "partner copies").glob("*.xlsx")}
    lscb = next(p for n, p in copies.items() if LSCB in n)
    police = next(p for n, p in copies.items() if POLICE in n)
    returns = folder / "returns"
    clean = fill_in_copy(
        lscb,
        returns / f"LSCB return {lscb.name[-15:]}",
        {
            ("Actions", "9.3"): {
                "Status": "Completed",
                "% complete": 100,
                "Completed date": dt.date(2019, 11, 4),
                "Progress update": "Awareness campaign launched on 4 November 2019.",
                "Evidence": "Campaign materials; 38 notifications in November.",
            },
            ("Milestones", "9.3"): {"Status": "Completed", "Completed date": dt.date(2019, 11, 4)},
        },
    )
    messy = fill_in_copy(
        police,
        returns / f"Police return {police.name[-15:]}",
        {
            ("Actions", "7.2"): {
                "% complete": 70,
                "Due date": dt.date(2020, 3, 31),
                "Progress update": "Profile agreed; first report drafted for the MASA.",
            },
        },
    )
    # Meanwhile the programme manager updated 7.2's progress in the master too: a conflict.
    tracker, _ = read_master(master)
    actions = tracker.tables["Actions"]
    row = next(i for i in range(len(actions.rows)) if str(actions.get(i, "Ref")) == "7.2")
    column = (actions.index("Progress update") or 0) + 1
    apply_changes(
        master,
        Changes(
            cells=[
                CellWrite(
                    actions.sheet,
                    actions.row_numbers[row],
                    column,
                    value="Board asked for the profile by December.",
                )
            ]
        ),
    )
    run = merge_files(master, [clean, messy])
    result = run.result
    number = STEPS.index(step_merge) + 1
    say(f"{number}. Merged two simulated partner returns (plantrack merge):")
    for outcome in result.outcomes:
        say(
            f"   {outcome.file}: changes applied {outcome.applied}, conflicts {outcome.conflicts}, "
            f"rejected edits {outcome.rejected}"
        )
    for item in result.to_look_at:
        say(f"   {item.kind.capitalize()}: {item.sheet} {item.ref} {item.column} — {item.message}")
    say(
        "   Applied changes are in the Audit log sheet, conflicts and rejections in the Merge report sheet, "
        "and who has returned in the Returns sheet."
    )


def step_import(folder: Path, master: Path) -> None:
    from .cli.import_ import demo_step

    demo_step(folder, STEPS.index(step_import) + 1)


STEPS: list[Step] = [step_new, step_validate, step_rag, step_issue, step_merge, step_pack, step_import]


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
