"""The five Excel buttons: Validate, Recalculate RAG, Issue copies, Merge returns, Board pack.

Each is a plain function taking an ``xlwings.Book`` (desktop Excel, xlwings
Lite or xlwings Server hand one over) and doing what its command does on a
file, through the same core function:

    read every sheet once (``excel.read_tracker``)
    -> the job (``jobs.validate`` / ``jobs.rag`` / ``jobs.issue`` / ``jobs.merge`` / ``jobs.pack``)
    -> its ``Changes`` written back in blocks (``excel.write_changes``)
    -> one line in the Plan sheet's "Last run" row (and the status bar on the desktop).

A problem that stops a job (a missing sheet, a broken rules file) is shown in
that row and in a message box, and nothing is written. The Lite scripts in
``workbook/lite/main.py`` and the desktop ribbon call these functions.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PlantrackError
from . import excel

if TYPE_CHECKING:
    import xlwings as xw

__all__ = ["ButtonResult", "board_pack", "issue_copies", "merge_returns", "recalculate_rag", "validate"]

RAG_WORDS = ("Red", "Amber", "Green", "Blue")
CHART_NOTE = (
    "Charts are not drawn by the Excel button (Excel's web engine cannot add them): "
    "the tables above hold their figures. For the charts and a print-ready PDF, run "
    "'plantrack pack' on the saved workbook."
)


@dataclass
class ButtonResult:
    """What a button did: ``line`` is what the Plan sheet's "Last run" row shows."""

    job: str
    ok: bool
    line: str
    written: excel.WriteReport | None = None
    details: dict[str, Any] = field(default_factory=dict)


class _Run:
    def __init__(self, book: xw.Book, job: str):
        self.book, self.job = book, job
        self.result = ButtonResult(job, ok=False, line="")
        self.grids: dict[str, Any] = {}
        self.rules: Any = None
        self.show: str | None = None
        self.notes_hint = "the command writes them all"

    def read(self) -> Any:
        self.rules, self.grids = excel.read_book(self.book)
        tracker = excel.tracker_of(self.book, self.rules, self.grids)
        self.rules = tracker.rules
        return tracker

    def write(self, changes: Any, **kwargs: Any) -> excel.WriteReport:
        report = excel.write_changes(self.book, changes, **kwargs)
        self.result.written = report
        return report

    def done(self, line: str, show: str | None = None, **details: Any) -> None:
        self.result.ok, self.result.line = True, line
        self.result.details.update(details)
        self.show = show


@contextmanager
def _button(book: xw.Book, job: str) -> Iterator[_Run]:
    run = _Run(book, job)
    stamp = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
    try:
        yield run
    except PlantrackError as exc:
        run.result.line = f"{job} stopped ({stamp}): {exc.message}"
        if run.grids:  # the Plan sheet was read: the message goes into its "Last run" row
            excel.show_status(book, run.grids, run.rules, run.result.line)
        else:
            excel.set_status_bar(book, run.result.line)
        excel.alert(book, run.result.line)
        return
    written = run.result.written
    tail = ""
    if written is not None and written.notes_left_out:
        tail = (
            f" ({written.notes_left_out} notes left out: a button adds the first {written.notes}; "
            f"{run.notes_hint})"
        )
    run.result.line = f"{job} ({stamp}): {run.result.line}{tail}"
    excel.show_status(book, run.grids, run.rules, run.result.line, written)
    if run.show:
        sheet = excel.find_sheet(book, run.show)
        if sheet is not None:
            sheet.activate()


def _counts(counts: dict[str, int], words: tuple[str, ...] = RAG_WORDS) -> str:
    shown = [f"{counts[w]} {w}" for w in words if counts.get(w)]
    shown += [f"{n} {w}" for w, n in counts.items() if w not in words and n and w != "Cancelled"]
    return ", ".join(shown) or "none"


# ------------------------------------------------------------------ the buttons


def validate(book: xw.Book) -> ButtonResult:
    """Check every row against the rules: a Validation sheet with a link to each cell,
    and the cells marked (as ``plantrack validate --write``)."""
    from ..jobs.validate import SHEET, previous_marks, summarise, validation_changes
    from ..jobs.validate import validate as find_problems

    with _button(book, "Validate") as run:
        tracker = run.read()
        findings = find_problems(tracker)
        run.notes_hint = "every cell is marked, and the Validation sheet lists every finding"
        run.write(validation_changes(tracker, findings, previous_marks(run.grids)))
        summary = summarise(findings)
        line = (
            "no problems found"
            if summary.clean
            else f"{summary.line()}; see the Validation sheet (the cells are marked)"
        )
        run.done(line, show=SHEET, findings=findings)
    return run.result


