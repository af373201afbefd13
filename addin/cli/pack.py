"""plantrack pack PATH [--as-of YYYY-MM-DD] [--pdf FILE]: the board pack."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PlantrackError, UnusableWorkbook
from .output import rag_counts_line, say

if TYPE_CHECKING:  # the jobs are imported when the command runs, not to build the parser
    from ..jobs.pack import Pack
    from ..pdf import PdfResult

ORDER = 60


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "pack",
        help="build the board pack sheets in the tracker (and a PDF with --pdf)",
        description="Work out the RAG as at the report date and (re)generate the board pack sheets in the "
        "tracker: summary (RAG by theme and lead agency, with charts), exceptions (every Red and every "
        "override, with a Corrective action column carried over from the last pack), indicators against "
        "target with direction of travel and trend charts, milestones overdue and due next, changes since "
        "the last pack, and returns. Your own sheets are not touched; the tracker is backed up first.",
        epilog="Example: plantrack pack tracker.xlsx --pdf board-pack.pdf",
    )
    p.add_argument("path", type=Path, help="the master tracker (.xlsx)")
    p.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="work the pack out as at this date, e.g. 2019-10-31 or 31/10/2019 "
        "(default: the Plan sheet's report date)",
    )
    p.add_argument(
        "--pdf", type=Path, metavar="FILE", help="also write the pack sheets to this PDF (needs LibreOffice)"
    )
    p.add_argument(
        "--rules", type=Path, metavar="FILE", help="a rules file to apply on top of the plan's rules"
    )
    return p


def _iso_date(text: str) -> dt.date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2019-10-31 or 31/10/2019")


@dataclass
class PackRun:
    """What ``pack_workbook`` did."""

    pack: Pack
    path: Path
    sheets: list[str]
    pdf: PdfResult | None = None


def pack_workbook(
    path: str | Path,
    as_of: dt.date | None = None,
    pdf: str | Path | None = None,
    extra_rules: str | Path | None = None,
    *,
    now: dt.datetime | None = None,
) -> PackRun:
    """Build the board pack of the tracker at ``path`` into it (and into ``pdf``). The
    returns are summarised as they stand at ``now`` (default: this moment)."""
    from ..files import read_grids
    from ..jobs.pack import build_pack, current_returns
    from ..jobs.pack_history import PackHistory
    from ..jobs.pack_look import load_pack_template
    from ..jobs.pack_sheets import pack_changes, pack_sheet_names
    from ..jobs.rag import recalculate
    from ..pdf import INSTALL_ADVICE, PdfFailed, export_pdf, find_soffice
    from ..reader import tracker_from_grids
    from ..rules import rules_for_workbook

    path = Path(path)
    if pdf is not None and Path(pdf).suffix.lower() != ".pdf":
        raise PlantrackError(f"{Path(pdf).name}: the PDF file name must end in .pdf")
    if pdf is not None and find_soffice() is None:
        raise PdfFailed(
            "LibreOffice is not installed, so the PDF could not be made and nothing was changed",
            f"{INSTALL_ADVICE}, or run without --pdf to build the pack sheets only",
        )
    rules = rules_for_workbook(path, extra=extra_rules)
    grids = read_grids(path, rules.limits)
    tracker = tracker_from_grids(grids, rules, path)
    if tracker.plan.info.rule_set:
        rules = rules_for_workbook(path, named=tracker.plan.info.rule_set, extra=extra_rules)
        tracker = tracker_from_grids(grids, rules, path)
    plan = tracker.plan
    template = load_pack_template()
    rag = recalculate(plan, rules, as_of)
    pack = build_pack(
        plan,
        rules,
        rag,
        PackHistory.from_grids(grids, template),
        current_returns(grids, rules, now or dt.datetime.now()),
        as_of=rag.as_of,
    )
    changes = pack_changes(pack, template)
    del tracker, grids, plan, rag  # not needed to write: let them go first (lower peak memory)
    write_pack(path, pack, changes)
    sheets = pack_sheet_names(pack, template)
    result = PackRun(pack, path, sheets)
    if pdf is not None:
        result.pdf = export_pdf(path, sheets, Path(pdf))
    return result


def write_pack(path: Path, pack: Pack, changes: object) -> None:
    """Write the pack sheets into the tracker (backup first, atomic replace, everything
    plantrack does not own kept). Page headers carry the pack's title, marking and date."""
    from ..files import apply_changes

    context = {"title": pack.title, "marking": pack.marking, "report_date": pack.as_of}
    try:
        apply_changes(path, changes, context=context)
    except OSError as exc:
        raise UnusableWorkbook(path, "the pack could not be saved", str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    done = pack_workbook(args.path, args.as_of, args.pdf, args.rules)
    pack = done.pack
    say(f"Board pack for {pack.title}, as at {pack.as_of:%d/%m/%Y}, written into {done.path}:")
    say(f"  sheets {', '.join(done.sheets)}.")
    say(
        f"  Actions: {rag_counts_line(pack.counts('Actions'))}; {pack.actions_done} of "
        f"{pack.actions_total - pack.actions_cancelled} complete ({pack.percent_complete:.0f}%), "
        f"{pack.actions_overdue} overdue."
    )
    say(f"  Indicators: {rag_counts_line(pack.counts('Indicators'))}.")
    say(
        f"  Exceptions: {len(pack.exceptions)} ({len(pack.persistent)} persistent); "
        f"milestones overdue {pack.milestones_overdue}, due next {pack.milestones_due_next}."
    )
    if pack.changes is None:
        from ..jobs.pack_sheets import not_compared

        say(f"  {not_compared(pack)}.")
    else:
        counts = pack.change_counts()
        words = ", ".join(f"{n} {c.lower()}" for c, n in counts.items()) or "no RAG changes"
        say(f"  Since the pack of {pack.previous:%d/%m/%Y}: {words}.")
    if done.pdf is not None:
        say(f"Wrote the PDF {done.pdf.path} ({done.pdf.pages} pages).")
    say(
        "Next: type recovery actions into Corrective action on the exceptions sheet; they are kept at the "
        "next pack."
    )
    return 0