def recalculate_rag(book: xw.Book) -> ButtonResult:
    """RAG, RAG reason and Direction for every action, milestone and indicator as at the
    Plan sheet's report date (as ``plantrack rag``)."""
    from ..jobs.rag import rag_changes, recalculate

    with _button(book, "Recalculate RAG") as run:
        tracker = run.read()
        result = recalculate(tracker.plan, tracker.rules, None)
        run.notes_hint = "'plantrack rag' writes every forecast's note"
        run.write(rag_changes(tracker, result))
        line = (
            f"as at {result.as_of:%d/%m/%Y}: actions {_counts(result.counts('actions'))}; "
            f"milestones {_counts(result.counts('milestones'))}; "
            f"indicators {_counts(result.counts('indicators'))}"
        )
        run.done(line, result=result)
    return run.result


def board_pack(book: xw.Book) -> ButtonResult:
    """The board pack sheets, worked out as at the report date (as ``plantrack pack``,
    without the charts and the PDF: see ``CHART_NOTE``)."""
    from ..jobs.pack import build_pack, returns_from_grid
    from ..jobs.pack_history import PackHistory
    from ..jobs.pack_look import load_pack_template
    from ..jobs.pack_sheets import pack_changes, pack_sheet_names
    from ..jobs.rag import recalculate
    from ..rules import normalise_header

    with _button(book, "Board pack") as run:
        tracker = run.read()
        template = load_pack_template()
        rag = recalculate(tracker.plan, tracker.rules, None)
        returns_grid = next((g for name, g in run.grids.items() if normalise_header(name) == "returns"), None)
        pack = build_pack(
            tracker.plan,
            tracker.rules,
            rag,
            PackHistory.from_grids(run.grids, template),
            returns_from_grid(returns_grid),
            as_of=rag.as_of,
        )
        changes = pack_changes(pack, template)
        without_charts(changes)
        run.write(changes)
        sheets = pack_sheet_names(pack, template)
        line = (
            f"as at {pack.as_of:%d/%m/%Y}: {len(pack.exceptions)} exceptions; actions "
            f"{_counts(dict(pack.counts('Actions')))}; sheets {', '.join(sheets)} (tables only: "
            "run 'plantrack pack' for the charts and the PDF)"
        )
        run.done(line, show=sheets[0] if sheets else None, pack=pack)
    return run.result


def without_charts(changes: Any) -> None:
    """Charts cannot be added through Excel's web engine: drop them, with a line saying so
    under the sheet's tables (the figures are in the tables)."""
    for spec in changes.sheets:
        if spec.charts:
            spec.rows = [*spec.rows, [], [CHART_NOTE]]
            spec.charts = []


def issue_copies(book: xw.Book, *, now: dt.datetime | None = None) -> ButtonResult:
    """One plain .xlsx per partner agency holding only its rows, and the issue recorded in the
    workbook (as ``plantrack issue``). The copies go to the Plan sheet's Returns folder, else to
    "partner copies" beside the workbook; in xlwings Lite, to its file area (Files > Import/Export)."""
    from ..errors import WriteRefused
    from ..jobs.issue import issue_changes, plan_issue
    from ..jobs.returns_status import read_book
    from ..partner_files import build_copy, default_out, sha256_of
    from ..templates import load_template

    with _button(book, "Issue copies") as run:
        tracker = run.read()
        folder = default_out(excel.book_path(book), tracker)
        if folder.exists() and not folder.is_dir():
            raise WriteRefused(
                folder, "is a file, not a folder", "set the Plan sheet's Returns folder to a folder"
            )
        issued = read_book(run.grids)
        taken = [p.name for p in folder.iterdir()] if folder.is_dir() else []
        plan = plan_issue(tracker, issued, now=now, taken_names=taken)
        if not plan.copies:
            run.done("no copies written. " + " ".join(plan.notes))
            return run.result
        folder.mkdir(parents=True, exist_ok=True)
        template = load_template()
        temps: list[Path] = []
        try:
            for copy in plan.copies:
                fd, name = tempfile.mkstemp(prefix=".plantrack-copy-", suffix=".xlsx", dir=folder)
                os.close(fd)
                temps.append(Path(name))
                build_copy(copy, tracker.rules, template).save(name)
                _usual_mode(Path(name))
                copy.sha256 = sha256_of(Path(name))
                copy.folder = str(folder.resolve())
            plan_grid = run.grids.get(tracker.plan_sheet.sheet)
            changes, _ = issue_changes(
                tracker,
                issued,
                plan,
                plan_rows=len(plan_grid.values) if plan_grid is not None else 1,
                datetime_format=template.style.datetime_format,
                date_format=template.style.date_format,
            )
            run.write(changes)
            paths = []
            for tmp, copy in zip(temps, plan.copies):
                os.replace(tmp, folder / copy.file_name)
                paths.append(folder / copy.file_name)
        finally:
            for tmp in temps:
                tmp.unlink(missing_ok=True)
        where = _shown_folder(book, folder)
        line = (
            f"{len(paths)} partner {'copy' if len(paths) == 1 else 'copies'} written to {where} "
            f"({', '.join(c.agency for c in plan.copies)}); the issue is on the Returns sheet. "
            "Next: e-mail each agency its copy"
        )
        run.done(line, show="Returns", paths=paths, plan=plan)
    return run.result


def merge_returns(
    book: xw.Book, *, now: dt.datetime | None = None, accept_proposals: bool = False
) -> ButtonResult:
    """Take what partners changed in the copies they sent back (as ``plantrack merge``): every
    .xlsx in the returns folder (``returns_folder``), never changed; conflicts and rejections on
    the Merge report sheet, applied changes on the Audit log, who is late on the Returns sheet."""
    from ..jobs.chasing import CHASERS_FOLDER, reminders
    from ..jobs.issue import agency_contacts
    from ..jobs.merge import RefusedFile
    from ..jobs.merge import merge_returns as merge
    from ..jobs.merge_report import existing_audit_rows, merge_changes
    from ..jobs.merge_summary import BUTTON_WORDING, one_line
    from ..jobs.returns_status import read_book
    from ..partner_files import read_return, return_paths, write_reminders
    from ..templates import load_template

    with _button(book, "Merge returns") as run:
        tracker = run.read()
        master = excel.book_path(book)
        folder = returns_folder(book, tracker)
        if not folder.is_dir():
            raise PlantrackError(
                f"there is no folder {_shown_folder(book, folder)} holding the returned copies: put the "
                f"files partners sent back there{_lite_hint(book)}, or name their folder in the Plan "
                "sheet's Returns folder"
            )
        paths = [p for p in return_paths([folder], master) if p.name != master.name]
        if not paths:
            raise PlantrackError(
                f"no returned copies (.xlsx) in {_shown_folder(book, folder)}{_lite_hint(book)}"
            )
        files = [read_return(p, tracker.rules.limits) for p in paths]
        result = merge(tracker, read_book(run.grids), files, now=now, accept_proposals=accept_proposals)
        if result.write_needed:
            template = load_template()
            run.write(
                merge_changes(
                    result,
                    existing_audit_rows(run.grids),
                    agency_contacts(tracker),
                    datetime_format=template.style.datetime_format,
                    date_format=template.style.date_format,
                )
            )
        drafts = reminders(tracker, result.statuses, result.merged_at)
        chasers = write_reminders(drafts, excel.book_path(book).parent / CHASERS_FOLDER) if drafts else []
        # the command's sentences (jobs.merge_summary), naming this workbook and its buttons
        line = one_line(
            result,
            BUTTON_WORDING,
            chasers,
            drafts,
            _shown_folder(book, chasers[0].parent) if chasers else None,
        )
        unread = [f for f in files if isinstance(f, RefusedFile)]
        run.done(
            line,
            show="Merge report" if result.write_needed else None,
            result=result,
            chasers=chasers,
            unread=unread,
        )
    return run.result


RETURNS_FOLDER = "returns"


def returns_folder(book: xw.Book, tracker: Any) -> Path:
    """Where the Merge returns button looks: the Plan sheet's Returns folder (beside the workbook
    when not a full path), else a "returns" folder beside the workbook. In xlwings Lite "beside
    the workbook" is Lite's file area (/data: Files > Import/Export)."""
    base = excel.book_path(book).parent
    named = (tracker.plan.info.returns_folder or "").strip()
    if named:
        path = Path(named)
        return path if path.is_absolute() else base / path
    return base / RETURNS_FOLDER


def _shown_folder(book: xw.Book, folder: Path) -> str:
    """The folder as the user knows it: in xlwings Lite, relative to its file area."""
    if excel.is_office_js(book):
        try:
            return f"'{folder.relative_to(excel.book_path(book).parent)}' in xlwings Lite's files"
        except ValueError:
            pass
    return str(folder)


def _lite_hint(book: xw.Book) -> str:
    return (
        (f" (in xlwings Lite: Files > Import/Export, dropping them into a folder called '{RETURNS_FOLDER}')")
        if excel.is_office_js(book)
        else ""
    )


def _usual_mode(path: Path) -> None:
    """A new file gets the usual permissions (mkstemp makes it private to its owner)."""
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)
    except OSError:  # a file system without permissions (xlwings Lite's)
        pass


def book_folder(book: xw.Book) -> Path:
    """The folder a button reads files from and writes them to (see ``excel.book_path``)."""
    return excel.book_path(book).parent
